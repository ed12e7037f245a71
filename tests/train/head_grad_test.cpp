// The whole head's gradient (every parameter tensor, random coordinates) against central finite
// differences in double, on a tiny config, for every input variant; the fp32 path against the
// double path; the training forward against the inference forward (DraftHead::forward). Rolled-out
// depths (EAGLE-3's training-time test): each depth's gradient with the earlier depths held, and
// each depth's predictions against the inference path decoding a draft chain.
#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>

#include "core/eagle/draft_head.h"
#include "core/train/param_layout.h"
#include "core/train/sequence_loss.h"
#include "tests/train/grad_check.h"

namespace eaglerun::train {
namespace {

using test::random_doubles;

DraftHeadConfig tiny_config(DraftInputs inputs, bool bias = true, int64_t n_layers = 1,
                            std::vector<int64_t> tap_layers = {}) {
  DraftHeadConfig c;
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 4;
  c.vocab_size = 40;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000.0;
  c.bias = bias;
  c.inputs = inputs;
  c.n_layers = n_layers;
  c.tap_layers = std::move(tap_layers);
  return c;
}

template <typename T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <typename T>
HeadExample<T> tiny_example(int64_t H, std::vector<int64_t> selected, int64_t feature_width = 0) {
  HeadExample<T> ex;
  ex.m = selected.back() + 1;
  ex.emb = cast<T>(random_doubles(ex.m * H, 31));
  ex.features = cast<T>(random_doubles(ex.m * (feature_width > 0 ? feature_width : H), 32, 2.0));
  ex.selected = selected;
  ex.targets = cast<T>(random_doubles(static_cast<int64_t>(selected.size()) * H, 33, 1.5));
  return ex;
}

struct Fixture {
  DraftHeadConfig config;
  DraftHead head;
  ParamLayout layout;
  std::vector<float> lm_w;
  ThreadPool pool{2};
  FrozenLmHead lm;

