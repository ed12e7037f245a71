#pragma once
// Builds a serialized SentencePiece ModelProto (sentencepiece_model.proto, protobuf wire format)
// from a vocabulary as GGUF stores it (tokenizer.ggml.model "llama"), so that libsentencepiece can
// run LLaMA-family GGUF tokenizers. Only the fields encoding reads are written.
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun {

struct SpmVocab {
  std::vector<std::string> pieces;  // piece text per id ("▁" marks a space)
  std::vector<float> scores;        // per id; BPE merges higher scores first
  std::vector<int32_t> types;       // per id: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
  int32_t bos_id = -1;              // its piece becomes trainer_spec.bos_piece (-1: none)
  int32_t eos_id = -1;
  bool add_dummy_prefix = true;          // prepend a space to the text before encoding
  bool remove_extra_whitespaces = false; // LLaMA keeps whitespace as is
};

// model_type BPE; byte_fallback on when any piece has type byte; normalizer "identity" with
// escape_whitespaces. Throws Error when the arrays differ in length or an id is out of range.
std::string serialize_spm_model(const SpmVocab& vocab);

}  // namespace eaglerun
