#pragma once
// SentencePiece tokenizers (LLaMA-2, Vicuna, Mixtral) through libsentencepiece, matching HF's
// LlamaTokenizer with legacy=True (the default, and what Meta's reference code does): the strings of
// control and unknown pieces ("<s>", "</s>", "<unk>") written in the text become their ids, and each
// stretch of text between them is encoded by SentencePiece on its own, so each stretch gets the
// dummy-prefix space ("<s>[INST]" -> <s> "▁[" "INST" "]"). decode() reverses that: each run of
// ordinary ids is decoded by SentencePiece (which drops the run's dummy-prefix space), special ids
// give their piece text. Implemented in sentencepiece/ (a stub that throws Error when eaglerun is
// built with EAGLERUN_WITH_SENTENCEPIECE=OFF).
#include <memory>
#include <string>

#include "core/tokenizer/tokenizer.h"

namespace eaglerun {

// From the bytes of a ModelProto (a tokenizer.model file's contents, or serialize_spm_model()'s
// output). origin names the source in error messages. Throws Error when it does not load.
std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece_proto(const std::string& serialized,
                                                              const std::string& origin);

}  // namespace eaglerun
