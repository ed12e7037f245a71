#pragma once
// GPT-2 style byte-level BPE tokenizer (GGUF tokenizer.ggml.model "gpt2"), e.g. SmolLM2.
// encode: split out special tokens (token types control and user-defined, matched as whole strings,
// HF added-token rules), pre-tokenize each stretch between them (see pretokenizer.h), BPE-merge each
// piece (see bpe_model.h). decode: special tokens give their text; other tokens give the bytes their
// ByteLevel characters stand for. Equivalent to HF tokenizers with the same vocabulary, merges,
// pre-tokenizer and added tokens, no normalizer, encoding with add_special_tokens=False.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/special_tokens.h"
#include "core/tokenizer/tokenizer.h"

namespace eaglerun {

// GGUF token types (tokenizer.ggml.token_type), as llama.cpp numbers them.
enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

// The vocabulary as GGUF stores it, in plain containers.
struct BpeVocab {
  std::vector<std::string> tokens;  // ByteLevel text of each id
  std::vector<int32_t> token_types; // TokenType per id; empty means all Normal
  std::vector<std::string> merges;  // "left right", rank 0 first
  std::string pre = "gpt2";         // pre-tokenizer name (tokenizer.ggml.pre)
  int32_t bos_id = -1;
  int32_t eos_id = -1;
};

class BpeTokenizer final : public Tokenizer {
 public:
  // Throws Error for an unknown pre-tokenizer, bad merges, mismatched array sizes or ids out of range.
  explicit BpeTokenizer(const BpeVocab& vocab);

  std::vector<int32_t> encode(std::string_view text) const override;  // throws Error on invalid UTF-8
  std::string decode(std::span<const int32_t> ids) const override;    // throws Error on an id out of range
  int32_t vocab_size() const override { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  std::string token_text(int32_t id) const override;

 private:
  std::vector<std::string> tokens_;
  std::vector<std::string> decoded_;  // per id: the text of a special token, else the bytes it stands for
  PreTokenizer pre_;
  BpeModel model_;
  SpecialTokenMatcher specials_;
  int32_t bos_id_;
  int32_t eos_id_;
};

}  // namespace eaglerun
