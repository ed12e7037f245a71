// Validation (rollout accuracy at depths 0..4) against a brute-force rollout, one start at a time,
// through DraftHead::forward; the drafter's inference inputs against the training pairing for
// every input variant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/eagle/eagle_drafter.h"
#include "core/kernels/ops.h"
#include "core/train/example_builder.h"
#include "core/train/param_layout.h"
#include "core/train/trainer.h"
#include "tests/train/tiny_data.h"

namespace eaglerun {
namespace {

class TinyValidation : public ::testing::Test {
 protected:
  void SetUp() override { target_ = train::test::tiny_target(pool_); }

  std::vector<int32_t> iota(int64_t from, int64_t n) {
    std::vector<int32_t> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), static_cast<int32_t>(from));
    return p;
  }
  int64_t top1(const float* x) {
    std::vector<float> logits(256);
    target_->lm_head(x, 1, logits.data());
    return argmax(logits.data(), 256);
  }
  double top1_probability(const float* x) {
    std::vector<float> logits(256);
    target_->lm_head(x, 1, logits.data());
    const float top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - top);
    return 1.0 / sum;
  }
  std::vector<float> embed(int32_t t) {
    std::vector<float> e(64);
    target_->embed(std::span<const int32_t>(&t, 1), e.data());
    return e;
  }

  // Brute force: every start j on its own, one KV cache, one row per depth.
  void rollout(const DraftHead& head, const TrainingSequence& s, int64_t depths, ValidationResult& r) {
    const int64_t H = 64, T = static_cast<int64_t>(s.tokens.size()), n = T - 1;
    for (int64_t j = 0; j < n; ++j) {
      KvCache kv = head.make_cache(j + depths + 1);
      std::vector<float> emb;
      for (int64_t i = 0; i <= j; ++i) {
        const auto e = embed(s.tokens[i + 1]);
        emb.insert(emb.end(), e.begin(), e.end());
      }
      std::vector<float> out((j + 1) * H);
      head.forward(emb.data(), s.features.data(), j + 1, iota(0, j + 1), AttentionMask::causal(0, j + 1), kv,
                   out.data(), pool_);
      std::vector<float> g(out.end() - H, out.end());
      for (int64_t d = 0; d < depths && j + d < n; ++d) {
        const int64_t o = j + d;
        if (d > 0) {
          const auto e = embed(s.tokens[o + 1]);
          std::vector<float> next(H);
          head.forward(e.data(), g.data(), 1, iota(o, 1), AttentionMask::causal(kv.size(), 1), kv, next.data(), pool_);
          g = next;
        }
        if (!s.loss_mask[o]) continue;
        const int64_t t = top1(g.data());
        const bool right = t == top1(s.features.data() + (o + 1) * H);
        ++r.scored[d];
        r.correct_target[d] += right;
        if (d == 0) {
          const int bin = std::min(4, static_cast<int>(5 * top1_probability(s.features.data() + (o + 1) * H)));
          ++r.scored_by_confidence[bin];
          r.correct_by_confidence[bin] += right;
        }
        if (o + 2 < T) ++r.scored_token[d], r.correct_token[d] += t == s.tokens[o + 2];
      }
    }
  }

  ThreadPool pool_{2};
  std::unique_ptr<Model> target_;
};

TEST_F(TinyValidation, RolloutMatchesBruteForceAndCountsAsDocumented) {
  // A head trained a little on these sequences, so accuracies are not all zero.
  InMemoryDataSource data(train::test::tiny_sequences(*target_, 3, 14, 300), 64);
  TrainerConfig c;
  c.lr = 3e-3, c.warmup_steps = 0, c.schedule = "constant", c.total_steps = 150, c.batch_sequences = 3;
  c.feature_noise = 0, c.validation_depths = 5;
  Trainer trainer(c, Trainer::initial_head(*target_, c.inputs, 1), *target_, data, pool_, &data);
  trainer.run(150);
  const ValidationResult v = trainer.validate();
  ValidationResult want;
  want.scored.assign(5, 0), want.correct_target.assign(5, 0), want.scored_token.assign(5, 0),
      want.correct_token.assign(5, 0), want.scored_by_confidence.assign(5, 0), want.correct_by_confidence.assign(5, 0);
  for (int64_t i = 0; i < 3; ++i) rollout(trainer.head(), data.get(i), 5, want);
  EXPECT_EQ(v.sequences, 3);
  EXPECT_EQ(v.scored, want.scored);
  EXPECT_EQ(v.scored_token, want.scored_token);
  EXPECT_EQ(v.correct_target, want.correct_target);
  EXPECT_EQ(v.correct_token, want.correct_token);
  EXPECT_EQ(v.scored_by_confidence, want.scored_by_confidence);
  EXPECT_EQ(v.correct_by_confidence, want.correct_by_confidence);
  EXPECT_GE(std::count_if(v.scored_by_confidence.begin(), v.scored_by_confidence.end(), [](int64_t n) { return n > 0; }),
            2) << "the bins are not exercised";
  std::printf("depth-0 positions by the target's top-1 probability:");
  for (int64_t n : v.scored_by_confidence) std::printf(" %lld", static_cast<long long>(n));
  std::printf("\n");
  // Sequence 0 has T = 14 and loss_mask 0 on t_0..t_2: outputs o = 3..12 are scored; depth d
  // starts at o >= max(3, d). Tokens t_{o+2} exist for o <= 11.
  EXPECT_EQ(v.scored[0], 10 + 9 + 8);
  EXPECT_EQ(v.scored[4], 9 + 8 + 7);
  EXPECT_EQ(v.scored_token[0], 9 + 8 + 7);
  EXPECT_GT(v.accuracy_target()[0], 0.5);
  std::printf("validation after 150 steps: loss %.4f, accuracy vs target top-1 by depth:", v.total_loss);
  for (double a : v.accuracy_target()) std::printf(" %.2f", a);
  std::printf("\n");
}

