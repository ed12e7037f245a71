// BpeTokenizer on a toy vocabulary whose answers can be worked out by hand.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/tokenizer/bpe_tokenizer.h"
#include "core/tokenizer/byte_level.h"

namespace eaglerun {
namespace {

constexpr int32_t kNormal = static_cast<int32_t>(TokenType::Normal);
constexpr int32_t kControl = static_cast<int32_t>(TokenType::Control);
constexpr int32_t kUserDefined = static_cast<int32_t>(TokenType::UserDefined);

// Ids 0..255: the ByteLevel character of byte i. Then merged tokens and special tokens.
struct Toy {
  BpeVocab vocab;
  int32_t id(const std::string& token) const {
    for (size_t i = 0; i < vocab.tokens.size(); ++i) {
      if (vocab.tokens[i] == token) return static_cast<int32_t>(i);
    }
    ADD_FAILURE() << "no token " << token;
    return -1;
  }
  int32_t byte(char c) const { return static_cast<uint8_t>(c); }
};

Toy make_toy(const std::string& pre = "gpt2") {
  Toy t;
  for (int b = 0; b < 256; ++b) t.vocab.tokens.push_back(bytes_to_byte_level(std::string(1, static_cast<char>(b))));
  t.vocab.token_types.assign(256, kNormal);
  const auto add = [&](const std::string& token, int32_t type) {
    t.vocab.tokens.push_back(token);
    t.vocab.token_types.push_back(type);
  };
  add("ab", kNormal);
  add("abc", kNormal);
  add("aa", kNormal);
  add("\xC4\xA0" "a", kNormal);   // "Ġa"
  add("\xC4\xA0" "ab", kNormal);  // "Ġab"
  add("<|x|>", kControl);
  add("<|x|>y", kControl);
  add("<tool>", kUserDefined);
  t.vocab.merges = {"a b", "ab c", "a a", "\xC4\xA0 a", "\xC4\xA0" "a b"};
  t.vocab.pre = pre;
  t.vocab.bos_id = t.id("<|x|>");
  t.vocab.eos_id = t.id("<|x|>");
  return t;
}

using Ids = std::vector<int32_t>;

TEST(BpeTokenizer, MergesByRank) {
  const Toy t = make_toy();
  const BpeTokenizer tok(t.vocab);
  EXPECT_EQ(tok.encode("abc"), (Ids{t.id("abc")}));
  EXPECT_EQ(tok.encode("aaa"), (Ids{t.id("aa"), t.byte('a')}));  // equal ranks: leftmost first
  // "a b" (rank 0) beats "Ġ a" (rank 3), and no merge joins "Ġ" with "ab".
  EXPECT_EQ(tok.encode(" ab"), (Ids{t.byte(' '), t.id("ab")}));
  EXPECT_EQ(tok.encode(" a"), (Ids{t.id("\xC4\xA0" "a")}));
  EXPECT_EQ(tok.encode("ab ab"), (Ids{t.id("ab"), t.byte(' '), t.id("ab")}));
  EXPECT_EQ(tok.encode(""), Ids{});
}

TEST(BpeTokenizer, MatchesSpecialTokensLongestFirst) {
  const Toy t = make_toy();
  const BpeTokenizer tok(t.vocab);
  EXPECT_EQ(tok.encode("c<|x|>y"), (Ids{t.byte('c'), t.id("<|x|>y")}));
  EXPECT_EQ(tok.encode("<|x|>z"), (Ids{t.id("<|x|>"), t.byte('z')}));
  EXPECT_EQ(tok.encode("<tool><|x|"), (Ids{t.id("<tool>"), t.byte('<'), t.byte('|'), t.byte('x'), t.byte('|')}));
  EXPECT_EQ(tok.decode(Ids{t.id("<|x|>y"), t.id("ab"), t.id("<tool>")}), "<|x|>yab<tool>");
}

TEST(BpeTokenizer, DecodesByteLevelText) {
  const Toy t = make_toy();
  const BpeTokenizer tok(t.vocab);
  for (const std::string& text : std::vector<std::string>{"abc aa", "caf\xC3\xA9\n\t", "\xF0\x9F\x98\x80 1 22", std::string("\0x", 2)}) {
    EXPECT_EQ(tok.decode(tok.encode(text)), text);
  }
  EXPECT_EQ(tok.decode(Ids{t.byte('\xC3')}), "\xC3");  // a partial character comes back as its byte
  EXPECT_EQ(tok.token_text(t.id("\xC4\xA0" "a")), "\xC4\xA0" "a");
  EXPECT_EQ(tok.vocab_size(), 264);
  EXPECT_EQ(tok.bos_id(), t.id("<|x|>"));
}

TEST(BpeTokenizer, DropsBytesMissingFromTheVocabulary) {
  BpeVocab v;
  v.tokens = {"a", "b", "ab"};
  v.merges = {"a b"};
  const BpeTokenizer tok(v);
  EXPECT_EQ(tok.encode("az"), (Ids{0}));
  EXPECT_EQ(tok.encode("azb"), (Ids{2}));  // HF drops 'z' before merging, so "a" and "b" merge
  EXPECT_EQ(tok.decode(tok.encode("bza")), "ba");
}

TEST(BpeTokenizer, RejectsBadInput) {
  const Toy t = make_toy();
  const BpeTokenizer tok(t.vocab);
  EXPECT_THROW(tok.encode("\xFF"), Error);
  EXPECT_THROW(tok.encode("ok \xC3"), Error);
  EXPECT_THROW(tok.decode(Ids{-1}), Error);
  EXPECT_THROW(tok.decode(Ids{264}), Error);
  EXPECT_THROW(tok.token_text(264), Error);
}

TEST(BpeTokenizer, RejectsBadVocabularies) {
  Toy t = make_toy("smollm-v2");
  EXPECT_THROW(BpeTokenizer{t.vocab}, Error);
  t = make_toy();
  t.vocab.merges.push_back("abc");
  EXPECT_THROW(BpeTokenizer{t.vocab}, Error);
  t = make_toy();
  t.vocab.merges.push_back("abc abc");  // "abcabc" is not a token
  EXPECT_THROW(BpeTokenizer{t.vocab}, Error);
  t = make_toy();
  t.vocab.token_types.pop_back();
  EXPECT_THROW(BpeTokenizer{t.vocab}, Error);
  t = make_toy();
  t.vocab.eos_id = 264;
  EXPECT_THROW(BpeTokenizer{t.vocab}, Error);
}

}  // namespace
}  // namespace eaglerun
