// The training gemm against plain double loops: every layout, ragged sizes, accumulate; results
// bit-identical for 1 and 2 threads; the vector microkernels (AVX2, AVX-512) bit-identical to one
// std::fma per k in ascending order, on every partial tile. fast_exp against std::exp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "core/train/fast_exp.h"
#include "core/train/gemm.h"
#include "core/train/gemm_kernels.h"

namespace eaglerun::train {
namespace {

std::vector<float> random_vector(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

// c[m, n] (+)= sum_k a(i, k) b(k, j) in double.
std::vector<double> reference(const MatrixRef& a, const MatrixRef& b, const std::vector<float>& c0, bool acc) {
  std::vector<double> c(static_cast<std::size_t>(a.rows * b.cols));
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < b.cols; ++j) {
      double s = acc ? c0[i * b.cols + j] : 0.0;
      for (int64_t k = 0; k < a.cols; ++k) {
        s += static_cast<double>(a.data[i * a.row_stride + k * a.col_stride]) * b.data[k * b.row_stride + j * b.col_stride];
      }
      c[i * b.cols + j] = s;
    }
  }
  return c;
}

struct Shape {
  int64_t m, n, k;
};

TEST(Gemm, MatchesReferenceForEveryLayoutAndRaggedSizes) {
  ThreadPool pool(2);
  for (const Shape s : {Shape{1, 1, 1}, Shape{5, 7, 3}, Shape{13, 33, 257}, Shape{37, 70, 300}, Shape{100, 40, 513},
                        Shape{12, 32, 256}, Shape{250, 9, 40}}) {
    for (int layout = 0; layout < 4; ++layout) {
      for (bool acc : {false, true}) {
        const auto av = random_vector(s.m * s.k, 1), bv = random_vector(s.k * s.n, 2);
        const MatrixRef a = layout & 1 ? MatrixRef::transposed(av.data(), s.k, s.m) : MatrixRef::row_major(av.data(), s.m, s.k);
        const MatrixRef b = layout & 2 ? MatrixRef::transposed(bv.data(), s.n, s.k) : MatrixRef::row_major(bv.data(), s.k, s.n);
        std::vector<float> c = random_vector(s.m * s.n, 3);
        const std::vector<double> want = reference(a, b, c, acc);
        gemm(a, b, c.data(), s.n, acc, pool);
        for (std::size_t i = 0; i < c.size(); ++i) {
          ASSERT_NEAR(c[i], want[i], 1e-4 * std::sqrt(static_cast<double>(s.k)) + 1e-5)
              << s.m << "x" << s.n << "x" << s.k << " layout " << layout << " acc " << acc << " at " << i;
        }
      }
    }
  }
}

TEST(Gemm, ThreeLinearLayerProducts) {
  ThreadPool pool(2);
  const int64_t m = 29, n = 45, k = 38;
  const auto x = random_vector(m * k, 4), w = random_vector(n * k, 5), dy = random_vector(m * n, 6);
  std::vector<float> y(m * n), dx(m * k), dw(n * k);
  gemm_xwt(x.data(), w.data(), m, n, k, y.data(), false, pool);
  gemm_dyw(dy.data(), w.data(), m, n, k, dx.data(), false, pool);
  gemm_dytx(dy.data(), x.data(), m, n, k, dw.data(), false, pool);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += double(x[i * k + t]) * w[j * k + t];
      EXPECT_NEAR(y[i * n + j], s, 1e-4);
    }
    for (int64_t t = 0; t < k; ++t) {
      double s = 0;
      for (int64_t j = 0; j < n; ++j) s += double(dy[i * n + j]) * w[j * k + t];
      EXPECT_NEAR(dx[i * k + t], s, 1e-4);
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t t = 0; t < k; ++t) {
      double s = 0;
      for (int64_t i = 0; i < m; ++i) s += double(dy[i * n + j]) * x[i * k + t];
      EXPECT_NEAR(dw[j * k + t], s, 1e-4);
    }
  }
}

// What a vector microkernel must compute: c[r, j] (+)= sum_k a[k][r] * b[k][j], one fma per k, ascending.
void fma_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n, bool accumulate) {
  for (int r = 0; r < m; ++r) {
    for (int j = 0; j < n; ++j) {
      float s = 0.f;
      for (int64_t k = 0; k < kc; ++k) s = std::fma(a[k * kGemmMr + r], b[k * kGemmNr + j], s);
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + s : s;
    }
  }
}

TEST(Gemm, VectorKernelsEqualOneFmaPerStepOnEveryPartialTile) {
  const std::pair<const char*, detail::GemmKernel> kernels[] = {{"avx2", detail::gemm_kernel_avx2()},
                                                                {"avx512", detail::gemm_kernel_avx512()}};
  int tested = 0;
  for (const auto& [name, kernel] : kernels) {
    if (kernel == nullptr) continue;  // not compiled in, or this CPU lacks it
    ++tested;
    for (const int64_t kc : {1, 7, 64, 321}) {
      const auto a = random_vector(kc * kGemmMr, 11 + kc), b = random_vector(kc * kGemmNr, 12 + kc);
      for (int m = 1; m <= kGemmMr; ++m) {
        for (const int n : {1, 5, 8, 15, 16, 17, 24, 31, 32}) {
          for (const bool accumulate : {false, true}) {
            constexpr int64_t ldc = kGemmNr + 3;  // C's rows wider than the tile: columns past n untouched
            std::vector<float> got = random_vector(kGemmMr * ldc, 13), want = got;
            kernel(kc, a.data(), b.data(), got.data(), ldc, m, n, accumulate);
            fma_tile(kc, a.data(), b.data(), want.data(), ldc, m, n, accumulate);
            ASSERT_EQ(got, want) << name << " kc " << kc << " m " << m << " n " << n << " accumulate " << accumulate;
          }
        }
      }
    }
  }
  std::printf("[ gemm ] vector kernels tested: %d (active: %s)\n", tested, gemm_kernel_name());
}

TEST(Gemm, BitIdenticalForAnyThreadCount) {
  ThreadPool one(1), two(2);
  for (const Shape s : {Shape{512, 576, 1152}, Shape{64, 576, 3000}, Shape{7, 400, 600}}) {
    const auto a = random_vector(s.m * s.k, 7), b = random_vector(s.k * s.n, 8);
    std::vector<float> c1(s.m * s.n), c2(s.m * s.n);
    gemm(MatrixRef::row_major(a.data(), s.m, s.k), MatrixRef::row_major(b.data(), s.k, s.n), c1.data(), s.n, false, one);
    gemm(MatrixRef::row_major(a.data(), s.m, s.k), MatrixRef::row_major(b.data(), s.k, s.n), c2.data(), s.n, false, two);
    EXPECT_EQ(c1, c2) << s.m << "x" << s.n << "x" << s.k;
  }
}

TEST(FastExp, MatchesStdExp) {
  for (float x = -87.f; x <= 0.f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    EXPECT_NEAR(fast_exp(x), want, 3e-7 * want) << x;
  }
  EXPECT_EQ(fast_exp(0.f), 1.f);
}

}  // namespace
}  // namespace eaglerun::train