TEST_F(TinyValidation, TeacherForcedLossMatchesTheTrainingLoss) {
  InMemoryDataSource data(train::test::tiny_sequences(*target_, 2, 16, 400), 64);
  TrainerConfig c;
  c.feature_noise = 0;
  const DraftHead head = Trainer::initial_head(*target_, c.inputs, 2);
  const auto lm = train::FrozenLmHead::from_model(*target_, pool_);
  const std::vector<int64_t> all = {0, 1};
  const ValidationResult v = validate_head(head, lm, lm, *target_, c, data, all, pool_);
  const train::ParamLayout layout(head.config());
  const std::vector<float> params = train::flatten<float>(layout, head);
  train::LossSums sums;
  for (int64_t i : all) {
    sums += train::sequence_loss<float>(head.config(), train::head_tensors<const float>(layout, params.data()), lm,
                                        train::build_example(data.get(i), *target_, c, nullptr), {1.0, 0.1}, 1.0,
                                        nullptr, pool_);
  }
  EXPECT_EQ(v.loss.positions, sums.positions);
  EXPECT_NEAR(v.total_loss, sums.total({1.0, 0.1}), 1e-5 * sums.total({1.0, 0.1}));
}

// The drafter must feed a head what training fed it: its root logits are LMhead of the training
// forward's last context row, and a chain of two tree nodes continues that forward. Tolerance: fp32
// rounding of two implementations (the inference attention sums in 16 lanes with a polynomial exp),
// relative to logits that reach ~100 here.
TEST_F(TinyValidation, DrafterPairsInputsAsTrainingDoesForEveryVariant) {
  const TrainingSequence s = train::test::tiny_sequence(*target_, 9, 0, 500);
  const int64_t H = 64, n = 6;  // context t_0..t_5 with f_0..f_5, root t_6, then nodes t_7, t_8
  for (DraftInputs inputs : {DraftInputs::FeatureAndShiftedToken, DraftInputs::FeatureOnly, DraftInputs::TokenOnly,
                             DraftInputs::FeatureAndUnshiftedToken}) {
    DraftHeadConfig hc = DraftHeadConfig::for_target(target_->config());
    hc.inputs = inputs;
    const DraftHead head = DraftHead::random(hc, 9, 0.2f);
    EagleDrafter drafter(*target_, head, 64);
    drafter.begin(std::span<const int32_t>(s.tokens.data(), n), s.features.data(), s.tokens[n]);
    const std::vector<DraftNode> level1 = {{s.tokens[n + 1], -1, 1}}, level2 = {{s.tokens[n + 2], 0, 2}};
    const std::vector<float> l1 = drafter.expand(level1), l2 = drafter.expand(level2);

    // Training pairing over the chain: rows 0..n-1 real, row n and n+1 fed the previous output.
    const int64_t shift = unshifted_tokens(inputs) ? 0 : 1;
    const train::ParamLayout layout(hc);
    const std::vector<float> params = train::flatten<float>(layout, head);
    const auto w = train::head_tensors<const float>(layout, params.data());
    std::vector<float> emb, feat(s.features.begin(), s.features.begin() + n * H);
    for (int64_t i = 0; i < n + 2; ++i) {
      const auto e = embed(s.tokens[i + shift]);
      emb.insert(emb.end(), e.begin(), e.end());
    }
    std::vector<std::vector<float>> logits;
    for (int64_t rows = n; rows <= n + 2; ++rows) {
      train::HeadActivations<float> a;
      train::head_forward<float>(hc, w, emb.data(), feat.data(), rows, a, pool_);
      std::vector<float> z(256);
      target_->lm_head(a.out.data() + (rows - 1) * H, 1, z.data());
      logits.push_back(z);
      feat.insert(feat.end(), a.out.end() - H, a.out.end());
    }
    for (int64_t v = 0; v < 256; ++v) {
      ASSERT_NEAR(drafter.root_logits()[v], logits[0][v], 1e-3 + 2e-5 * std::fabs(logits[0][v])) << draft_inputs_name(inputs);
      ASSERT_NEAR(l1[v], logits[1][v], 1e-3 + 2e-5 * std::fabs(logits[1][v])) << draft_inputs_name(inputs);
      ASSERT_NEAR(l2[v], logits[2][v], 1e-3 + 2e-5 * std::fabs(logits[2][v])) << draft_inputs_name(inputs);
    }
  }
}

}  // namespace
}  // namespace eaglerun
