#pragma once
// Text <-> token ids, exactly as Hugging Face tokenizers do for the same model.
//   BpeTokenizer (bpe_tokenizer.h): GPT-2 style byte-level BPE from GGUF metadata (tokenizer.ggml.*),
//     e.g. SmolLM2; equal to HF tokenizers with the model's pre-tokenizer and added tokens.
//   SentencePiece (sentencepiece_tokenizer.h): tokenizer.model, or a GGUF "llama" vocabulary, through
//     libsentencepiece (LLaMA-2, Vicuna, Mixtral); equal to HF's LlamaTokenizer(legacy=True).
// encode() never adds BOS; special tokens written in the text (e.g. "<|im_start|>", "<s>") are matched
// as whole tokens; it throws Error for text that is not valid UTF-8. decode() returns raw bytes (a
// token may end inside a UTF-8 character). decode(encode(x)) == x for valid UTF-8 x, except where the
// vocabulary cannot represent x: BPE drops bytes whose ByteLevel character is not a token (as HF does),
// and SentencePiece turns U+2581 into a space.
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

// From a SentencePiece tokenizer.model file; its control and unknown pieces (LLaMA: <unk>=0, <s>=1,
// </s>=2) are the special tokens. Throws Error when the file is missing or not a SentencePiece model.
std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(const std::string& model_path);

// For a model path as open_model() takes it: the GGUF's own tokenizer, or tokenizer.model in the
// checkpoint's folder. Throws Error when none is found.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_path);

}  // namespace eaglerun
