// The robustness experiment's feature noise: scale x RMS of each row, unit variance for both kinds,
// nothing at scale 0, and the inner drafter sees the noisy features.
#include "experiments/feature_noise_drafter.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "experiments/experiment_config.h"

namespace eaglerun {
namespace {

// Records what it is given.
class Recorder final : public Drafter {
 public:
  void begin(std::span<const int32_t> prompt, const float* f, int32_t) override { seen.assign(f, f + prompt.size() * 4); }
  void advance(const float* f, std::span<const int32_t> t) override { seen.assign(f, f + t.size() * 4); }
  const std::vector<float>& root_logits() const override { return seen; }
  std::vector<float> expand(std::span<const DraftNode>) override { return {}; }
  void discard_tree() override {}
  int64_t vocab_size() const override { return 1; }
  std::vector<float> seen;
};

TEST(FeatureNoise, NoiseIsScaleTimesEachRowsRms) {
  const int64_t H = 4096;
  std::vector<float> rows(2 * H);
  for (int64_t i = 0; i < H; ++i) {
    rows[i] = 1.f;            // RMS 1
    rows[H + i] = i % 2 ? 3.f : -3.f;  // RMS 3
  }
  for (const char* kind : {"gaussian", "uniform"}) {
    Recorder inner;
    FeatureNoiseDrafter d(inner, H, kind, 0.5, 1);
    const std::vector<float> out = d.noisy(rows.data(), 2);
    for (int64_t r = 0; r < 2; ++r) {
      double sq = 0;
      for (int64_t i = 0; i < H; ++i) sq += std::pow(out[r * H + i] - rows[r * H + i], 2);
      EXPECT_NEAR(std::sqrt(sq / H), 0.5 * (r == 0 ? 1 : 3), 0.05 * (r == 0 ? 1 : 3)) << kind << " row " << r;
    }
  }
}

TEST(FeatureNoise, ScaleZeroPassesTheFeaturesThroughAndTheInnerDrafterSeesTheNoise) {
  const std::vector<float> f = {1, -2, 3, 4, 5, 6, -7, 8};
  const std::vector<int32_t> tokens = {1, 2};
  Recorder inner;
  FeatureNoiseDrafter none(inner, 4, "uniform", 0.0, 3);
  none.begin(tokens, f.data(), 0);
  EXPECT_EQ(inner.seen, f);
  FeatureNoiseDrafter some(inner, 4, "gaussian", 0.1, 3);
  some.advance(f.data(), tokens);
  EXPECT_NE(inner.seen, f);
  EXPECT_THROW(FeatureNoiseDrafter(inner, 4, "pink", 0.1, 3), Error);
}

TEST(FeatureNoise, RobustnessConfigsExpandOverTheScales) {
  nlohmann::json j = {{"kind", "robustness"}, {"trees", "chain:3"}, {"eval_sets", "mt_bench"},
                      {"noise_scales", {0.0, 0.25}}};
  const std::vector<ExperimentCell> cells = expand_cells(experiment_config_from_json(j));
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[1].name(), "cell-0001-chain_3-mt_bench-T0-s0-n0.25");
  EXPECT_EQ(cells[1].to_json(experiment_config_from_json(j))["noise_scales"], 0.25);
  j.erase("noise_scales");
  EXPECT_THROW(experiment_config_from_json(j), Error);
  j = {{"kind", "speedup"}, {"trees", "chain:3"}, {"eval_sets", "mt_bench"}, {"noise_scales", {0.1}}};
  EXPECT_THROW(experiment_config_from_json(j), Error);
}

}  // namespace
}  // namespace eaglerun
