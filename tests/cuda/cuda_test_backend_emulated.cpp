// The CUDA backend over host memory, the reference GEMM and the emulated kernels; and the reference
// GEMM's own check of cuBLAS's conventions.
#include <gtest/gtest.h>

#include "core/backend/cuda_backend.h"
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

}  // namespace
}  // namespace eaglerun::test
