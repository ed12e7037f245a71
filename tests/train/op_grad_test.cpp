// Each op's backward against central finite differences, in double: L = sum(R * op(inputs)) for
// a random R, so the backward is called with dy = R.
#include <gtest/gtest.h>

#include "core/train/attention_grad.h"
#include "core/train/frozen_lm_head.h"
#include "core/train/head_ops.h"
#include "core/train/linear.h"
#include "core/train/loss.h"
#include "tests/train/grad_check.h"

namespace eaglerun::train {
namespace {

using test::dot;
using test::expect_gradient;
using test::random_doubles;

TEST(OpGrad, RmsNorm) {
  const int64_t m = 3, d = 8;
  auto x = random_doubles(m * d, 1), w = random_doubles(d, 2), r = random_doubles(m * d, 3);
  auto loss = [&] {
    std::vector<double> y(m * d), rstd(m);
    rmsnorm_forward(x.data(), w.data(), m, d, 1e-6, y.data(), rstd.data());
    return dot(y, r);
  };
  std::vector<double> y(m * d), rstd(m), dx(m * d, 0.0), dw(d, 0.0);
  rmsnorm_forward(x.data(), w.data(), m, d, 1e-6, y.data(), rstd.data());
  rmsnorm_backward(x.data(), w.data(), rstd.data(), r.data(), m, d, dx.data(), dw.data());
  expect_gradient("dx", x, dx, loss);
  expect_gradient("dw", w, dw, loss);
}

TEST(OpGrad, RopeBackwardIsTheInverseRotation) {
  const int64_t m = 5, heads = 3, hd = 6;
  auto x = random_doubles(m * heads * hd, 4), r = random_doubles(m * heads * hd, 5);
  auto loss = [&] {
    std::vector<double> y = x;
    rope_forward(y.data(), m, heads, hd, 10000.0);
    return dot(y, r);
  };
  std::vector<double> dx = r;
  rope_backward(dx.data(), m, heads, hd, 10000.0);
  expect_gradient("dx", x, dx, loss);
  std::vector<double> y = x;  // and it undoes the forward
  rope_forward(y.data(), m, heads, hd, 500.0);
  rope_backward(y.data(), m, heads, hd, 500.0);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], x[i], 1e-12);
}

TEST(OpGrad, SiluMul) {
  const int64_t n = 20;
  auto g = random_doubles(n, 6, 3.0), u = random_doubles(n, 7), r = random_doubles(n, 8);
  auto loss = [&] {
    std::vector<double> h(n);
    silu_mul_forward(g.data(), u.data(), n, h.data());
    return dot(h, r);
  };
  std::vector<double> dg(n, 0.0), du(n, 0.0);
  silu_mul_backward(g.data(), u.data(), r.data(), n, dg.data(), du.data());
  expect_gradient("dg", g, dg, loss);
  expect_gradient("du", u, du, loss);
}

TEST(OpGrad, CausalGroupedQueryAttention) {
  const AttentionShape s{6, 4, 2, 4};
  ThreadPool pool(2);
  const int64_t Q = s.heads * s.head_dim, K = s.kv_heads * s.head_dim;
  auto q = random_doubles(s.m * Q, 9), k = random_doubles(s.m * K, 10), v = random_doubles(s.m * K, 11);
  auto r = random_doubles(s.m * Q, 12);
  std::vector<double> out(s.m * Q), lse(s.heads * s.m);
  auto loss = [&] {
    attention_forward(s, q.data(), k.data(), v.data(), out.data(), lse.data(), pool);
    return dot(out, r);
  };
  loss();
  std::vector<double> dq(q.size(), 0.0), dk(k.size(), 0.0), dv(v.size(), 0.0);
  attention_backward(s, q.data(), k.data(), v.data(), out.data(), lse.data(), r.data(), dq.data(), dk.data(), dv.data(),
                     pool);
  expect_gradient("dq", q, dq, loss);
  expect_gradient("dk", k, dk, loss);
  expect_gradient("dv", v, dv, loss);
}

TEST(OpGrad, AttentionIsCausal) {
  const AttentionShape s{5, 2, 1, 4};
  ThreadPool pool(1);
  auto q = random_doubles(s.m * 8, 13), k = random_doubles(s.m * 4, 14), v = random_doubles(s.m * 4, 15);
  std::vector<double> out1(s.m * 8), out2(s.m * 8), lse(s.heads * s.m);
  attention_forward(s, q.data(), k.data(), v.data(), out1.data(), lse.data(), pool);
  for (int64_t i = 3 * 4; i < 5 * 4; ++i) k[i] += 1.0, v[i] -= 2.0;  // change rows 3, 4
  attention_forward(s, q.data(), k.data(), v.data(), out2.data(), lse.data(), pool);
  for (int64_t i = 0; i < 3 * 8; ++i) EXPECT_EQ(out1[i], out2[i]);
  EXPECT_NE(out1[3 * 8], out2[3 * 8]);
}

TEST(OpGrad, LinearLayerProducts) {
  ThreadPool pool(1);
  const int64_t m = 4, n = 5, k = 6;
  auto x = random_doubles(m * k, 16), w = random_doubles(n * k, 17), r = random_doubles(m * n, 18);
  auto loss = [&] {
    std::vector<double> y(m * n);
    linear_forward(x.data(), w.data(), m, n, k, y.data(), false, pool);
    return dot(y, r);
  };
  std::vector<double> dx(m * k), dw(n * k);
  linear_input_grad(r.data(), w.data(), m, n, k, dx.data(), false, pool);
  linear_weight_grad(r.data(), x.data(), m, n, k, dw.data(), false, pool);
  expect_gradient("dx", x, dx, loss);
  expect_gradient("dw", w, dw, loss);
}

