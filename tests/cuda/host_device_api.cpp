#include "tests/cuda/host_device_api.h"

#include <cstring>
#include <new>

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun::test {

void* HostDeviceApi::malloc(int64_t bytes) {
  require(bytes > 0, "HostDeviceApi::malloc: no bytes");
  if (live_ != nullptr) ++*live_;
  return ::operator new(static_cast<std::size_t>(bytes), std::align_val_t{256});
}

void HostDeviceApi::free(void* device) {
  if (live_ != nullptr) --*live_;
  ::operator delete(device, std::align_val_t{256});
}

void HostDeviceApi::upload(void* device, const void* host, int64_t bytes) { staging_.upload(device, host, bytes); }

void HostDeviceApi::download(void* host, const void* device, int64_t bytes) {
  std::memcpy(host, device, static_cast<std::size_t>(bytes));
}

void HostDeviceApi::copy(void* to, const void* from, int64_t bytes) {
  std::memmove(to, from, static_cast<std::size_t>(bytes));
}

void HostDeviceApi::zero(void* device, int64_t bytes) { std::memset(device, 0, static_cast<std::size_t>(bytes)); }

void* HostDeviceApi::malloc_pinned(int64_t bytes) {
  require(bytes > 0, "HostDeviceApi::malloc_pinned: no bytes");
  return ::operator new(static_cast<std::size_t>(bytes));
}

void HostDeviceApi::free_pinned(void* host) { ::operator delete(host); }

void HostDeviceApi::upload_async(void* device, const void* pinned, int64_t bytes) {
  std::memcpy(device, pinned, static_cast<std::size_t>(bytes));
}

namespace {
struct HostEvent {};  // nothing to track: every call is done when it returns
}  // namespace

cudaEvent_t HostDeviceApi::create_event() { return reinterpret_cast<cudaEvent_t>(new HostEvent); }

void HostDeviceApi::destroy_event(cudaEvent_t event) { delete reinterpret_cast<HostEvent*>(event); }

void ReferenceGemm::sgemm(bool transpose_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                          const float* b, int64_t ldb, float* c, int64_t ldc) {
  require(lda >= (transpose_a ? k : m) && ldb >= k && ldc >= m, "sgemm: a leading dimension is too small");
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float op_a = transpose_a ? a[p + i * lda] : a[i + p * lda];  // op(A)[i, p]
        sum += static_cast<double>(op_a) * b[p + j * ldb];
      }
      c[i + j * ldc] = static_cast<float>(sum);
    }
  }
}

void ReferenceGemm::gemm16(DType type, bool transpose_a, int64_t m, int64_t n, int64_t k, const void* a,
                           int64_t lda, const void* b, int64_t ldb, float* c, int64_t ldc) {
  require(type == DType::BF16 || type == DType::F16, "gemm16: A and B must be bf16 or fp16");
  require(lda >= (transpose_a ? k : m) && ldb >= k && ldc >= m, "gemm16: a leading dimension is too small");
  const auto widen = [type](uint16_t h) { return type == DType::BF16 ? bf16_to_fp32(h) : fp16_to_fp32(h); };
  const auto* a16 = static_cast<const uint16_t*>(a);
  const auto* b16 = static_cast<const uint16_t*>(b);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const uint16_t op_a = transpose_a ? a16[p + i * lda] : a16[i + p * lda];  // op(A)[i, p]
        sum += static_cast<double>(widen(op_a)) * widen(b16[p + j * ldb]);
      }
      c[i + j * ldc] = static_cast<float>(sum);
    }
  }
}

void ReferenceGemm::saxpy(int64_t n, float alpha, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace eaglerun::test
