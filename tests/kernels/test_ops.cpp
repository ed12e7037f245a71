// Element-wise ops against their formulas evaluated in double.
#include "core/kernels/ops.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/error.h"
#include "tests/kernels/isa_scope.h"

namespace eaglerun {
namespace {

std::vector<float> random_values(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(Ops, RmsNorm) {
  const int64_t n = 3, dim = 576;
  const std::vector<float> x = random_values(n * dim, 1, 3.0f);
  const std::vector<float> w = random_values(dim, 2);
  std::vector<float> out(n * dim);
  rmsnorm(x.data(), w.data(), n, dim, 1e-5f, out.data());
  for (int64_t i = 0; i < n; ++i) {
    double ss = 0.0;
    for (int64_t j = 0; j < dim; ++j) ss += static_cast<double>(x[i * dim + j]) * x[i * dim + j];
    const double scale = 1.0 / std::sqrt(ss / dim + 1e-5);
    for (int64_t j = 0; j < dim; ++j) {
      const double want = w[j] * x[i * dim + j] * scale;
      ASSERT_NEAR(out[i * dim + j], want, 4e-7 * std::fabs(want) + 1e-30) << i << "," << j;
    }
  }
  std::vector<float> inplace = x;  // out may alias x
  rmsnorm(inplace.data(), w.data(), n, dim, 1e-5f, inplace.data());
  EXPECT_EQ(inplace, out);
}

// rmsnorm's rows are normalised several at a time (side by side, each its own chain of double
// additions): every row has the bits of the plain one-row loop, whatever n and the row's place.
TEST(Ops, RmsNormRowsHaveTheBitsOfTheOneRowLoop) {
  const int64_t dim = 576;
  const std::vector<float> x = random_values(19 * dim, 11, 3.0f);
  const std::vector<float> w = random_values(dim, 12);
  for (int64_t n : {1, 2, 7, 8, 9, 16, 19}) {
    std::vector<float> out(n * dim);
    rmsnorm(x.data(), w.data(), n, dim, 1e-5f, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const float* row = x.data() + i * dim;
      double sum_sq = 0.0;
      for (int64_t j = 0; j < dim; ++j) sum_sq += static_cast<double>(row[j]) * row[j];
      const float mean_sq = static_cast<float>(sum_sq / static_cast<double>(dim));
      const float scale = 1.0f / std::sqrt(mean_sq + 1e-5f);
      for (int64_t j = 0; j < dim; ++j) {
        ASSERT_EQ(std::bit_cast<uint32_t>(out[i * dim + j]), std::bit_cast<uint32_t>(w[j] * (row[j] * scale)))
            << "n " << n << " row " << i << " col " << j;
      }
    }
  }
}

// The pool overloads split rows (rmsnorm) or elements (silu_mul) over threads: the same bits.
TEST(Ops, PoolOverloadsHaveTheBitsOfTheOneThreadCalls) {
  ThreadPool two(2), three(3);
  const int64_t dim = 576;
  const std::vector<float> x = random_values(40 * dim, 15, 3.0f), w = random_values(dim, 16);
  for (int64_t n : {1, 3, 8, 17, 40}) {
    std::vector<float> want(n * dim), got(n * dim);
    rmsnorm(x.data(), w.data(), n, dim, 1e-5f, want.data());
    for (ThreadPool* pool : {&two, &three}) {
      rmsnorm(x.data(), w.data(), n, dim, 1e-5f, got.data(), *pool);
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), want.size() * sizeof(float))) << "rmsnorm n " << n;
    }
  }
  const std::vector<float> g = random_values(40000, 17, 5.0f), u = random_values(40000, 18);
  for (int64_t n : {100, 8191, 8192, 20001, 40000}) {
    std::vector<float> want(n), got(n);
    silu_mul(g.data(), u.data(), n, want.data());
    for (ThreadPool* pool : {&two, &three}) {
      silu_mul(g.data(), u.data(), n, got.data(), *pool);
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), want.size() * sizeof(float))) << "silu_mul n " << n;
    }
  }
}

// rope vs the rotation formula in double, for both pairings.
void check_rope(RopePairing pairing, std::vector<int32_t> positions) {
  const int64_t n = static_cast<int64_t>(positions.size()), heads = 3, hd = 64, half = hd / 2;
  const double theta = 10000.0;
  const std::vector<float> x = random_values(n * heads * hd, 3);
  std::vector<float> y = x;
  rope(y.data(), positions.data(), n, heads, hd, theta, pairing);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t h = 0; h < heads; ++h) {
      const float* in = x.data() + (i * heads + h) * hd;
      const float* out = y.data() + (i * heads + h) * hd;
      for (int64_t j = 0; j < half; ++j) {
        const double angle = positions[i] * std::pow(theta, -2.0 * j / hd);
        const int64_t a = pairing == RopePairing::Halves ? j : 2 * j;
        const int64_t b = pairing == RopePairing::Halves ? j + half : 2 * j + 1;
        const double want_a = in[a] * std::cos(angle) - in[b] * std::sin(angle);
        const double want_b = in[b] * std::cos(angle) + in[a] * std::sin(angle);
        const double tol = 3e-7 * (std::fabs(in[a]) + std::fabs(in[b]));
        ASSERT_NEAR(out[a], want_a, tol) << "pos " << positions[i] << " head " << h << " pair " << j;
        ASSERT_NEAR(out[b], want_b, tol) << "pos " << positions[i] << " head " << h << " pair " << j;
      }
    }
  }
}

