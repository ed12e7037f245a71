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
class CountingDeviceApi final : public DeviceApi {
 public:
  CountingDeviceApi(std::unique_ptr<DeviceApi> inner, std::atomic<int64_t>* live)
      : inner_(std::move(inner)), live_(live) {}
  void* malloc(int64_t bytes) override {
    void* p = inner_->malloc(bytes);
    if (live_ != nullptr) ++*live_;
    return p;
  }
  void free(void* device) override {
    if (live_ != nullptr) --*live_;
    inner_->free(device);
  }
  void upload(void* d, const void* h, int64_t bytes) override { inner_->upload(d, h, bytes); }
  void download(void* h, const void* d, int64_t bytes) override { inner_->download(h, d, bytes); }
  void copy(void* to, const void* from, int64_t bytes) override { inner_->copy(to, from, bytes); }
  void zero(void* d, int64_t bytes) override { inner_->zero(d, bytes); }
  cudaStream_t stream() const override { return inner_->stream(); }

  void* malloc_pinned(int64_t bytes) override { return inner_->malloc_pinned(bytes); }
  void free_pinned(void* host) override { inner_->free_pinned(host); }
  void upload_async(void* device, const void* pinned, int64_t bytes) override {
    inner_->upload_async(device, pinned, bytes);
  }
  cudaEvent_t create_event() override { return inner_->create_event(); }
  void destroy_event(cudaEvent_t event) override { inner_->destroy_event(event); }
  void record_event(cudaEvent_t event) override { inner_->record_event(event); }
  void wait_event(cudaEvent_t event) override { inner_->wait_event(event); }

 private:
  std::unique_ptr<DeviceApi> inner_;
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
