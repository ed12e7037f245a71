// Lossless greedy decoding with the oracle drafter on the tiny transformers-written Llama and
// Mixtral checkpoints: each step's tree holds the right tokens at scheduled sibling ranks and
// depths, so verification must accept 0, 1, ... D drafts, through first and later siblings, and
// keep exactly the accepted KV rows; the output must equal plain greedy decoding token for token.
#include <gtest/gtest.h>

#include <random>

#include "core/weights/open_model.h"
#include "tests/eagle/oracle_check.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

constexpr int64_t kNewTokens = 64;
constexpr int kPrompts = 8;

class OracleLossless : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<Model>(std::shared_ptr<const WeightStore>(open_model(test::fixture(GetParam()))), pool_,
                                      Precision::Fast);
    std::mt19937_64 rng(5);
    for (int i = 0; i < kPrompts; ++i) {
      std::vector<int32_t> p;
      for (int n = 0; n < 5 + i; ++n) p.push_back(static_cast<int32_t>(rng() % target_->config().vocab_size));
      Sampler s({});
      plain_.push_back(generate_plain(*target_, s, {p, kNewTokens, {}, {}}).output_tokens);
      prompts_.push_back(std::move(p));
    }
  }
  test::AcceptanceCounts check(const std::string& tree) {
    return test::expect_oracle_lossless(*target_, prompts_, plain_, tree, kNewTokens, 11);
  }
  ThreadPool pool_{2};
  std::unique_ptr<Model> target_;
  std::vector<std::vector<int32_t>> prompts_, plain_;
};

TEST_P(OracleLossless, Eagle1TreeAcceptsEveryDepthThroughEverySibling) {
  test::expect_acceptance_exercised(check("eagle1"), 5, true, "eagle1");
}

TEST_P(OracleLossless, ChainAcceptsEveryDepth) {
  test::expect_acceptance_exercised(check("chain:4"), 4, false, "chain:4");
}

TEST_P(OracleLossless, DynamicTreesAcceptEveryDepthThroughEverySibling) {
  // total leaves room for every node ranked above the right one: the schedule is realised in full.
  test::expect_acceptance_exercised(check("dynamic:total=40,depth=5,topk=4"), 5, true, "dynamic 40/5/4");
  // The default EAGLE-2 shape (59 nodes, depth 5, top-10).
  test::expect_acceptance_exercised(check("dynamic"), 5, true, "dynamic");
}

TEST_P(OracleLossless, AutoTreeIsLosslessAndAcceptsThroughSiblings) {
  // --tree auto sizes its trees from timings, so which depths it keeps varies from run to run;
  // it must still accept several drafts deep, and through later siblings.
  const test::AcceptanceCounts c = check("auto");
  EXPECT_GT(c.accepted(0), 0) << c.summary();
  int64_t deep = 0;
  for (std::size_t a = 2; a < c.by_length.size(); ++a) deep += c.by_length[a];
  EXPECT_GT(deep, 0) << c.summary();
  EXPECT_GT(c.non_first, 0) << c.summary();
}

INSTANTIATE_TEST_SUITE_P(TinyModels, OracleLossless, ::testing::Values("tiny_llama", "tiny_mixtral"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace eaglerun
