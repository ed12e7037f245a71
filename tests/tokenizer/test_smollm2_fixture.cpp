// SmolLM2's GGUF tokenizer against ids from Hugging Face tokenizers (data/fixtures/tokenizer/smollm2_bpe.jsonl).
// Skipped when the model has not been fetched (data/fetch_model.sh).
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "core/tokenizer/tokenizer.h"
#include "tests/test_paths.h"
#include "tests/tokenizer/fixture_io.h"

namespace eaglerun {
namespace {

class SmolLM2Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::exists(test::default_model_path())) tok_ = load_tokenizer(test::default_model_path());
  }
  static void TearDownTestSuite() { tok_.reset(); }
  void SetUp() override {
    if (!tok_) GTEST_SKIP() << "model not found: " << test::default_model_path() << " (run data/fetch_model.sh)";
  }
  static std::unique_ptr<Tokenizer> tok_;
};
std::unique_ptr<Tokenizer> SmolLM2Tokenizer::tok_;

TEST_F(SmolLM2Tokenizer, HasTheModelsSpecialTokens) {
  EXPECT_EQ(tok_->vocab_size(), 49152);
  EXPECT_EQ(tok_->bos_id(), 1);
  EXPECT_EQ(tok_->eos_id(), 2);
  EXPECT_EQ(tok_->token_text(0), "<|endoftext|>");
  EXPECT_EQ(tok_->token_text(2), "<|im_end|>");
  EXPECT_EQ(tok_->encode("<|im_start|>user\n"), (std::vector<int32_t>{1, 4093, 198}));
}

TEST_F(SmolLM2Tokenizer, MatchesHuggingFaceOnEveryFixtureLine) {
  const std::vector<test::TokenCase> cases = test::read_token_cases("tokenizer/smollm2_bpe.jsonl");
  ASSERT_GE(cases.size(), 1000u);
  int failures = 0;
  for (const test::TokenCase& c : cases) {
    const std::vector<int32_t> ids = tok_->encode(c.text);
    if (ids != c.ids && ++failures <= 10) ADD_FAILURE() << "ids differ for \"" << test::escaped(c.text) << "\"";
    const std::string decoded = tok_->decode(c.ids);
    if (decoded != c.decoded.value_or(c.text) && ++failures <= 10) {
      ADD_FAILURE() << "decode differs for \"" << test::escaped(c.text) << "\": got \"" << test::escaped(decoded) << "\"";
    }
  }
  EXPECT_EQ(failures, 0);
}

// encode() is const and shares its piece cache between threads; results must not depend on that.
TEST_F(SmolLM2Tokenizer, EncodesConcurrently) {
  const std::vector<test::TokenCase> cases = test::read_token_cases("tokenizer/smollm2_bpe.jsonl");
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < cases.size() * 2; i += 3) {
        const test::TokenCase& c = cases[i % cases.size()];
        if (tok_->encode(c.text) != c.ids) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace eaglerun
