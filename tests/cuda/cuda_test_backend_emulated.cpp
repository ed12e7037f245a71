// The CUDA backend over host memory, the reference GEMM and the emulated kernels; and the reference
// GEMM's own check of cuBLAS's conventions.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/backend/cuda_backend.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "tests/cuda/cuda_test_backend.h"
#include "tests/cuda/host_device_api.h"

namespace eaglerun::test {

std::shared_ptr<Backend> make_test_cuda_backend(std::atomic<int64_t>* live) {
  return std::make_shared<CudaBackend>("cuda:emulated", std::make_unique<HostDeviceApi>(live),
                                       std::make_unique<ReferenceGemm>());
}

namespace {

TEST(ReferenceGemm, HonoursColumnMajorTransposeAndLeadingDimensions) {
  // W[out=3, in=5] row-major is, column-major, [5, 3] with ld 5; y[n=2, 3] = x[2, 5] . W^T.
  const float w[15] = {1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 2, 2, 2, 2, 2};
  const float x[10] = {1, 0, 0, 0, 1, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  float y[8] = {};  // ldc 4 > m = 3: the fourth row of each column stays untouched
  ReferenceGemm().sgemm(true, 3, 2, 5, w, 5, x, 5, y, 4);
  const float want[8] = {6, -2, 4, 0, 7.5f, -0.5f, 5, 0};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
}

// gemm16 with the backend's shapes (W[out, in] row-major as op(A) = A^T, x rows as B), every leading
// dimension padded: A's rows and B's columns carry a sentinel in their padding, C's padding must stay.
// Each 16-bit pattern means different numbers as bf16 and as fp16, so the type must be honoured too.
// The same call with a wrong transposition or leading dimension reads other elements and misses the
// expected C (the check below can tell), and a leading dimension below the minimum throws.
TEST(ReferenceGemm, Gemm16HonoursTypeColumnMajorTransposeAndLeadingDimensions) {
  constexpr int64_t m = 3, n = 2, k = 5, lda = 7, ldb = 6, ldc = 4;
  const float w[m][k] = {{1, 2, 3, 4, 5}, {-1, 0.5f, 1, 0, -1}, {2, 2, -2, 2, 0.25f}};  // W[out = m, in = k]
  const float x[n][k] = {{1, 0, 0.75f, 0, 1}, {0.5f, -3, 0.5f, 0.5f, 8}};                // x[n, in = k]
  for (const DType type : {DType::BF16, DType::F16}) {
    SCOPED_TRACE(type == DType::BF16 ? "bf16" : "fp16");
    const auto encode = [type](float v) { return type == DType::BF16 ? fp32_to_bf16(v) : fp32_to_fp16(v); };
    const uint16_t sentinel = encode(1000.0f);
    // A holds k columns of lda too, so that reading it as [m, k] (no transposition) stays inside.
    std::vector<uint16_t> a(k * lda, sentinel), b(n * ldb, sentinel);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p) a[p + i * lda] = encode(w[i][p]);  // column i of A = row i of W
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) b[p + j * ldb] = encode(x[j][p]);
    std::vector<float> want(n * ldc, -7.0f);
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < m; ++i) {
        float sum = 0;  // exact: small sums of products of short binary fractions
        for (int64_t p = 0; p < k; ++p) sum += w[i][p] * x[j][p];
        want[i + j * ldc] = sum;
      }
    }
    const auto run = [&](DType t, bool transpose_a, int64_t a_ld, int64_t b_ld) {
      std::vector<float> c(n * ldc, -7.0f);
      ReferenceGemm().gemm16(t, transpose_a, m, n, k, a.data(), a_ld, b.data(), b_ld, c.data(), ldc);
      return c;
    };
    EXPECT_EQ(run(type, true, lda, ldb), want);
    // What a wrong convention gives is not the expected C.
    EXPECT_NE(run(type, false, lda, ldb), want);   // A read as [m, k]
    EXPECT_NE(run(type, true, k, ldb), want);      // A's rows read without their padding
    EXPECT_NE(run(type, true, lda, k), want);      // B's columns read without their padding
    EXPECT_NE(run(type == DType::BF16 ? DType::F16 : DType::BF16, true, lda, ldb), want);  // the other type
    std::vector<float> c(n * ldc);
    EXPECT_THROW(ReferenceGemm().gemm16(type, true, m, n, k, a.data(), k - 1, b.data(), ldb, c.data(), ldc), Error);
    EXPECT_THROW(ReferenceGemm().gemm16(type, true, m, n, k, a.data(), lda, b.data(), k - 1, c.data(), ldc), Error);
    EXPECT_THROW(ReferenceGemm().gemm16(type, true, m, n, k, a.data(), lda, b.data(), ldb, c.data(), m - 1), Error);
  }
  std::vector<float> c(n * ldc);
  std::vector<uint16_t> a(k * lda), b(n * ldb);
  EXPECT_THROW(ReferenceGemm().gemm16(DType::F32, true, m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc), Error);
}

}  // namespace
}  // namespace eaglerun::test
