// A grown head computes what the head it grew from did (wider MLP, more key/value heads, more layers),
// its new units can learn (non-zero input weights), and growth that does not fit is an error.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "core/train/grow_head.h"
#include "tests/eagle/tiny_head.h"

namespace eaglerun {
namespace {

// The head's output over 6 random rows.
std::vector<float> run(const DraftHead& head, ThreadPool& pool) {
  const int64_t m = 6, H = head.config().hidden_size;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> emb(m * H), features(m * H);
  for (float& v : emb) v = normal(rng);
  for (float& v : features) v = normal(rng);
  return test::run_head(head, emb, features, m, pool);
}

void expect_same_function(const DraftHead& a, const DraftHead& b) {
  ThreadPool pool(1);
  const std::vector<float> x = run(a, pool), y = run(b, pool);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-4f * (1.f + std::abs(x[i]))) << "value " << i;
}

TEST(GrowHead, WiderMlpComputesTheSame) {
  const DraftHead head = DraftHead::random(test::tiny_head_config(), 3, 0.2f);
  const DraftHead grown = train::grow_head(head, {.intermediate_size = 192}, 5);
  EXPECT_EQ(grown.config().intermediate_size, 192);
  expect_same_function(head, grown);
  // The new units' input weights are drawn (so training moves them), their output weights zero.
  const auto& gate = grown.parameters().at("layers.0.mlp.gate_proj.weight").values;
  const auto& down = grown.parameters().at("layers.0.mlp.down_proj.weight").values;
  float new_gate = 0.f, new_down = 0.f;
  for (size_t i = 128 * 64; i < gate.size(); ++i) new_gate = std::max(new_gate, std::abs(gate[i]));
  for (int64_t r = 0; r < 64; ++r) {
    for (int64_t c = 128; c < 192; ++c) new_down = std::max(new_down, std::abs(down[r * 192 + c]));
  }
  EXPECT_GT(new_gate, 0.01f);
  EXPECT_LE(new_gate, 1.f / 8.f);  // U(-1/sqrt(64), 1/sqrt(64))
  EXPECT_EQ(new_down, 0.f);
}

TEST(GrowHead, MoreKeyValueHeadsComputeTheSame) {
  const DraftHead head = DraftHead::random(test::tiny_head_config(), 4, 0.2f);
  const DraftHead grown = train::grow_head(head, {.n_kv_heads = 4}, 5);
  EXPECT_EQ(grown.config().n_kv_heads, 4);
  expect_same_function(head, grown);
  const DraftHead both = train::grow_head(head, {.intermediate_size = 256, .n_kv_heads = 4}, 6);
  expect_same_function(head, both);
}

TEST(GrowHead, MoreLayersComputeTheSame) {
  const DraftHead head = DraftHead::random(test::tiny_head_config(), 4, 0.2f);
  const DraftHead grown = train::grow_head(head, {.n_layers = 3}, 5);
  EXPECT_EQ(grown.config().n_layers, 3);
  expect_same_function(head, grown);
  EXPECT_NE(grown.parameters().at("layers.2.self_attn.q_proj.weight").values[0], 0.f);  // trainable from step 1
  const DraftHead all = train::grow_head(grown, {.intermediate_size = 192, .n_kv_heads = 4, .n_layers = 4}, 6);
  expect_same_function(head, all);
}

// Tap layers: fc's new columns are zero, so the grown head ignores its taps until trained; with one
// of them non-zero it reads them.
TEST(GrowHead, TapLayersComputeTheSameWhateverTheTaps) {
  const DraftHead head = DraftHead::random(test::tiny_head_config(), 3, 0.2f);
  DraftHead grown = train::grow_head(head, {.tap_layers = {1, 3}}, 5);
  EXPECT_EQ(grown.config().tap_layers, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(grown.parameters().at("fc.weight").shape, (std::vector<int64_t>{64, 64 * 4}));
  const int64_t m = 6, H = 64;
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> emb(m * H), features(m * H), wide(m * 3 * H);
  for (float& v : emb) v = normal(rng);
  for (float& v : features) v = normal(rng);
  for (float& v : wide) v = normal(rng);  // random taps
  for (int64_t i = 0; i < m; ++i) std::copy_n(features.begin() + i * H, H, wide.begin() + i * 3 * H);
  ThreadPool pool(1);
  const std::vector<float> want = test::run_head(head, emb, features, m, pool);
  std::vector<float> got = test::run_head(grown, emb, wide, m, pool);
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4f * (1.f + std::abs(want[i]))) << i;
  grown.parameters().at("fc.weight").values[3 * H] = 0.5f;  // row 0, first column of the second tap
  got = test::run_head(grown, emb, wide, m, pool);
  float moved = 0.f;
  for (size_t i = 0; i < want.size(); ++i) moved = std::max(moved, std::abs(got[i] - want[i]));
  EXPECT_GT(moved, 1e-3f);
  EXPECT_THROW(train::grow_head(grown, {.tap_layers = {2}}, 1), Error);  // already reads taps
}

TEST(GrowHead, GrowthThatDoesNotFitIsAnError) {
  const DraftHead head = DraftHead::random(test::tiny_head_config(), 3);
  EXPECT_THROW(train::grow_head(head, {.intermediate_size = 64}, 1), Error);  // narrower than 128
  EXPECT_THROW(train::grow_head(head, {.n_kv_heads = 3}, 1), Error);          // not a multiple of 2
  EXPECT_THROW(train::grow_head(head, {.n_kv_heads = 8}, 1), Error);          // does not divide 4 query heads
  const DraftHead two = train::grow_head(head, {.n_layers = 2}, 1);
  EXPECT_THROW(train::grow_head(two, {.n_layers = 1}, 1), Error);             // fewer layers
  EXPECT_THROW(train::grow_head(two, {.n_layers = 17}, 1), Error);            // more than a config may hold
}

}  // namespace
}  // namespace eaglerun
