// matmul (emulated) against the CPU's matmul with Precision::Reference, for every weight DType.
// Tolerance: |gpu - cpu| <= 2 * in * 2^-24 * sum_k |x_k w_k| (+ the smallest normal). Both sum the same
// exact products (dequantisation is exact) in fp32, in different orders (and the GPU may fuse
// multiply-adds); any such sum is within in * 2^-24 * sum_k |x_k w_k| of the exact value, so two of
// them are within twice that of each other.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/kernels/thread_pool.h"
#include "tests/cuda/compare.h"
#include "tests/cuda/schedules.h"

namespace eaglerun::cuda {
namespace {

using testing::in_every_schedule;
using testing::random_floats;

void check_matmul(DType dtype, int64_t out, int64_t in, int64_t n) {
  SCOPED_TRACE(std::string(dtype_info(dtype).name) + " W [" + std::to_string(out) + ", " + std::to_string(in) +
               "], " + std::to_string(n) + " rows");
  const std::vector<float> w_values = random_floats(out * in, -1.0f, 1.0f, 31);
  const std::size_t row_bytes = storage_bytes(dtype, in);
  std::vector<std::byte> w_bytes(out * row_bytes);
  for (int64_t r = 0; r < out; ++r) encode(dtype, w_values.data() + r * in, in, w_bytes.data() + r * row_bytes);
  const TensorView w{"w", dtype, {out, in}, w_bytes.data(), w_bytes.size()};
  const std::vector<float> x = random_floats(n * in, -2.0f, 2.0f, 32);
  std::vector<float> expected(n * out);
  ThreadPool pool(1);
  eaglerun::matmul(w, x.data(), n, expected.data(), Precision::Reference, pool);
  // sum_k |x_k w_k| of every output, from the dequantised weight.
  std::vector<float> w_exact(out * in);
  for (int64_t r = 0; r < out; ++r) dequantize_row(w, r, w_exact.data() + r * in);
  std::vector<double> magnitude(n * out, 0.0);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < out; ++r)
      for (int64_t k = 0; k < in; ++k) magnitude[t * out + r] += std::fabs(double{x[t * in + k]} * w_exact[r * in + k]);
  in_every_schedule([&] {
    std::vector<float> y(n * out, -9.0f);
    matmul(dtype, w_bytes.data(), out, in, x.data(), n, y.data(), nullptr);
    for (std::size_t e = 0; e < y.size(); ++e) {
      const double bound = 2.0 * static_cast<double>(in) * std::ldexp(magnitude[e], -24) +
                           std::numeric_limits<float>::min();
      ASSERT_LE(std::fabs(double{y[e]} - expected[e]), bound) << "output " << e << ": " << y[e] << " vs " << expected[e];
    }
  });
}

TEST(CudaMatmul, FloatWeightsMatchTheReference) {
  for (const DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    check_matmul(dtype, 1, 1, 1);
    check_matmul(dtype, 5, 37, 3);    // fewer rows than a block, columns not a multiple of 32
    check_matmul(dtype, 13, 200, 9);  // more rows of x than one block's 8
  }
}

TEST(CudaMatmul, QuantisedWeightsMatchTheReference) {
  for (const DType dtype : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    check_matmul(dtype, 1, 32, 1);
    check_matmul(dtype, 7, 96, 2);
    check_matmul(dtype, 9, 320, 17);
  }
}

TEST(CudaMatmul, ManyRowsOfX) { check_matmul(DType::Q8_0, 6, 64, 64); }

TEST(CudaMatmul, RefusesBadShapes) {
  std::vector<std::byte> w(4 * storage_bytes(DType::Q4_0, 64));
  std::vector<float> x(64);
  std::vector<float> y(4);
  EXPECT_THROW(matmul(DType::Q4_0, w.data(), 4, 48, x.data(), 1, y.data(), nullptr), Error);  // not whole blocks
  EXPECT_THROW(matmul(DType::Q4_0, w.data(), 0, 64, x.data(), 1, y.data(), nullptr), Error);
  EXPECT_THROW(matmul(DType::Q4_0, w.data(), 4, 64, x.data(), 0, y.data(), nullptr), Error);
}

}  // namespace
}  // namespace eaglerun::cuda
