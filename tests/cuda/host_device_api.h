#pragma once
// Stand-ins for the CUDA backend's two interfaces, so its calling code runs under ctest without a
// GPU (with the kernels compiled against the emulation):
//   HostDeviceApi: "device" memory is host memory; it counts live allocations, so a test can see
//                  that every buffer went back. Its stream runs each call at once (a copy is done
//                  when it returns, an event complete when recorded); upload() goes through a
//                  StagingRing as on a GPU (tests/cuda/queued_device_api.h: a stream that waits);
//   ReferenceGemm: cuBLAS's sgemm/gemm16/saxpy semantics (column-major, op(A), leading dimensions)
//                  as plain loops, the sums in double (gemm16: the 16-bit elements widened exactly
//                  by core/kernels' bf16_to_fp32 / fp16_to_fp32, so the products are exact).
#include <atomic>
#include <cstdint>

#include "core/backend/cuda_device_api.h"
#include "core/backend/cuda_gemm.h"
#include "core/backend/staging_ring.h"

namespace eaglerun::test {

class HostDeviceApi final : public DeviceApi {
 public:
  explicit HostDeviceApi(std::atomic<int64_t>* live = nullptr) : live_(live), staging_(*this, 4, 64 << 10) {}
  void* malloc(int64_t bytes) override;
  void free(void* device) override;
  void upload(void* device, const void* host, int64_t bytes) override;
  void download(void* host, const void* device, int64_t bytes) override;
  void copy(void* to, const void* from, int64_t bytes) override;
  void zero(void* device, int64_t bytes) override;
  cudaStream_t stream() const override { return nullptr; }
  void* malloc_pinned(int64_t bytes) override;
  void free_pinned(void* host) override;
  void upload_async(void* device, const void* pinned, int64_t bytes) override;
  cudaEvent_t create_event() override;
  void destroy_event(cudaEvent_t event) override;
  void record_event(cudaEvent_t) override {}  // everything enqueued before it is done already
  void wait_event(cudaEvent_t) override {}    // so it is complete

 private:
  std::atomic<int64_t>* live_;  // allocations not yet freed (optional)
  StagingRing staging_;         // upload()'s pinned buffers (4 x 64 KiB)
};

class ReferenceGemm final : public Gemm {
 public:
  void sgemm(bool transpose_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float* c, int64_t ldc) override;
  void gemm16(DType type, bool transpose_a, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
              const void* b, int64_t ldb, float* c, int64_t ldc) override;
  void saxpy(int64_t n, float alpha, const float* x, float* y) override;
};

}  // namespace eaglerun::test
