// SentencePiece tokenizers against transformers' LlamaTokenizer(legacy=True) on a small BPE model trained
// with LLaMA's settings (data/fixtures/tokenizer/spm_bpe.{model,jsonl}); the same vocabulary rebuilt
// from GGUF-style arrays must tokenize identically.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/tokenizer/sentencepiece_tokenizer.h"
#include "core/tokenizer/spm_model_proto.h"
#include "core/tokenizer/tokenizer.h"
#include "core/weights/gguf_file.h"
#include "tests/test_paths.h"
#include "tests/tokenizer/fixture_io.h"
#include "tests/tokenizer/gguf_builder.h"

namespace eaglerun {
namespace {

const std::string kModel = test::fixture("tokenizer/spm_bpe.model");

// Compares tok with every fixture line: ids, and decode of the oracle's ids.
void expect_matches_fixture(const Tokenizer& tok) {
  const std::vector<test::TokenCase> cases = test::read_token_cases("tokenizer/spm_bpe.jsonl");
  ASSERT_GE(cases.size(), 1000u);
  int failures = 0;
  for (const test::TokenCase& c : cases) {
    if (tok.encode(c.text) != c.ids && ++failures <= 10) {
      ADD_FAILURE() << "ids differ for \"" << test::escaped(c.text) << "\"";
    }
    const std::string decoded = tok.decode(c.ids);
    if (decoded != c.decoded.value_or(c.text) && ++failures <= 10) {
      ADD_FAILURE() << "decode differs for \"" << test::escaped(c.text) << "\": got \"" << test::escaped(decoded) << "\"";
    }
  }
  EXPECT_EQ(failures, 0);
}

// The fixture model's vocabulary as GGUF stores it (tokens, scores, token types).
SpmVocab vocab_of_fixture_model() {
  sentencepiece::SentencePieceProcessor sp;
  EXPECT_TRUE(sp.Load(kModel).ok());
  SpmVocab v;
  for (int id = 0; id < sp.GetPieceSize(); ++id) {
    v.pieces.push_back(sp.IdToPiece(id));
    v.scores.push_back(sp.GetScore(id));
    v.types.push_back(sp.IsUnknown(id) ? 2 : sp.IsControl(id) ? 3 : sp.IsByte(id) ? 6 : sp.IsUnused(id) ? 5 : 1);
  }
  v.bos_id = sp.bos_id();
  v.eos_id = sp.eos_id();
  return v;
}

TEST(SentencePiece, MatchesLlamaTokenizerOnEveryFixtureLine) {
  const auto tok = tokenizer_from_sentencepiece(kModel);
  EXPECT_EQ(tok->vocab_size(), 2000);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->token_text(1), "<s>");
  expect_matches_fixture(*tok);
}

TEST(SentencePiece, SpecialTokensSplitTheText) {
  const auto tok = tokenizer_from_sentencepiece(kModel);
  const std::vector<int32_t> ids = tok->encode("<s>[INST] hi [/INST] ok </s><unk>");
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids[ids.size() - 2], 2);
  EXPECT_EQ(ids.back(), 0);
  EXPECT_EQ(tok->decode(ids), "<s>[INST] hi [/INST] ok </s><unk>");
  // Each stretch after a special token gets the dummy-prefix space, as in LlamaTokenizer(legacy=True).
  EXPECT_EQ(tok->token_text(ids[1]).rfind("\xE2\x96\x81", 0), 0u) << tok->token_text(ids[1]);
  EXPECT_THROW(tok->encode("\xC3("), Error);
  EXPECT_THROW(tok->decode(std::vector<int32_t>{2000}), Error);
}

TEST(SentencePiece, VocabularyFromGgufArraysTokenizesTheSame) {
  const auto tok = tokenizer_from_sentencepiece_proto(serialize_spm_model(vocab_of_fixture_model()), "rebuilt");
  expect_matches_fixture(*tok);
}

TEST(SentencePiece, LlamaGgufTokenizerMatchesTheFixture) {
  const SpmVocab v = vocab_of_fixture_model();
  std::vector<int32_t> types(v.types.begin(), v.types.end());
  test::GgufBuilder b;
  b.add_string("general.architecture", "llama")
      .add_string("tokenizer.ggml.model", "llama")
      .add_string_array("tokenizer.ggml.tokens", v.pieces)
      .add_float32_array("tokenizer.ggml.scores", v.scores)
      .add_int32_array("tokenizer.ggml.token_type", types)
      .add_int32("tokenizer.ggml.bos_token_id", 1)
      .add_int32("tokenizer.ggml.eos_token_id", 2)
      .add_bool("tokenizer.ggml.add_space_prefix", true);
  const std::vector<std::byte> image = b.build();
  const auto tok = tokenizer_from_gguf(*GgufFile::parse(image.data(), image.size(), "llama.gguf"));
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  expect_matches_fixture(*tok);
}

TEST(SentencePiece, RejectsInconsistentArrays) {
  SpmVocab v = vocab_of_fixture_model();
  v.scores.pop_back();
  EXPECT_THROW(serialize_spm_model(v), Error);
  v = vocab_of_fixture_model();
  v.bos_id = 5000;
  EXPECT_THROW(serialize_spm_model(v), Error);
}

TEST(SentencePiece, LoadTokenizerFindsTokenizerModelInADirectory) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "eaglerun_tok_spm_dir";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kModel, dir / "tokenizer.model");
  const auto tok = load_tokenizer(dir.string());
  EXPECT_EQ(tok->vocab_size(), 2000);
  fs::remove_all(dir);
}

TEST(SentencePiece, MissingModelFileIsAnError) {
  EXPECT_THROW(tokenizer_from_sentencepiece("/nonexistent/tokenizer.model"), Error);
}

}  // namespace
}  // namespace eaglerun
