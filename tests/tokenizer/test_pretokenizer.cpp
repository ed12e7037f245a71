// Pre-tokenizer pieces against Hugging Face tokenizers: hand-picked cases, then every code point's
// classes (letter, number, whitespace, numeric-for-Digits) from data/fixtures/tokenizer/pretok_classes.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/tokenizer/pretokenizer.h"
#include "core/tokenizer/utf8.h"
#include "tests/test_paths.h"
#include "tests/tokenizer/fixture_io.h"

namespace eaglerun {
namespace {

std::vector<std::string> pieces(const PreTokenizer& pre, std::string_view text) {
  std::vector<std::string_view> views;
  pre.split(text, views);
  return {views.begin(), views.end()};
}

using Pieces = std::vector<std::string>;

// Expected pieces are what HF's pre_tokenize_str returns for the same pre-tokenizer.
TEST(PreTokenizer, SmolLMSplitsDigitsBeforeTheGpt2Regex) {
  const PreTokenizer pre("smollm");
  EXPECT_EQ(pieces(pre, "\n\n1"), (Pieces{"\n\n", "1"}));
  EXPECT_EQ(pieces(pre, "  2"), (Pieces{"  ", "2"}));
  EXPECT_EQ(pieces(pre, "a1b"), (Pieces{"a", "1", "b"}));
  EXPECT_EQ(pieces(pre, " 123"), (Pieces{" ", "1", "2", "3"}));
  EXPECT_EQ(pieces(pre, "3.14"), (Pieces{"3", ".", "1", "4"}));
  EXPECT_EQ(pieces(pre, "Hello  world  "), (Pieces{"Hello", " ", " world", "  "}));
  EXPECT_EQ(pieces(pre, "I'm they'll"), (Pieces{"I", "'m", " they", "'ll"}));
  EXPECT_EQ(pieces(pre, "ab  \tc"), (Pieces{"ab", "  ", "\t", "c"}));
  EXPECT_EQ(pieces(pre, "'S 's"), (Pieces{"'", "S", " '", "s"}));
  EXPECT_EQ(pieces(pre, "!!  ?"), (Pieces{"!!", " ", " ?"}));
  EXPECT_EQ(pieces(pre, "x \xC2\x85y"), (Pieces{"x", " ", "\xC2\x85", "y"}));  // U+0085 is whitespace
  EXPECT_EQ(pieces(pre, ""), Pieces{});
}

TEST(PreTokenizer, Gpt2KeepsNumbersWhole) {
  const PreTokenizer pre("gpt2");
  EXPECT_EQ(pieces(pre, "\n\n1"), (Pieces{"\n", "\n", "1"}));
  EXPECT_EQ(pieces(pre, "  2"), (Pieces{" ", " 2"}));
  EXPECT_EQ(pieces(pre, " 123"), (Pieces{" 123"}));
  EXPECT_EQ(pieces(pre, "3.14"), (Pieces{"3", ".", "14"}));
}

TEST(PreTokenizer, RejectsUnknownNames) {
  EXPECT_THROW(PreTokenizer("llama-bpe"), Error);
  try {
    PreTokenizer p("qwen2");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported pre-tokenizer 'qwen2'"), std::string::npos) << e.what();
  }
}

// Bits as make_tokenizer_fixtures.py's pretok_classes(): 1 letter, 2 number, 4 whitespace, 8 numeric.
int classify(const PreTokenizer& gpt2, const PreTokenizer& smollm, char32_t cp) {
  std::string c;
  utf8_append(c, cp);
  int mask = 0;
  if (pieces(gpt2, c + "a").size() == 1) mask |= 1;
  if (pieces(gpt2, c + "1").size() == 1) mask |= 2;
  if (!(mask & 3) && pieces(gpt2, c + "!").size() == 2) mask |= 4;
  if (pieces(smollm, c + c).size() == 2) mask |= 8;  // the regex alone keeps any doubled character whole
  return mask;
}

TEST(PreTokenizer, EveryCodePointIsClassifiedAsHuggingFaceDoes) {
  const nlohmann::json runs = nlohmann::json::parse(test::read_file(test::fixture("tokenizer/pretok_classes.json")));
  std::vector<uint8_t> expected(0x110000, 0);
  for (const auto& run : runs) {
    for (uint32_t cp = run[0].get<uint32_t>(); cp <= run[1].get<uint32_t>(); ++cp) expected[cp] = run[2].get<int>();
  }
  const PreTokenizer gpt2("gpt2");
  const PreTokenizer smollm("smollm");
  int mismatches = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const int got = classify(gpt2, smollm, cp);
    if (got != expected[cp] && ++mismatches <= 20) {
      ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(cp) << ": classes " << got << ", HF says "
                    << static_cast<int>(expected[cp]);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace eaglerun