TEST(OpGrad, SmoothL1BothRegions) {
  const int64_t h = 12;
  auto pred = random_doubles(h, 19, 1.5), target = random_doubles(h, 20);
  for (std::size_t i = 0; i < pred.size(); ++i) {  // keep away from the kink at |e| = 1
    if (std::abs(std::abs(pred[i] - target[i]) - 1.0) < 0.05) pred[i] += 0.2;
  }
  std::vector<double> grad(h, 0.0), unused(h);
  smooth_l1_row(pred.data(), target.data(), h, 1.0, grad.data());
  auto loss = [&] { return smooth_l1_row(pred.data(), target.data(), h, 1.0, unused.data()); };
  expect_gradient("dpred", pred, grad, loss);
  // value: mean over H of 0.5 e^2 (|e| < 1) or |e| - 0.5
  double want = 0;
  for (int64_t i = 0; i < h; ++i) {
    const double e = std::abs(pred[i] - target[i]);
    want += e < 1 ? 0.5 * e * e : e - 0.5;
  }
  EXPECT_NEAR(loss(), want / h, 1e-14);
}

TEST(OpGrad, SoftCrossEntropyAndEntropy) {
  const int64_t v = 17;
  auto z_hat = random_doubles(v, 21, 2.0), z = random_doubles(v, 22, 2.0);
  auto loss = [&] {
    std::vector<double> a = z_hat, b = z;
    double ent;
    return soft_cross_entropy_row(a.data(), b.data(), v, 1.0, &ent);
  };
  std::vector<double> grad = z_hat, p = z;
  double entropy = 0;
  const double ce = soft_cross_entropy_row(grad.data(), p.data(), v, 1.0, &entropy);
  expect_gradient("dz_hat", z_hat, grad, loss);
  // CE = -sum p log q; H(p) = -sum p log p
  std::vector<double> q = z_hat;
  softmax_row(q.data(), v);
  double want_ce = 0, want_h = 0;
  for (int64_t i = 0; i < v; ++i) want_ce -= p[i] * std::log(q[i]), want_h -= p[i] * std::log(p[i]);
  EXPECT_NEAR(ce, want_ce, 1e-12);
  EXPECT_NEAR(entropy, want_h, 1e-12);
}

TEST(OpGrad, FrozenLmHeadFloatAndDoublePathsAgree) {
  ThreadPool pool(2);
  const int64_t V = 70, H = 36, m = 5;
  const auto wd = random_doubles(V * H, 23);
  std::vector<float> w(wd.begin(), wd.end());
  const FrozenLmHead lm = FrozenLmHead::from_matrix(w.data(), V, H, pool);
  EXPECT_EQ(lm.weight(69, 35), w[69 * H + 35]);
  const auto xd = random_doubles(m * H, 24), gd = random_doubles(m * V, 25);
  std::vector<float> xf(xd.begin(), xd.end()), gf(gd.begin(), gd.end()), lf(m * V), dxf(m * H, 0.f);
  std::vector<double> ld(m * V), dxd(m * H, 0.0);
  lm.logits(xf.data(), m, lf.data(), pool);
  lm.logits(xd.data(), m, ld.data(), pool);
  lm.input_grad(gf.data(), m, dxf.data(), pool);
  lm.input_grad(gd.data(), m, dxd.data(), pool);
  for (std::size_t i = 0; i < ld.size(); ++i) EXPECT_NEAR(lf[i], ld[i], 1e-4);
  for (std::size_t i = 0; i < dxd.size(); ++i) EXPECT_NEAR(dxf[i], dxd[i], 1e-4);
}

}  // namespace
}  // namespace eaglerun::train

namespace eaglerun::train {
namespace {

// The fp32 attention (gemm over whole score matrices) against the double reference loops.
TEST(OpGrad, FloatAttentionMatchesDoubleReference) {
  const AttentionShape s{45, 6, 2, 8};
  ThreadPool pool(2);
  const int64_t Q = s.heads * s.head_dim, K = s.kv_heads * s.head_dim;
  const auto qd = test::random_doubles(s.m * Q, 51), kd = test::random_doubles(s.m * K, 52);
  const auto vd = test::random_doubles(s.m * K, 53), rd = test::random_doubles(s.m * Q, 54);
  std::vector<double> od(s.m * Q), ld(s.heads * s.m), dqd(qd.size(), 0.0), dkd(kd.size(), 0.0), dvd(vd.size(), 0.0);
  attention_forward(s, qd.data(), kd.data(), vd.data(), od.data(), ld.data(), pool);
  attention_backward(s, qd.data(), kd.data(), vd.data(), od.data(), ld.data(), rd.data(), dqd.data(), dkd.data(),
                     dvd.data(), pool);
  auto f = [](const std::vector<double>& x) { return std::vector<float>(x.begin(), x.end()); };
  const auto q = f(qd), k = f(kd), v = f(vd), r = f(rd);
  std::vector<float> o(od.size()), l(ld.size()), dq(q.size(), 0.f), dk(k.size(), 0.f), dv(v.size(), 0.f);
  attention_forward(s, q.data(), k.data(), v.data(), o.data(), l.data(), pool);
  attention_backward(s, q.data(), k.data(), v.data(), o.data(), l.data(), r.data(), dq.data(), dk.data(), dv.data(),
                     pool);
  auto expect_close = [](const std::vector<float>& a, const std::vector<double>& b, const char* what) {
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 2e-5 * (1 + std::abs(b[i]))) << what << i;
  };
  expect_close(o, od, "out");
  expect_close(l, ld, "lse");
  expect_close(dq, dqd, "dq");
  expect_close(dk, dkd, "dk");
  expect_close(dv, dvd, "dv");
}

}  // namespace
}  // namespace eaglerun::train
