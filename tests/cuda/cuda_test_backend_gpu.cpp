// The CUDA backend on GPU 0 (the CUDA runtime, cuBLAS, the nvcc kernels), its device buffers
// counted; and main(): without a usable GPU the binary prints why and exits 77, which ctest reports
// as skipped.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "core/backend/cuda_backend.h"
#include "tests/cuda/cuda_test_backend.h"

namespace eaglerun::test {
namespace {

// Counts the buffers an inner DeviceApi hands out.
class CountingDeviceApi final : public ForwardingDeviceApi {
 public:
  CountingDeviceApi(std::unique_ptr<DeviceApi> inner, std::atomic<int64_t>* live)
      : ForwardingDeviceApi(std::move(inner)), live_(live) {}
  void* malloc(int64_t bytes) override {
    void* p = ForwardingDeviceApi::malloc(bytes);
    if (live_ != nullptr) ++*live_;
    return p;
  }
  void free(void* device) override {
    if (live_ != nullptr) --*live_;
    ForwardingDeviceApi::free(device);
  }

 private:
  std::atomic<int64_t>* live_;
};

}  // namespace

std::shared_ptr<Backend> make_test_cuda_backend(std::atomic<int64_t>* live) {
  auto api = std::make_unique<CountingDeviceApi>(make_cudart_api(0), live);
  auto gemm = make_cublas_gemm(api->stream());
  return std::make_shared<CudaBackend>("cuda:0", std::move(api), std::move(gemm));
}

}  // namespace eaglerun::test

int main(int argc, char** argv) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    std::printf("no usable GPU (%s): skipped\n", status != cudaSuccess ? cudaGetErrorName(status) : "0 devices");
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
