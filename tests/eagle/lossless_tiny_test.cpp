// Lossless decoding on the tiny random Llama fixture (transformers-written safetensors):
//   greedy: EAGLE tokens == plain greedy tokens for every tree kind, with a random draft head and
//           with the target as its own draft (then every path is accepted in full);
// (Sampling: lossless_sampling_test.cpp; deep and non-first-branch acceptance: lossless_oracle_test.cpp.)
#include <gtest/gtest.h>

#include <random>

#include "core/eagle/auto_tree.h"
#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/error.h"
#include "core/runtime/target.h"
#include "core/weights/open_model.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

const char* kTrees[] = {"eagle1", "chain:1", "chain:5", "dynamic:total=20,depth=5,topk=4", "dynamic"};

class TinyLossless : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = std::make_unique<Model>(std::shared_ptr<const WeightStore>(open_model(test::fixture("tiny_llama"))),
                                      pool_, Precision::Fast);
    head_ = std::make_unique<DraftHead>(DraftHead::random(DraftHeadConfig::for_target(target_->config()), 7, 0.2f));
  }
  std::vector<int32_t> prompt(uint64_t seed, int n = 9) {
    std::mt19937_64 rng(seed);
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back(static_cast<int32_t>(rng() % target_->config().vocab_size));
    return p;
  }
  std::vector<int32_t> plain(const std::vector<int32_t>& p, int64_t n, SamplingParams sp = {}) {
    Sampler s(sp);
    return generate_plain(*target_, s, {p, n, {}, {}}).output_tokens;
  }
  SpeculativeResult eagle(Drafter& d, const std::vector<int32_t>& p, const std::string& tree, int64_t n,
                          SamplingParams sp = {}) {
    Sampler s(sp);
    return generate_speculative(*target_, d, parse_tree_spec(tree), s, {p, n, {}, {}});
  }
  ThreadPool pool_{2};
  std::unique_ptr<Model> target_;
  std::unique_ptr<DraftHead> head_;
};

TEST_F(TinyLossless, GreedyEagleEqualsPlainForEveryTree) {
  EagleDrafter drafter(*target_, *head_, 256);
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const auto p = prompt(seed);
    const auto want = plain(p, 40);
    for (const char* tree : kTrees) {
      const SpeculativeResult r = eagle(drafter, p, tree, 40);
      EXPECT_EQ(r.generation.output_tokens, want) << "tree " << tree << " prompt " << seed;
    }
  }
}

TEST_F(TinyLossless, GreedyEagleWithTheQuantizedHeadEqualsPlain) {
  DraftHead quantized = *head_;
  quantized.quantize_for_inference();
  EagleDrafter drafter(*target_, quantized, 256);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const auto p = prompt(seed);
    EXPECT_EQ(eagle(drafter, p, "eagle1", 40).generation.output_tokens, plain(p, 40)) << "prompt " << seed;
  }
}

TEST_F(TinyLossless, GreedyEagleWithATwoLayerHeadEqualsPlain) {
  DraftHeadConfig c = DraftHeadConfig::for_target(target_->config());
  c.n_layers = 2;
  const DraftHead two = DraftHead::random(c, 8, 0.2f);
  EagleDrafter drafter(*target_, two, 256);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const auto p = prompt(seed);
    const auto want = plain(p, 40);
    for (const char* tree : {"eagle1", "chain:3"}) {
      EXPECT_EQ(eagle(drafter, p, tree, 40).generation.output_tokens, want) << "tree " << tree << " prompt " << seed;
    }
  }
}

// A head reading the taps of both layers (random fc columns for them, so the taps move its drafts).
TEST_F(TinyLossless, GreedyEagleWithATapHeadEqualsPlain) {
  DraftHeadConfig c = DraftHeadConfig::for_target(target_->config());
  c.tap_layers = {1, 0};
  const DraftHead tapped = DraftHead::random(c, 9, 0.2f);
  EagleDrafter drafter(*target_, tapped, 256);
  EXPECT_EQ(drafter.tap_layers(), c.tap_layers);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const auto p = prompt(seed);
    const auto want = plain(p, 40);
    for (const char* tree : {"eagle1", "chain:3", "dynamic"}) {
      EXPECT_EQ(eagle(drafter, p, tree, 40).generation.output_tokens, want) << "tree " << tree << " prompt " << seed;
    }
  }
}