TEST(Ops, RopeHalvesRotatesDimWithDimPlusHalf) {
  check_rope(RopePairing::Halves, {0, 1, 2, 17, 300});
  check_rope(RopePairing::Halves, {5000, 3, 70});  // the cached table grows, then is reused
}

TEST(Ops, RopeAdjacentRotatesEvenWithOdd) {
  check_rope(RopePairing::Adjacent, {0, 1, 9, 4097});
  check_rope(RopePairing::Adjacent, {12, 11});
}

TEST(Ops, RopePositionZeroIsIdentity) {
  std::vector<float> x = random_values(64, 4);
  const std::vector<float> before = x;
  const int32_t pos = 0;
  rope(x.data(), &pos, 1, 1, 64, 10000.0, RopePairing::Halves);
  EXPECT_EQ(x, before);
}

TEST(Ops, RopeRejectsOddHeadDim) {
  std::vector<float> x(6);
  const int32_t pos = 1;
  EXPECT_THROW(rope(x.data(), &pos, 1, 2, 3, 10000.0, RopePairing::Halves), Error);
}

TEST(Ops, SiluMul) {
  const std::vector<float> g = random_values(1000, 5, 4.0f), u = random_values(1000, 6);
  std::vector<float> out(1000);
  silu_mul(g.data(), u.data(), 1000, out.data());
  for (int i = 0; i < 1000; ++i) {
    const double want = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i];
    ASSERT_NEAR(out[i], want, 1e-6 * std::fabs(want) + 1e-30) << i;
  }
  const float big[3] = {-100.0f, 100.0f, 0.0f}, one[3] = {1.0f, 1.0f, 1.0f};
  float o[3];
  silu_mul(big, one, 3, o);
  EXPECT_NEAR(o[0], 0.0f, 1e-30);
  EXPECT_EQ(o[1], 100.0f);
  EXPECT_EQ(o[2], 0.0f);
}

// silu_mul takes exp(-g) from exp_shifted (vector lanes): on every ISA each output has the bits of
// g / (1 + std::exp(-g)) * up, over the whole range where exp over- and underflows, and signed zeros.
TEST(Ops, SiluMulHasTheBitsOfTheScalarFormulaOnEveryIsa) {
  std::vector<float> g = random_values(3001, 13, 6.0f), u = random_values(3001, 14);
  for (float v = -110.0f; v <= 110.0f; v += 0.37f) {
    g.push_back(v);
    u.push_back(0.5f);
  }
  for (float v : {0.0f, -0.0f, 88.7f, -88.8f, 104.0f, -104.0f, 1e-30f, -1e-30f}) {
    g.push_back(v);
    u.push_back(-3.0f);
  }
  const auto n = static_cast<int64_t>(g.size());
  for (KernelIsa isa : test::supported_isas()) {
    test::IsaScope scope(isa);
    std::vector<float> out(g.size());
    silu_mul(g.data(), u.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const float want = g[i] / (1.0f + std::exp(-g[i])) * u[i];
      ASSERT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(want))
          << kernel_isa_name(isa) << " g " << g[i] << " up " << u[i];
    }
    std::vector<float> inplace = g;  // out may alias gate
    silu_mul(inplace.data(), u.data(), n, inplace.data());
    EXPECT_EQ(0, std::memcmp(inplace.data(), out.data(), out.size() * sizeof(float)));
  }
}

TEST(Ops, Softmax) {
  std::vector<float> x = random_values(5000, 7, 5.0f);
  x[10] = 80.0f;  // exp(80) overflows fp32 without the max subtraction
  const std::vector<float> in = x;
  softmax(x.data(), 5000);
  double max = -1e300, sum_exp = 0.0, total = 0.0;
  for (float v : in) max = std::max(max, static_cast<double>(v));
  for (float v : in) sum_exp += std::exp(v - max);
  for (int i = 0; i < 5000; ++i) {
    const double want = std::exp(in[i] - max) / sum_exp;
    // fp32 rounding of x - max (relative 2^-24 |x - max| after exp) plus a few ulps of exp and scaling.
    const double tol = want * (std::fabs(in[i] - max) / (1 << 24) + 1e-6) + 1e-37;
    ASSERT_NEAR(x[i], want, tol) << i;
    total += x[i];
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
  float single = -3.0f;
  softmax(&single, 1);
  EXPECT_EQ(single, 1.0f);
}

TEST(Ops, ArgmaxLowestIndexWinsTies) {
  const float x[6] = {1.0f, 7.0f, 3.0f, 7.0f, -2.0f, 7.0f};
  EXPECT_EQ(argmax(x, 6), 1);
  const float ninf = -std::numeric_limits<float>::infinity();
  const float all_low[3] = {ninf, ninf, ninf};
  EXPECT_EQ(argmax(all_low, 3), 0);
  const float with_nan[3] = {1.0f, NAN, 2.0f};
  EXPECT_EQ(argmax(with_nan, 3), 2);  // nan never wins
  const float neg[4] = {-5.0f, -1.0f, -1.0f, -3.0f};
  EXPECT_EQ(argmax(neg, 4), 1);
}

TEST(Ops, AddInplace) {
  std::vector<float> a = {1.0f, 2.0f, 3.0f};
  const std::vector<float> b = {0.5f, -2.0f, 1e-8f};
  add_inplace(a.data(), b.data(), 3);
  EXPECT_EQ(a, (std::vector<float>{1.5f, 0.0f, 3.0f + 1e-8f}));
}

}  // namespace
}  // namespace eaglerun
