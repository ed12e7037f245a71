// Precision::Fast, on every kernel ISA this CPU supports, against a double-precision product.
//
// Tolerance for Q8_0 / Q4_0 / Q4_1 weights. The kernels quantise each block b of 32 activations
// to q_j = round(x_j / dx_b) with dx_b = max|x_b| / 127, so |x_j - dx_b q_j| <= dx_b / 2, and then
// compute sum_j w_j dx_b q_j with exact integer block dot products. Hence, at worst (all rounding
// errors aligned with the weights' signs),
//   E_q = sum_b (max|x_b| / 254) sum_{j in b} |w_j|                           (c = 1, not a fudge)
// On top come fp32 roundings of the per-block terms d_w dx dot + m s (about 3 each) and of the
// accumulation over at most k/32 blocks per lane and the final lane reduction (<= 8 levels). Each
// is at most 2^-24 relative to the magnitude of the terms, sum_j (|d_w q_j| + |m|)(|x_j| + dx_b/2),
// where |d_w q_j| + |m| >= |w_j| because the scale and min terms are summed separately (Q4_0 is
// d q - 8 d):
//   E_f = (k/32 + 16) 2^-24 sum_j (|d_w q_j| + |m|)(|x_j| + dx_b / 2)
// The assertion is |fast - exact| <= 1.0001 E_q + E_f (1.0001 covers dx_b's own fp32 rounding).
//
// F32 / F16 / BF16 weights: no quantisation, fp32 accumulation in >= 8 lanes:
//   |fast - exact| <= (k/8 + 16) 2^-24 sum_j |w_j x_j|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/matmul.h"
#include "tests/kernels/isa_scope.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

using test::kUlp;

using test::IsaScope;
using test::supported_isas;

// An upper bound of |d q| + |m| for element i: the magnitude of the terms the kernels add for it.
double term_magnitude(DType t, const std::byte* row, int64_t i) {
  if (t != DType::Q4_0 && t != DType::Q4_1) return std::fabs(test::element_value(t, row, i));
  const std::byte* b = row + dtype_info(t).block_bytes * (i / 32);
  const double d = std::fabs(test::half_value(test::u16_at(b)));
  return t == DType::Q4_0 ? 23.0 * d : 15.0 * d + std::fabs(test::half_value(test::u16_at(b + 2)));
}

// Tolerance of one output: weight row `row` (k elements) times activations x[k].
double fast_tolerance(DType t, const std::byte* row, const float* x, int64_t k) {
  if (!is_quantised(t)) {
    double plain = 0.0;
    for (int64_t j = 0; j < k; ++j) plain += std::fabs(test::element_value(t, row, j) * x[j]);
    return (k / 8.0 + 16.0) * kUlp * plain + 1e-30;
  }
  double eq = 0.0, ef = 0.0;
  for (int64_t j0 = 0; j0 < k; j0 += 32) {
    double amax = 0.0;
    for (int64_t j = j0; j < j0 + 32; ++j) amax = std::max(amax, std::fabs(static_cast<double>(x[j])));
    const double half_step = amax / 254.0;
    for (int64_t j = j0; j < j0 + 32; ++j) {
      eq += half_step * std::fabs(test::element_value(t, row, j));
      ef += term_magnitude(t, row, j) * (std::fabs(x[j]) + half_step);
    }
  }
  return 1.0001 * eq + (k / 32.0 + 16.0) * kUlp * ef;
}

// Largest |fast - exact| / tolerance seen per ISA and quantised dtype (see ToleranceIsWithinAFactorOfTheWorstError).
std::map<std::string, double>& worst_ratio() {
  static std::map<std::string, double> m;
  return m;
}

void check_fast(DType t, int64_t rows, int64_t k, int64_t n, ThreadPool& pool) {
  const test::OwnedTensor w = test::random_weights(t, rows, k, 100 + static_cast<uint32_t>(k + n));
  const std::vector<float> x = test::random_activations(n, k, 200 + static_cast<uint32_t>(n));
  std::vector<float> y(n * rows, NAN);
  matmul(w.view, x.data(), n, y.data(), Precision::Fast, pool);
  const test::ExactProduct e = test::exact_product(w.view, x.data(), n);
  const std::string key = std::string(kernel_isa_name(active_kernel_isa())) + " " + std::string(dtype_info(t).name);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int64_t c = static_cast<int64_t>(i) / rows, r = static_cast<int64_t>(i) % rows;
    const double tol = fast_tolerance(t, w.view.row(r), x.data() + c * k, k);
    const double err = std::fabs(y[i] - e.y[i]);
    ASSERT_LE(err, tol) << key << " rows=" << rows << " k=" << k << " n=" << n << " output " << i
                           << " got " << y[i] << " want " << e.y[i];
    if (is_quantised(t)) worst_ratio()[key] = std::max(worst_ratio()[key], err / tol);
  }
}