// With taps set, the target's feature rows are its hidden rows followed by their taps, as
// Model::forward_causal gives them, through forward and keep; and the taps move the drafter's logits.
TEST_F(TinyLossless, TapHeadReadsTheTargetsTapsAtThePrefill) {
  DraftHeadConfig c = DraftHeadConfig::for_target(target_->config());
  c.tap_layers = {0};
  const DraftHead tapped = DraftHead::random(c, 10, 0.2f);
  const auto p = prompt(3);
  LocalTarget target(*target_);
  target.set_feature_taps(c.tap_layers);
  target.begin(32);
  const StepOutput out = target.forward(Step::causal(p, false, true));
  const int64_t H = target_->config().hidden_size, T = static_cast<int64_t>(p.size());
  ASSERT_EQ(static_cast<int64_t>(out.hidden.size()), T * 2 * H);
  KvCache kv = target_->make_cache(T);
  const ForwardOutput direct = target_->forward_causal(p, kv, LogitRows::None, c.tap_layers);
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t j = 0; j < H; ++j) {
      ASSERT_EQ(out.hidden[i * 2 * H + j], direct.hidden[i * H + j]);
      ASSERT_EQ(out.hidden[i * 2 * H + H + j], direct.taps[i * H + j]);
    }
  }
  const std::vector<float> kept = target.keep(std::vector<int32_t>{0, 1}, true);
  EXPECT_EQ(std::vector<float>(kept.begin(), kept.end()), std::vector<float>(out.hidden.begin(), out.hidden.begin() + 4 * H));
  EXPECT_THROW(target.set_feature_taps({2}), Error);  // the tiny model has layers 0 and 1
  EagleDrafter drafter(*target_, tapped, 64);
  drafter.begin(p, out.hidden.data(), 5);
  DraftHead blind = tapped;  // the same head with its tap columns zeroed reads the taps as nothing
  std::vector<float>& fc = blind.parameters().at("fc.weight").values;
  for (int64_t r = 0; r < H; ++r) std::fill_n(fc.begin() + r * 3 * H + 2 * H, H, 0.f);
  EagleDrafter blind_drafter(*target_, blind, 64);
  blind_drafter.begin(p, out.hidden.data(), 5);
  EXPECT_NE(drafter.root_logits(), blind_drafter.root_logits());
}

TEST_F(TinyLossless, AutoTreeIsLossless) {
  EagleDrafter drafter(*target_, *head_, 256);
  TreeSpec spec = parse_tree_spec("auto");
  spec.policy = std::make_shared<AutoTreePolicy>(CostCurve::measure(*target_, 32, 16), kAutoMaxDepth, kAutoMaxTotal);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const auto p = prompt(seed);
    Sampler s({});
    EXPECT_EQ(generate_speculative(*target_, drafter, spec, s, {p, 40, {}, {}}).generation.output_tokens, plain(p, 40))
        << "prompt " << seed;
  }
}

// Copies from the context join every kind of tree. Each prompt is a random one, the target's greedy
// answer to it, and the random prompt again, so that copies of the answer are verified, some accepted
// (67 of 591 here) and most rejected. (SmolLM2's answers repeat far more: lossless_smollm2_test.cpp.)
TEST_F(TinyLossless, GreedyEagleWithContextCopiesEqualsPlain) {
  EagleDrafter drafter(*target_, *head_, 256);
  int64_t copied = 0, accepted_copies = 0, steps = 0, tokens = 0;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    auto p = prompt(seed);
    const auto answer = plain(p, 30);
    const auto random_part = p;
    p.insert(p.end(), answer.begin(), answer.end());
    p.insert(p.end(), random_part.begin(), random_part.end());
    const auto want = plain(p, 60);
    for (const char* tree : {"chain:2+lookup:8", "eagle1+lookup:4", "dynamic:total=20,depth=5,topk=4+lookup:16"}) {
      const SpeculativeResult r = eagle(drafter, p, tree, 60);
      EXPECT_EQ(r.generation.output_tokens, want) << "tree " << tree << " prompt " << seed;
      copied += r.stats.lookup_verified;
      accepted_copies += r.stats.lookup_accepted;
      steps += r.stats.steps;
      tokens += static_cast<int64_t>(r.generation.output_tokens.size());
    }
  }
  std::cout << "[ lookup ] " << copied << " tokens copied, " << accepted_copies << " accepted that the draft had "
            << "not proposed, " << steps << " steps for " << tokens << " tokens\n";
  EXPECT_GT(accepted_copies, 20);
  EXPECT_LT(accepted_copies, copied / 2);
}

TEST_F(TinyLossless, AutoTreeWithContextCopiesIsLossless) {
  EagleDrafter drafter(*target_, *head_, 256);
  TreeSpec spec = parse_tree_spec("auto+lookup:8");
  ASSERT_EQ(spec.kind, TreeSpec::Kind::Auto);
  spec.policy = std::make_shared<AutoTreePolicy>(CostCurve::measure(*target_, 32, 16), kAutoMaxDepth, kAutoMaxTotal);
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const auto p = prompt(seed);
    Sampler s({});
    EXPECT_EQ(generate_speculative(*target_, drafter, spec, s, {p, 40, {}, {}}).generation.output_tokens, plain(p, 40))
        << "prompt " << seed;
  }
}

TEST_F(TinyLossless, SelfDraftAcceptsEveryGreedyPathInFull) {
  ModelDrafter drafter(*target_, 256);
  // Static trees always hold the draft's greedy path. (A dynamic tree need not: it expands the
  // best nodes by cumulative value, which can leave the greedy path unexpanded; it stays lossless.)
  for (const char* tree : {"eagle1", "chain:4", "chain:1"}) {
    const auto p = prompt(42);
    const SpeculativeResult r = eagle(drafter, p, tree, 41);
    EXPECT_EQ(r.generation.output_tokens, plain(p, 41)) << tree;
    const int64_t depth = parse_tree_spec(tree).shape.depth();
    for (std::size_t s = 0; s + 1 < r.stats.accepted_per_step.size(); ++s) {
      EXPECT_EQ(r.stats.accepted_per_step[s], depth) << tree << " step " << s;
    }
    EXPECT_NEAR(r.stats.tau(), depth + 1, 1.0) << tree;  // the last step may be cut by the token limit
    for (double a : r.stats.accepted_by_depth()) EXPECT_EQ(a, 1.0) << tree;
  }
}

}  // namespace
}  // namespace eaglerun
