#include "core/tokenizer/bpe_tokenizer.h"

#include "core/error.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {
namespace {

void check_id(int32_t id, size_t vocab_size, const char* what) {
  require(id >= -1 && id < static_cast<int64_t>(vocab_size),
          std::string(what) + " id " + std::to_string(id) + " is outside the vocabulary of " +
              std::to_string(vocab_size) + " tokens");
}

bool is_special_type(int32_t type) {
  return type == static_cast<int32_t>(TokenType::Control) || type == static_cast<int32_t>(TokenType::UserDefined);
}

// HF's ByteLevel decoder: each character in the map's image becomes its byte; any other character
// is kept as its UTF-8 encoding.
void append_byte_level_decoded(const std::string& token, std::string& out) {
  size_t pos = 0;
  while (pos < token.size()) {
    char32_t cp;
    size_t len;
    if (!utf8_decode(token, pos, cp, len)) {  // not UTF-8: copy the byte through
      out.push_back(token[pos++]);
      continue;
    }
    if (const std::optional<uint8_t> b = unicode_to_byte(cp)) {
      out.push_back(static_cast<char>(*b));
    } else {
      out.append(token, pos, len);
    }
    pos += len;
  }
}

}  // namespace

BpeTokenizer::BpeTokenizer(const BpeVocab& vocab)
    : tokens_(vocab.tokens),
      pre_(vocab.pre),
      model_(vocab.tokens, vocab.merges),
      bos_id_(vocab.bos_id),
      eos_id_(vocab.eos_id) {
  require(!tokens_.empty(), "BPE vocabulary is empty");
  require(vocab.token_types.empty() || vocab.token_types.size() == tokens_.size(),
          "BPE vocabulary has " + std::to_string(tokens_.size()) + " tokens but " +
              std::to_string(vocab.token_types.size()) + " token types");
  check_id(bos_id_, tokens_.size(), "BOS");
  check_id(eos_id_, tokens_.size(), "EOS");
  decoded_.resize(tokens_.size());
  for (size_t id = 0; id < tokens_.size(); ++id) {
    if (!vocab.token_types.empty() && is_special_type(vocab.token_types[id])) {
      decoded_[id] = tokens_[id];
      specials_.add(tokens_[id], static_cast<int32_t>(id));
    } else {
      append_byte_level_decoded(tokens_[id], decoded_[id]);
    }
  }
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  require(is_valid_utf8(text), "cannot tokenize text that is not valid UTF-8");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<std::string_view> pieces;
  for (const SpecialTokenMatcher::Segment& seg : specials_.split(text)) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    pieces.clear();
    pre_.split(seg.text, pieces);
    for (std::string_view piece : pieces) model_.encode_piece(piece, ids);
  }
  return ids;
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (int32_t id : ids) {
    require(id >= 0 && id < vocab_size(), "cannot decode token id " + std::to_string(id) +
                                              " (vocabulary has " + std::to_string(vocab_size()) + " tokens)");
    out += decoded_[id];
  }
  return out;
}

std::string BpeTokenizer::token_text(int32_t id) const {
  require(id >= 0 && id < vocab_size(), "token id " + std::to_string(id) + " is outside the vocabulary");
  return tokens_[id];
}

}  // namespace eaglerun
