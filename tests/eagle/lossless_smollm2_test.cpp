// Lossless greedy decoding on the default model (SmolLM2-135M Q4_1, fast kernels): for 20 prompts
// from the four eval sets, EAGLE tokens == plain greedy tokens
//   - with the oracle drafter for every tree kind: its trees hold the right tokens at scheduled
//     sibling ranks and depths, and the test asserts that steps accepted 0..D drafts and accepted
//     deep paths through non-first siblings (counted from the verified trees);
//   - with an untrained (random) head (which accepts almost nothing: the EagleDrafter code path);
//   - with the target as its own draft, where every path is accepted in full;
//   - with copies from the context (tree+lookup:K) beside the random head.
// The trained default head is compared with plain decoding through the CLI (default_head_test.sh).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/runtime/engine.h"
#include "tests/eagle/oracle_check.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

constexpr int64_t kNewTokens = 32;

std::vector<std::string> eval_prompts() {
  std::vector<std::string> out;
  for (const char* set : {"mt_bench", "humaneval", "gsm8k", "alpaca"}) {
    std::ifstream in(test::source_dir() + "/data/eval/" + set + "/question.jsonl");
    std::string line;
    for (int i = 0; i < 5 && std::getline(in, line); ++i) {
      out.push_back(nlohmann::json::parse(line)["turns"][0].get<std::string>());
    }
  }
  return out;
}

class SmolLM2Lossless : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = new Engine({.model_path = test::default_model_path(), .threads = 2});
    for (const std::string& p : eval_prompts()) prompts_.push_back(engine_->encode_prompt(p, false));
    plain_.assign(prompts_.size(), {});
  }
  // Plain greedy tokens of prompt i, computed on first use (ctest runs each test in its own process).
  static const std::vector<int32_t>& plain(std::size_t i) {
    if (plain_[i].empty()) {
      Sampler s({});
      plain_[i] = generate_plain(engine_->model(), s, {prompts_[i], kNewTokens, {}, {}}).output_tokens;
    }
    return plain_[i];
  }
  static void TearDownTestSuite() { delete engine_; }

  SpeculativeResult run(Drafter& d, std::size_t i, const std::string& tree) {
    Sampler s({});
    return generate_speculative(engine_->model(), d, parse_tree_spec(tree), s, {prompts_[i], kNewTokens, {}, {}});
  }

  static Engine* engine_;
  static std::vector<std::vector<int32_t>> prompts_, plain_;
};

Engine* SmolLM2Lossless::engine_;
std::vector<std::vector<int32_t>> SmolLM2Lossless::prompts_, SmolLM2Lossless::plain_;

TEST_F(SmolLM2Lossless, OracleTreesEqualPlainGreedyAndAcceptEveryDepthAndSibling) {
  ASSERT_EQ(prompts_.size(), 20u);
  std::vector<std::vector<int32_t>> plain_all;
  for (std::size_t i = 0; i < prompts_.size(); ++i) plain_all.push_back(plain(i));
  const Model& target = engine_->model();
  // --tree auto on a fixed cost curve, this model's verify cost on an idle 2-core AVX2 machine
  // (bench/verify_roofline: 16 tokens cost 4.8 decode steps), so that the trees it keeps, and so
  // the acceptance asserted below, do not follow the load of the machine running the tests.
  const CostCurve measured_once{{1, 2, 4, 8, 16, 32}, {4.5e-3, 5.2e-3, 6.0e-3, 11.0e-3, 21.4e-3, 41e-3}};
  auto check = [&](const std::string& tree) {
    return test::expect_oracle_lossless(target, prompts_, plain_all, tree, kNewTokens, 3, &measured_once);
  };
  test::expect_acceptance_exercised(check("eagle1"), 5, true, "eagle1");
  test::expect_acceptance_exercised(check("chain:3"), 3, false, "chain:3");
  // The default EAGLE-2 shape (59 nodes, depth 5, top-10); other dynamic shapes are the tiny models'.
  test::expect_acceptance_exercised(check("dynamic"), 5, true, "dynamic");
  const test::AcceptanceCounts automatic = check("auto");
  EXPECT_GT(automatic.deep_non_first, 0) << automatic.summary();
  EXPECT_GT(automatic.steps - automatic.accepted(0) - automatic.accepted(1), 0) << automatic.summary();
}

