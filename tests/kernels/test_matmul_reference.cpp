// Precision::Reference against a double-precision product of the same (exactly decoded) weights.
//
// Tolerance: the reference sums fp32 products in 16 interleaved partial sums, then pairwise, so
// each term goes through at most k/16 + 4 roundings of relative size 2^-24 (plus one for the
// product and one for Q4_1's dequantised `d*q + m`):  |ref - exact| <= (k/16 + 6) 2^-24 sum|w x|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/kernels/matmul.h"
#include "tests/kernels/kernel_test_util.h"

namespace eaglerun {
namespace {

using test::kUlp;

struct Shape {
  int64_t rows;
  int64_t k;
};

void check_reference(DType t, Shape s, int64_t n, ThreadPool& pool) {
  const test::OwnedTensor w = test::random_weights(t, s.rows, s.k, 11 + static_cast<uint32_t>(n));
  const std::vector<float> x = test::random_activations(n, s.k, 5);
  std::vector<float> y(n * s.rows);
  matmul(w.view, x.data(), n, y.data(), Precision::Reference, pool);
  const test::ExactProduct e = test::exact_product(w.view, x.data(), n);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double tol = (s.k / 16.0 + 6.0) * kUlp * e.abs[i] + 1e-30;
    ASSERT_NEAR(y[i], e.y[i], tol) << dtype_info(t).name << " rows=" << s.rows << " k=" << s.k << " n=" << n
                                   << " index " << i;
  }
}

TEST(MatmulReference, EveryDTypeAndTokenCount) {
  ThreadPool pool(2);
  for (DType t : test::kAllDTypes) {
    for (int64_t n : {1, 2, 3, 7, 32, 100}) check_reference(t, {37, 96}, n, pool);
  }
}

TEST(MatmulReference, ShapesAndThreadCounts) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (DType t : test::kAllDTypes) {
      check_reference(t, {1, 32}, 3, pool);
      check_reference(t, {5, 576}, 2, pool);
      check_reference(t, {131, 160}, 5, pool);
    }
    for (DType t : {DType::F32, DType::F16, DType::BF16}) check_reference(t, {9, 75}, 4, pool);  // k % 16 != 0
  }
}

TEST(MatmulReference, SameBitsForAnyThreadCount) {
  const test::OwnedTensor w = test::random_weights(DType::Q4_1, 67, 256, 3);
  const std::vector<float> x = test::random_activations(7, 256, 4);
  std::vector<float> first;
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    std::vector<float> y(7 * 67);
    matmul(w.view, x.data(), 7, y.data(), Precision::Reference, pool);
    if (first.empty()) first = y;
    EXPECT_EQ(std::memcmp(first.data(), y.data(), y.size() * sizeof(float)), 0) << threads << " threads";
  }
}

TEST(MatmulReference, RowSliceMatchesFullProduct) {
  ThreadPool pool(2);
  const test::OwnedTensor w = test::random_weights(DType::Q8_0, 50, 64, 9);
  const std::vector<float> x = test::random_activations(3, 64, 2);
  std::vector<float> full(3 * 50), part(3 * 20);
  matmul(w.view, x.data(), 3, full.data(), Precision::Reference, pool);
  matmul_rows(w.view, 17, 37, x.data(), 3, part.data(), Precision::Reference, pool);
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 20; ++r) EXPECT_EQ(part[c * 20 + r], full[c * 50 + 17 + r]);
  }
}

TEST(Matmul, RejectsBadArguments) {
  ThreadPool pool(1);
  const test::OwnedTensor w = test::random_weights(DType::F32, 4, 8, 1);
  std::vector<float> x(8), y(4);
  EXPECT_THROW(matmul_rows(w.view, 2, 5, x.data(), 1, y.data(), Precision::Fast, pool), Error);
  EXPECT_THROW(matmul_rows(w.view, 3, 2, x.data(), 1, y.data(), Precision::Fast, pool), Error);
  EXPECT_THROW(matmul(w.view, nullptr, 1, y.data(), Precision::Fast, pool), Error);
  TensorView three_d = w.view;
  three_d.shape = {2, 2, 8};
  EXPECT_THROW(matmul(three_d, x.data(), 1, y.data(), Precision::Reference, pool), Error);
  TensorView short_data = w.view;
  short_data.nbytes = 8;
  EXPECT_THROW(matmul(short_data, x.data(), 1, y.data(), Precision::Reference, pool), Error);
  matmul(w.view, x.data(), 0, y.data(), Precision::Fast, pool);  // n = 0: nothing to do
}

}  // namespace
}  // namespace eaglerun
