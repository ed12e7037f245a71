// Tiny random LlamaForCausalLM / MixtralForCausalLM checkpoints written by transformers
// (data/fixtures/make_tiny_fixtures.py): our forward pass must match its logits within 1e-4 in the
// fp32 reference path, through a plain pass, a KV-cached pass, and a tree-masked pass; the fast path
// too with an fp32 cache, and within kF16CacheTolerance with the fp16 cache it uses by default.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/model/model.h"
#include "core/weights/open_model.h"
#include "tests/model/fixture_io.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

constexpr double kTolerance = 1e-4;  // fp32 vs fp32 with a different summation order
// An fp16 cache rounds every key and value by up to 2^-11 of itself; through two layers that moves
// these logits (up to 6.2 in magnitude) by at most 6.1e-3 (measured over the three fixtures; the
// attention-level bound is in attention_test.cpp). Bound 1.5e-2.
constexpr double kF16CacheTolerance = 1.5e-2;

struct TinyCase {
  std::string dir;
  Precision precision;
  DType cache;  // the KV cache's type
  double tolerance;
};

class TinyModel : public ::testing::TestWithParam<TinyCase> {
 protected:
  void SetUp() override {
    const std::string dir = test::fixture(GetParam().dir);
    expected_ = test::read_json(dir + "/expected.json");
    model_ = std::make_unique<Model>(std::shared_ptr<const WeightStore>(open_model(dir)), pool_, GetParam().precision);
  }
  KvCache make_cache(int64_t capacity) const { return KvCache(model_->config(), capacity, GetParam().cache); }
  ThreadPool pool_{2};
  nlohmann::json expected_;
  std::unique_ptr<Model> model_;
};

TEST_P(TinyModel, LogitsAndFeaturesMatchTransformersAtEveryPosition) {
  for (const auto& seq : expected_["sequences"]) {
    const auto ids = seq["ids"].get<std::vector<int32_t>>();
    KvCache kv = make_cache(static_cast<int64_t>(ids.size()));
    const ForwardOutput out = model_->forward_causal(ids, kv, LogitRows::All);
    EXPECT_LE(test::max_abs_diff(out.logits.data(), test::flatten(seq["logits"])), GetParam().tolerance);
    EXPECT_LE(test::max_abs_diff(out.hidden.data(), test::flatten(seq["hidden_final_norm"])), GetParam().tolerance);
  }
}

TEST_P(TinyModel, CachedStepsMatchOnePass) {
  const auto& check = expected_["kv_cache_check"];
  const auto& seq = expected_["sequences"][check["sequence"].get<int>()];
  const auto ids = seq["ids"].get<std::vector<int32_t>>();
  const int prefill = check["prefill"], step = check["step"];
  KvCache kv = make_cache(prefill + step);
  model_->forward_causal(std::span(ids).first(prefill), kv, LogitRows::None);
  const ForwardOutput out = model_->forward_causal(std::span(ids).subspan(prefill, step), kv, LogitRows::All);
  const std::vector<float> all = test::flatten(seq["logits"]);
  const int64_t V = model_->config().vocab_size;
  const std::vector<float> want(all.begin() + prefill * V, all.begin() + (prefill + step) * V);
  EXPECT_LE(test::max_abs_diff(out.logits.data(), want), GetParam().tolerance);
}

TEST_P(TinyModel, TreeMaskedPassMatchesPerPathForward) {
  const auto& tree = expected_["tree"];
  const auto prefix = tree["prefix_ids"].get<std::vector<int32_t>>();
  const auto tokens = tree["tokens"].get<std::vector<int32_t>>();
  const auto positions = tree["positions"].get<std::vector<int32_t>>();
  const auto rows = tree["mask"].get<std::vector<std::vector<int>>>();
  const auto n = static_cast<int64_t>(tokens.size()), past = static_cast<int64_t>(prefix.size());
  KvCache kv = make_cache(past + n);
  model_->forward_causal(prefix, kv, LogitRows::None);
  AttentionMask mask = AttentionMask::prefix_only(past, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) mask.set(i, past + j, rows[i][j] != 0);
  }
  const ForwardOutput out = model_->forward(tokens, positions, mask, kv, LogitRows::All);
  EXPECT_LE(test::max_abs_diff(out.logits.data(), test::flatten(tree["logits"])), GetParam().tolerance);
}