TEST(MatmulFast, EveryIsaDTypeAndTokenCount) {
  ThreadPool pool(2);
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      for (int64_t n : {1, 2, 3, 7, 32, 100}) check_fast(t, 37, 96, n, pool);
    }
  }
}

TEST(MatmulFast, RowTailsGroupTailsAndLongRows) {
  ThreadPool pool(2);
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      for (int64_t rows : {1, 2, 3, 5, 6, 7}) check_fast(t, rows, 32, 5, pool);
      for (int64_t k : {32, 64, 160, 224, 576}) check_fast(t, 13, k, 1, pool);
      check_fast(t, 9, 576, 6, pool);
      check_fast(t, 6, 2144, 9, pool);  // several 2048-element chunks and a partial group
      check_fast(t, 5, 2144, 2, pool);
    }
    for (DType t : {DType::F32, DType::F16, DType::BF16}) {
      for (int64_t k : {1, 7, 15, 17, 75}) check_fast(t, 6, k, 3, pool);
    }
  }
}

TEST(MatmulFast, ThreadCountsGiveIdenticalResults) {
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      const test::OwnedTensor w = test::random_weights(t, 131, 576, 5);
      const std::vector<float> x = test::random_activations(7, 576, 6);
      std::vector<float> first;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        check_fast(t, 19, 160, 3, pool);
        std::vector<float> y(7 * 131);
        matmul(w.view, x.data(), 7, y.data(), Precision::Fast, pool);
        if (first.empty()) first = y;
        EXPECT_EQ(std::memcmp(first.data(), y.data(), y.size() * sizeof(float)), 0)
            << kernel_isa_name(isa) << " " << dtype_info(t).name << " " << threads << " threads";
      }
    }
  }
}

TEST(MatmulFast, RowSliceMatchesFullProduct) {
  ThreadPool pool(2);
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      const test::OwnedTensor w = test::random_weights(t, 50, 128, 9);
      const std::vector<float> x = test::random_activations(6, 128, 2);
      std::vector<float> full(6 * 50), part(6 * 20);
      matmul(w.view, x.data(), 6, full.data(), Precision::Fast, pool);
      matmul_rows(w.view, 16, 36, x.data(), 6, part.data(), Precision::Fast, pool);
      for (int c = 0; c < 6; ++c) {
        for (int r = 0; r < 20; ++r) ASSERT_EQ(part[c * 20 + r], full[c * 50 + 16 + r]) << dtype_info(t).name;
      }
    }
  }
}

// Lossless speculative decoding rests on this: a row's result must not depend on how many rows
// share the call (a draft tree verifies n > 4 tokens at once, plain decoding one at a time).
TEST(MatmulFast, EachRowHasTheSameBitsWhateverTheTokenCount) {
  ThreadPool pool(2);
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      for (int64_t k : {96, 576, 2144, 4096}) {  // one chunk, several chunks, a partial unit
        const test::OwnedTensor w = test::random_weights(t, 21, k, 11);
        const std::vector<float> x = test::random_activations(9, k, 12);
        std::vector<float> all(9 * 21);
        matmul(w.view, x.data(), 9, all.data(), Precision::Fast, pool);
        for (int64_t n : {1, 2, 4, 5}) {
          for (int64_t c0 = 0; c0 + n <= 9; c0 += n) {
            std::vector<float> some(n * 21);
            matmul(w.view, x.data() + c0 * k, n, some.data(), Precision::Fast, pool);
            ASSERT_EQ(std::memcmp(some.data(), all.data() + c0 * 21, some.size() * sizeof(float)), 0)
                << kernel_isa_name(isa) << " " << dtype_info(t).name << " k=" << k << " rows " << c0 << ".."
                << c0 + n << " of 9";
          }
        }
      }
    }
  }
}

