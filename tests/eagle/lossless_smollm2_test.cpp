// Lossless greedy decoding on the default model (SmolLM2-135M Q4_1, fast kernels): for 20 prompts
// from the four eval sets and every tree kind, EAGLE tokens == plain greedy tokens, with an
// untrained (random) head; with the target as its own draft every path is accepted in full.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/runtime/engine.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

constexpr int64_t kNewTokens = 24;

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

TEST_F(SmolLM2Lossless, RandomHeadEqualsPlainGreedyForEveryTree) {
  ASSERT_EQ(prompts_.size(), 20u);
  const Model& target = engine_->model();
  const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(target.config()), 1, 0.02f);
  EagleDrafter drafter(target, head, 2048);
  for (const char* tree : {"eagle1", "chain:3", "dynamic:total=24,depth=5,topk=6"}) {
    for (std::size_t i = 0; i < prompts_.size(); ++i) {
      EXPECT_EQ(run(drafter, i, tree).generation.output_tokens, plain(i)) << tree << " prompt " << i;
    }
  }
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