// The fast path on fp32/bf16 weights converts on the fly and accumulates in fp32 with a different
// blocking; it stays within a few ulps of the reference at these magnitudes. Its default cache is
// fp16 (Model::make_cache).
// Taps (draft heads that read lower layers): tap l is the residual stream after layer l over its RMS.
// The last layer's tap times the final norm's weight is the final-normed feature transformers gave;
// each tap has RMS 1; the taps do not depend on which others a pass asks for or on the pass's other
// sequences; and they leave the hidden states and logits as they were.
TEST_P(TinyModel, TapsAreTheNormedResidualStreamAfterEachLayer) {
  const auto& seq = expected_["sequences"][0];
  const auto ids = seq["ids"].get<std::vector<int32_t>>();
  const auto T = static_cast<int64_t>(ids.size()), H = model_->config().hidden_size, L = model_->config().n_layers;
  const std::vector<int64_t> taps = {L - 1, 0};
  KvCache kv = make_cache(T);
  const ForwardOutput out = model_->forward_causal(ids, kv, LogitRows::All, taps);
  ASSERT_EQ(static_cast<int64_t>(out.taps.size()), T * 2 * H);
  EXPECT_LE(test::max_abs_diff(out.logits.data(), test::flatten(seq["logits"])), GetParam().tolerance);
  const std::vector<float>& norm = model_->weights().final_norm;
  std::vector<float> top(static_cast<std::size_t>(T * H));
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t t = 0; t < 2; ++t) {
      double sum_sq = 0;
      for (int64_t j = 0; j < H; ++j) sum_sq += std::pow(out.taps[(i * 2 + t) * H + j], 2);
      EXPECT_NEAR(std::sqrt(sum_sq / H), 1.0, 1e-3) << "row " << i << " tap " << t;
    }
    for (int64_t j = 0; j < H; ++j) top[i * H + j] = out.taps[i * 2 * H + j] * norm[j];
  }
  EXPECT_LE(test::max_abs_diff(top.data(), test::flatten(seq["hidden_final_norm"])), GetParam().tolerance);
  // Layer 0 alone, in a pass of two sequences (this one second): the same values.
  const std::vector<int32_t> other = {3, 1, 4};
  KvCache kv_a = make_cache(3), kv_b = make_cache(T);
  std::vector<int32_t> pos_a = {0, 1, 2}, pos_b(static_cast<std::size_t>(T));
  std::iota(pos_b.begin(), pos_b.end(), 0);
  const AttentionMask mask_a = AttentionMask::causal(0, 3), mask_b = AttentionMask::causal(0, T);
  const SequenceStep steps[] = {{other, pos_a, &mask_a, &kv_a, LogitRows::None}, {ids, pos_b, &mask_b, &kv_b, LogitRows::None}};
  const std::vector<int64_t> layer0 = {0};
  const std::vector<ForwardOutput> both = model_->forward(steps, layer0);
  ASSERT_EQ(static_cast<int64_t>(both[1].taps.size()), T * H);
  for (int64_t i = 0; i < T; ++i) {
    for (int64_t j = 0; j < H; ++j) ASSERT_EQ(both[1].taps[i * H + j], out.taps[(i * 2 + 1) * H + j]) << i << " " << j;
  }
  KvCache kv_bad = make_cache(T);
  const std::vector<int64_t> outside = {L};
  EXPECT_THROW(model_->forward_causal(ids, kv_bad, LogitRows::None, outside), Error);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TinyModel,
    ::testing::Values(TinyCase{"tiny_llama", Precision::Reference, DType::F32, kTolerance},
                      TinyCase{"tiny_llama_bf16", Precision::Reference, DType::F32, kTolerance},
                      TinyCase{"tiny_mixtral", Precision::Reference, DType::F32, kTolerance},
                      TinyCase{"tiny_llama", Precision::Fast, DType::F32, kTolerance},
                      TinyCase{"tiny_llama_bf16", Precision::Fast, DType::F32, kTolerance},
                      TinyCase{"tiny_mixtral", Precision::Fast, DType::F32, kTolerance},
                      TinyCase{"tiny_llama", Precision::Fast, DType::F16, kF16CacheTolerance},
                      TinyCase{"tiny_llama_bf16", Precision::Fast, DType::F16, kF16CacheTolerance},
                      TinyCase{"tiny_mixtral", Precision::Fast, DType::F16, kF16CacheTolerance}),
    [](const auto& info) {
      return info.param.dir + (info.param.precision == Precision::Fast ? "_fast" : "_reference") + "_" +
             std::string(dtype_info(info.param.cache).name) + "_cache";
    });

// The fast path keeps fp16 rows, the reference path fp32.
TEST(ModelCache, FastPathCachesFp16AndReferenceFp32) {
  ThreadPool pool(1);
  const auto store = std::shared_ptr<const WeightStore>(open_model(test::fixture("tiny_llama")));
  EXPECT_EQ(Model(store, pool, Precision::Fast).make_cache(4).dtype(), DType::F16);
  EXPECT_EQ(Model(store, pool, Precision::Reference).make_cache(4).dtype(), DType::F32);
}

}  // namespace
}  // namespace eaglerun