  explicit Fixture(const DraftHeadConfig& c)
      : config(c), head(DraftHead::random(c, 5, 0.35f)), layout(c),
        lm_w(cast<float>(random_doubles(c.vocab_size * c.hidden_size, 34, 0.8))),
        lm(FrozenLmHead::from_matrix(lm_w.data(), c.vocab_size, c.hidden_size, pool)) {
    for (auto& [name, p] : head.parameters()) {  // norms away from all-ones
      if (!name.ends_with("layernorm.weight")) continue;
      for (float& v : p.values) v += 0.1f * v * v;
    }
  }
};

const LossWeights kWeights{1.0, 0.1};

void check_variant(DraftInputs inputs, bool bias, int64_t n_layers = 1, std::vector<int64_t> tap_layers = {}) {
  Fixture f(tiny_config(inputs, bias, n_layers, std::move(tap_layers)));
  const int64_t F = f.config.feature_width(), W = 16 + F;  // fc's columns
  const HeadExample<double> ex = tiny_example<double>(16, {1, 2, 4, 5}, F);  // T = 7: rows 0..5
  std::vector<double> params = flatten<double>(f.layout, f.head);
  auto loss = [&] {
    return sequence_loss<double>(f.config, head_tensors<const double>(f.layout, params.data()), f.lm, ex, kWeights,
                                 4.0, nullptr, f.pool)
        .total(kWeights);
  };
  std::vector<double> grads(params.size(), 0.0);
  const auto g = head_tensors<double>(f.layout, grads.data());
  sequence_loss<double>(f.config, head_tensors<const double>(f.layout, params.data()), f.lm, ex, kWeights, 4.0, &g,
                        f.pool);
  double max_error = 0;
  for (const ParamSlice& s : f.layout.slices()) {
    std::vector<double> x(params.begin() + s.offset, params.begin() + s.offset + s.size);
    const std::vector<double> a(grads.begin() + s.offset, grads.begin() + s.offset + s.size);
    auto f_slice = [&] {
      std::copy(x.begin(), x.end(), params.begin() + s.offset);
      return loss();
    };
    test::expect_gradient(std::string(draft_inputs_name(inputs)) + " " + s.name, x, a, f_slice, 8, s.offset, 1e-6,
                          1e-6, &max_error);
    std::copy(x.begin(), x.end(), params.begin() + s.offset);
  }
  ::testing::Test::RecordProperty("max_error", std::to_string(max_error));
  std::printf("%s bias=%d: largest gradient error %.2e (relative to max(1, |numeric|))\n",
              std::string(draft_inputs_name(inputs)).c_str(), bias, max_error);
  // The unused part of fc gets no gradient.
  const ParamSlice& fc = f.layout.slice("fc.weight");
  for (int64_t r = 0; r < 16; ++r) {
    for (int64_t c = 0; c < W; ++c) {
      const bool emb_half = c < 16;
      if ((inputs == DraftInputs::FeatureOnly && emb_half) || (inputs == DraftInputs::TokenOnly && !emb_half)) {
        ASSERT_EQ(grads[fc.offset + r * W + c], 0.0);
      }
    }
  }
}

TEST(HeadGrad, MatchesFiniteDifferencesForEveryParameter) {
  check_variant(DraftInputs::FeatureAndShiftedToken, true);
}
TEST(HeadGrad, WithoutFcBias) { check_variant(DraftInputs::FeatureAndShiftedToken, false); }
TEST(HeadGrad, FeatureOnly) { check_variant(DraftInputs::FeatureOnly, true); }
TEST(HeadGrad, TokenOnly) { check_variant(DraftInputs::TokenOnly, true); }
TEST(HeadGrad, FeatureAndUnshiftedToken) { check_variant(DraftInputs::FeatureAndUnshiftedToken, true); }
TEST(HeadGrad, ThreeLayers) { check_variant(DraftInputs::FeatureAndShiftedToken, true, 3); }
TEST(HeadGrad, TwoTapLayers) { check_variant(DraftInputs::FeatureAndShiftedToken, true, 1, {2, 5}); }
TEST(HeadGrad, TokenOnlyWithTaps) { check_variant(DraftInputs::TokenOnly, true, 2, {0}); }

TEST(HeadGrad, FloatPathAgreesWithDouble) {
  Fixture f(tiny_config(DraftInputs::FeatureAndShiftedToken));
  const HeadExample<double> exd = tiny_example<double>(16, {0, 3, 5});
  const HeadExample<float> exf = tiny_example<float>(16, {0, 3, 5});
  std::vector<double> pd = flatten<double>(f.layout, f.head), gd(pd.size(), 0.0);
  std::vector<float> pf = flatten<float>(f.layout, f.head), gf(pf.size(), 0.f);
  const auto g_d = head_tensors<double>(f.layout, gd.data());
  const auto g_f = head_tensors<float>(f.layout, gf.data());
  const LossSums ld = sequence_loss<double>(f.config, head_tensors<const double>(f.layout, pd.data()), f.lm, exd,
                                            kWeights, 3.0, &g_d, f.pool);
  const LossSums lf = sequence_loss<float>(f.config, head_tensors<const float>(f.layout, pf.data()), f.lm, exf,
                                           kWeights, 3.0, &g_f, f.pool);
  EXPECT_NEAR(lf.total(kWeights), ld.total(kWeights), 1e-5 * ld.total(kWeights));
  EXPECT_NEAR(lf.entropy, ld.entropy, 1e-5);
  for (const ParamSlice& s : f.layout.slices()) {
    double err = 0, norm = 0;
    for (int64_t i = s.offset; i < s.offset + s.size; ++i) err += std::pow(gf[i] - gd[i], 2), norm += gd[i] * gd[i];
    EXPECT_LT(std::sqrt(err), 1e-4 * std::sqrt(norm) + 1e-9) << s.name;
  }
}

TEST(HeadGrad, TrainingForwardEqualsInferenceForward) {
  for (const auto& [inputs, n_layers] :
       {std::pair{DraftInputs::FeatureAndShiftedToken, 1}, {DraftInputs::FeatureOnly, 1}, {DraftInputs::TokenOnly, 1},
        {DraftInputs::FeatureAndUnshiftedToken, 1}, {DraftInputs::FeatureAndShiftedToken, 2},
        {DraftInputs::FeatureAndShiftedToken, -1}}) {  // -1: one layer reading two taps
    Fixture f(n_layers > 0 ? tiny_config(inputs, true, n_layers) : tiny_config(inputs, true, 1, {3, 1}));
    const int64_t m = 9, H = 16, F = f.config.feature_width();
    const auto emb = cast<float>(random_doubles(m * H, 41)), feat = cast<float>(random_doubles(m * F, 42));
    std::vector<float> params = flatten<float>(f.layout, f.head);
    HeadActivations<float> a;
    head_forward<float>(f.config, head_tensors<const float>(f.layout, params.data()), emb.data(), feat.data(), m, a,
                        f.pool);
    KvCache kv = f.head.make_cache(m);
    std::vector<int32_t> pos(m);
    std::iota(pos.begin(), pos.end(), 0);
    std::vector<float> out(m * H);
    f.head.forward(emb.data(), feat.data(), m, pos, AttentionMask::causal(0, m), kv, out.data(), f.pool);
    for (int64_t i = 0; i < m * H; ++i) ASSERT_NEAR(a.out[i], out[i], 2e-5 * (1 + std::abs(out[i]))) << draft_inputs_name(inputs) << " layers " << n_layers << " " << i;
  }
}

// Depth d's input features: depth d-1's output at row j - 1 in row j (taps and row 0 zero).
template <typename T>
std::vector<T> rolled_features(const HeadActivations<T>& previous, int64_t m, int64_t H, int64_t F) {
  std::vector<T> features(static_cast<std::size_t>(m * F), T(0));
  for (int64_t j = 1; j < m; ++j) std::copy_n(previous.out.begin() + (j - 1) * H, H, features.begin() + j * F);
  return features;
}

TEST(HeadGrad, RolledOutDepthMatchesFiniteDifferencesWithEarlierDepthsHeld) {
  // The last depth's term alone: the gradient with depths 0..2 less the one with depths 0..1 (each
  // depth's backward is independent of the ones after it), against finite differences of
  //   0.8^2 (w_f feature + w_t token) / normalizer   of depth 2, its inputs and keys from depths 0, 1 held.
  for (const int64_t n_layers : {1, 2}) {
    Fixture f(tiny_config(DraftInputs::FeatureAndShiftedToken, true, n_layers, n_layers == 1 ? std::vector<int64_t>{3}
                                                                                              : std::vector<int64_t>{}));
    const int64_t H = 16, F = f.config.feature_width();
    const HeadExample<double> ex = tiny_example<double>(H, {0, 1, 2, 4, 5}, F);  // rows 0..5; depth 2 scores 2, 4, 5
    const Rollout two{2, 0.8}, three{3, 0.8};
    std::vector<double> params = flatten<double>(f.layout, f.head);
    std::vector<double> g3(params.size(), 0.0), g2(params.size(), 0.0);
    const auto w = head_tensors<const double>(f.layout, params.data());
    const auto t3 = head_tensors<double>(f.layout, g3.data()), t2 = head_tensors<double>(f.layout, g2.data());
    std::vector<LossSums> by_depth;
    sequence_loss<double>(f.config, w, f.lm, ex, kWeights, 5.0, &t3, f.pool, three, &by_depth);
    sequence_loss<double>(f.config, w, f.lm, ex, kWeights, 5.0, &t2, f.pool, two);
    ASSERT_EQ(by_depth.size(), 3u);
    EXPECT_EQ(by_depth[0].positions, 5);
    EXPECT_EQ(by_depth[1].positions, 4);
    EXPECT_EQ(by_depth[2].positions, 3);
    std::vector<double> analytic(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) analytic[i] = g3[i] - g2[i];

    // Depths 0 and 1 at the unperturbed weights.
    HeadActivations<double> a0, a1;
    head_forward<double>(f.config, w, ex.emb.data(), ex.features.data(), ex.m, a0, f.pool);
    const std::vector<double> f1 = rolled_features(a0, ex.m, H, F);
    const HeadActivations<double>* upto0[] = {&a0};
    head_forward<double>(f.config, w, ex.emb.data(), f1.data(), ex.m, a1, f.pool, upto0);
    const std::vector<double> f2 = rolled_features(a1, ex.m, H, F);
    const std::vector<int64_t> rows = {2, 4, 5};  // selected rows >= 2, whose targets are ex.targets[2..4]
    const std::vector<double> targets(ex.targets.begin() + 2 * H, ex.targets.end());
    std::vector<double> x = params;
    auto depth2 = [&] {
      HeadActivations<double> a2;
      const HeadActivations<double>* upto1[] = {&a0, &a1};
      head_forward<double>(f.config, head_tensors<const double>(f.layout, x.data()), ex.emb.data(), f2.data(), ex.m,
                           a2, f.pool, upto1);
      std::vector<double> pred;
      for (const int64_t r : rows) pred.insert(pred.end(), a2.out.begin() + r * H, a2.out.begin() + (r + 1) * H);
      return prediction_loss<double>(f.lm, pred.data(), targets.data(), 3, kWeights, 5.0, nullptr, f.pool);
    };
    const LossSums at_weights = depth2();  // what sequence_loss reported for depth 2
    EXPECT_NEAR(at_weights.feature, by_depth[2].feature, 1e-9);
    EXPECT_NEAR(at_weights.token, by_depth[2].token, 1e-9);
    auto objective = [&] {
      const LossSums s = depth2();
      return 0.64 * (kWeights.feature * s.feature + kWeights.token * s.token) / 5.0;
    };
    double max_error = 0;
    for (const ParamSlice& slice : f.layout.slices()) {
      std::vector<double> xs(x.begin() + slice.offset, x.begin() + slice.offset + slice.size);
      const std::vector<double> as(analytic.begin() + slice.offset, analytic.begin() + slice.offset + slice.size);
      auto f_slice = [&] {
        std::copy(xs.begin(), xs.end(), x.begin() + slice.offset);
        return objective();
      };
      test::expect_gradient("layers " + std::to_string(n_layers) + " depth 2 " + slice.name, xs, as, f_slice, 8,
                            slice.offset, 1e-6, 1e-6, &max_error);
      std::copy(xs.begin(), xs.end(), x.begin() + slice.offset);
    }
    std::printf("rolled-out depth 2, %lld layer(s): largest gradient error %.2e\n", static_cast<long long>(n_layers),
                max_error);
  }
}

TEST(HeadGrad, RolledOutDepthsPredictWhatTheHeadDecodesInAChain) {
  // Depth d at row j + d must be what inference computes d steps into a draft chain after the real
  // prefix 0..j: the prefix through the KV cache, then one row per step feeding back the last
  // prediction (taps zero) with the next token, each attending to the prefix, the chain and itself.
  for (const int64_t n_layers : {1, 2}) {
    Fixture f(tiny_config(DraftInputs::FeatureAndShiftedToken, true, n_layers));
    const int64_t m = 8, H = 16, F = f.config.feature_width(), depths = 4;
    const auto emb = cast<float>(random_doubles(m * H, 43)), feat = cast<float>(random_doubles(m * F, 44));
    std::vector<float> params = flatten<float>(f.layout, f.head);
    const auto w = head_tensors<const float>(f.layout, params.data());
    std::vector<HeadActivations<float>> depth(depths);
    std::vector<const HeadActivations<float>*> earlier;
    head_forward<float>(f.config, w, emb.data(), feat.data(), m, depth[0], f.pool);
    for (int64_t d = 1; d < depths; ++d) {
      earlier.push_back(&depth[d - 1]);
      const std::vector<float> in = rolled_features(depth[d - 1], m, H, F);
      head_forward<float>(f.config, w, emb.data(), in.data(), m, depth[d], f.pool, earlier);
    }
    for (int64_t j = 0; j + 1 < m; ++j) {
      KvCache kv = f.head.make_cache(m + depths);
      std::vector<int32_t> pos(static_cast<std::size_t>(j + 1));
      std::iota(pos.begin(), pos.end(), 0);
      std::vector<float> out(static_cast<std::size_t>((j + 1) * H)), g(H), in(F, 0.f);
      f.head.forward(emb.data(), feat.data(), j + 1, pos, AttentionMask::causal(0, j + 1), kv, out.data(), f.pool);
      std::copy_n(out.begin() + j * H, H, g.begin());
      for (int64_t d = 1; d < depths && j + d < m; ++d) {
        std::copy(g.begin(), g.end(), in.begin());
        const int32_t p = static_cast<int32_t>(j + d);
        f.head.forward(emb.data() + p * H, in.data(), 1, std::span(&p, 1), AttentionMask::causal(kv.size(), 1), kv,
                       g.data(), f.pool);
        for (int64_t t = 0; t < H; ++t) {
          ASSERT_NEAR(depth[d].out[(j + d) * H + t], g[t], 1e-4 * (1 + std::abs(g[t])))
              << "layers " << n_layers << " start " << j << " depth " << d << " [" << t << "]";
        }
      }
    }
  }
}

}  // namespace
}  // namespace eaglerun::train
