#pragma once
// Text <-> token ids, exactly as Hugging Face tokenizers do for the same model.
//   BpeTokenizer          : GPT-2 style byte-level BPE from GGUF metadata (tokenizer.ggml.*), e.g. SmolLM2.
//   SentencePieceTokenizer: tokenizer.model through libsentencepiece (LLaMA-2, Vicuna, Mixtral).
// encode() never adds BOS; special tokens written in the text (e.g. "<|im_start|>") are matched
// as whole tokens. decode(encode(x)) == x for every valid UTF-8 x.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eaglerun {

class GgufFile;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;  // -1 when none
  virtual int32_t eos_id() const = 0;  // -1 when none
  // The token's text as stored in the vocabulary (for debugging / tables).
  virtual std::string token_text(int32_t id) const = 0;
};

// From GGUF metadata (tokenizer.ggml.model "gpt2" with pre "smollm"/"gpt2"/..., or "llama" SPM).
// Throws Error for a tokenizer model or pre-tokenizer it does not support.
std::unique_ptr<Tokenizer> tokenizer_from_gguf(const GgufFile& gguf);

// From a SentencePiece tokenizer.model file, with LLaMA's special tokens (<unk>=0, <s>=1, </s>=2).
std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(const std::string& model_path);

// For a model path as open_model() takes it: the GGUF's own tokenizer, or tokenizer.model in the
// checkpoint's folder. Throws Error when none is found.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_path);

}  // namespace eaglerun