TEST_F(SmolLM2Lossless, RandomHeadEqualsPlainGreedyForEveryTree) {
  ASSERT_EQ(prompts_.size(), 20u);
  const Model& target = engine_->model();
  const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(target.config()), 1, 0.02f);
  EagleDrafter drafter(target, head, 2048);
  // The EagleDrafter code path with a head that accepts almost nothing; deep acceptance is the
  // oracle's test above, a trained head's is cli.default_head_lossless. The first prompt of each eval set.
  for (const char* tree : {"eagle1", "chain:3", "dynamic:total=24,depth=5,topk=6"}) {
    for (std::size_t i = 0; i < prompts_.size(); i += 5) {
      EXPECT_EQ(run(drafter, i, tree).generation.output_tokens, plain(i)) << tree << " prompt " << i;
    }
  }
}

// Copies from the context (tree+lookup:K) with the random head: what is accepted beyond the root's
// bonus token is nearly all copied (the answers quote their prompts and repeat themselves), so the
// accepted paths run through copied nodes, deep ones too, on all 20 prompts.
TEST_F(SmolLM2Lossless, ContextCopiesEqualPlainGreedy) {
  const Model& target = engine_->model();
  const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(target.config()), 1, 0.02f);
  EagleDrafter drafter(target, head, 2048);
  int64_t copied = 0, accepted = 0, deepest = 0;
  for (const char* tree : {"chain:1+lookup:16", "dynamic:total=8,depth=3,topk=4+lookup:8"}) {
    for (std::size_t i = 0; i < prompts_.size(); ++i) {
      const SpeculativeResult r = run(drafter, i, tree);
      EXPECT_EQ(r.generation.output_tokens, plain(i)) << tree << " prompt " << i;
      copied += r.stats.lookup_verified;
      accepted += r.stats.lookup_accepted;
      for (int64_t a : r.stats.accepted_per_step) deepest = std::max(deepest, a);
    }
  }
  std::cout << "[ lookup ] " << copied << " tokens copied, " << accepted << " accepted that the draft had not "
            << "proposed, the longest step accepted " << deepest << "\n";
  EXPECT_GT(accepted, 40);
  EXPECT_LT(accepted, copied);
  EXPECT_GE(deepest, 4);
}

TEST_F(SmolLM2Lossless, ReducedDraftVocabularyStaysLossless) {
  const Model& target = engine_->model();
  const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(target.config()), 2, 0.02f);
  std::vector<int32_t> vocab;
  for (int32_t t = 0; t < 4096; ++t) vocab.push_back(t);
  EagleDrafter drafter(target, head, 2048, vocab);
  for (std::size_t i = 0; i < prompts_.size(); i += 4) {
    EXPECT_EQ(run(drafter, i, "eagle1").generation.output_tokens, plain(i)) << "prompt " << i;
  }
}

TEST_F(SmolLM2Lossless, SelfDraftAcceptsEveryPathInFull) {
  ModelDrafter drafter(engine_->model(), 2048);
  for (const char* tree : {"eagle1", "chain:4"}) {
    for (std::size_t i = 0; i < prompts_.size(); i += 5) {
      const SpeculativeResult r = run(drafter, i, tree);
      EXPECT_EQ(r.generation.output_tokens, plain(i)) << tree << " prompt " << i;
      const int64_t depth = parse_tree_spec(tree).shape.depth();
      for (std::size_t s = 0; s + 1 < r.stats.accepted_per_step.size(); ++s) {
        EXPECT_EQ(r.stats.accepted_per_step[s], depth) << tree << " prompt " << i << " step " << s;
      }
    }
  }
}

}  // namespace
}  // namespace eaglerun