TEST(MatmulMany, SameBitsAsSeparateMatmuls) {
  const test::OwnedTensor a = test::random_weights(DType::Q4_1, 37, 160, 1);
  const test::OwnedTensor b = test::random_weights(DType::Q8_0, 10, 160, 2);
  const test::OwnedTensor c = test::random_weights(DType::F16, 5, 160, 3);
  const test::OwnedTensor d = test::random_weights(DType::Q4_1, 64, 160, 4);
  for (Precision precision : {Precision::Fast, Precision::Reference}) {
    for (KernelIsa isa : supported_isas()) {
      IsaScope scope(isa);
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (int64_t n : {1, 7}) {
          const std::vector<float> x = test::random_activations(n, 160, 9);
          std::vector<float> ya(n * 37), yb(n * 10), yc(n * 5), yd(n * 64);
          const MatmulTarget targets[] = {{&a.view, ya.data()}, {&b.view, yb.data()}, {&c.view, yc.data()},
                                          {&d.view, yd.data()}};
          matmul_many(targets, x.data(), n, precision, pool);
          for (const MatmulTarget& t : targets) {
            std::vector<float> alone(n * t.w->rows());
            matmul(*t.w, x.data(), n, alone.data(), precision, pool);
            EXPECT_EQ(std::memcmp(alone.data(), t.y, alone.size() * sizeof(float)), 0)
                << kernel_isa_name(isa) << " " << dtype_info(t.w->dtype).name << " n=" << n << " threads=" << threads;
          }
        }
      }
    }
  }
}

TEST(MatmulMany, RejectsDifferentInputSizes) {
  ThreadPool pool(1);
  const test::OwnedTensor a = test::random_weights(DType::Q4_1, 4, 64, 1);
  const test::OwnedTensor b = test::random_weights(DType::Q4_1, 4, 96, 2);
  std::vector<float> x(96), ya(4), yb(4);
  const MatmulTarget targets[] = {{&a.view, ya.data()}, {&b.view, yb.data()}};
  EXPECT_THROW(matmul_many(targets, x.data(), 1, Precision::Fast, pool), Error);
}

TEST(MatmulFast, ZeroActivationsGiveZero) {
  ThreadPool pool(1);
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      const test::OwnedTensor w = test::random_weights(t, 8, 96, 1);
      const std::vector<float> x(2 * 96, 0.0f);
      std::vector<float> y(2 * 8, NAN);
      matmul(w.view, x.data(), 2, y.data(), Precision::Fast, pool);
      for (float v : y) EXPECT_EQ(v, 0.0f) << kernel_isa_name(isa) << " " << dtype_info(t).name;
    }
  }
}

TEST(KernelIsa, SelectAndReport) {
  EXPECT_TRUE(kernel_isa_supported(KernelIsa::Scalar));
  EXPECT_TRUE(kernel_isa_supported(best_kernel_isa()));
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    EXPECT_EQ(active_kernel_isa(), isa);
  }
}

// The tolerance is a worst case (every activation's rounding error aligned with its weight's sign), so
// it could be loose enough to pass a broken kernel. Over the shapes of EveryIsaDTypeAndTokenCount, the
// worst |fast - exact| / tolerance must reach kMinWorstRatio for every ISA and quantised dtype: the
// tolerance is then at most 1 / kMinWorstRatio = 5 times an error the kernels really make. Measured
// (seeded data, the same on every ISA): Q8_0 0.388, Q4_0 0.348, Q4_1 0.278.
TEST(MatmulFast, ToleranceIsWithinAFactorOfTheWorstError) {
  constexpr double kMinWorstRatio = 0.2;
  ThreadPool pool(2);
  worst_ratio().clear();
  for (KernelIsa isa : supported_isas()) {
    IsaScope scope(isa);
    for (DType t : test::kAllDTypes) {
      if (!is_quantised(t)) continue;
      for (int64_t n : {1, 2, 3, 7, 32, 100}) check_fast(t, 37, 96, n, pool);
      const std::string key = std::string(kernel_isa_name(isa)) + " " + std::string(dtype_info(t).name);
      std::printf("  worst |fast - exact| / tolerance, %s: %.3f\n", key.c_str(), worst_ratio()[key]);
      EXPECT_GE(worst_ratio()[key], kMinWorstRatio) << key;
      EXPECT_LE(worst_ratio()[key], 1.0) << key;
    }
  }
}

}  // namespace
}  // namespace eaglerun
