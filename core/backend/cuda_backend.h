#pragma once
// The CUDA backend: activations, weights and KV caches in one GPU's memory, the ops as the CUDA
// kernels of core/backend/cuda, dense float products through cuBLAS (Gemm). Every weight keeps its
// file's type on the device:
//   F32:           cuBLAS sgemm, fp32 throughout (no TF32): the CPU reference's arithmetic up to
//                  the summation order.
//   F16 / BF16:    tensor cores. matmul rounds the fp32 activations to the weight's type (nearest
//                  even, the CPU's fp32_to_bf16 / fp32_to_fp16: cuda::fp32_to_16bit, into a scratch
//                  buffer kept and grown as needed), then Gemm::gemm16 (cublasGemmEx, exact products,
//                  fp32 accumulation, fp32 output). That rounding is the one difference from the CPU
//                  reference, which multiplies fp32 activations: relative error <= 2^-9 per bf16
//                  activation, 2^-11 per fp16 one in fp16's normal range (below 2^-14 an absolute
//                  2^-25; |x| >= 65520 becomes inf). docs/CUDA.md states the tests' tolerances.
//   Q8_0/Q4_0/Q4_1: the file's blocks, through the dequantising matmul kernel (fp32 activations).
// Embedding tables are read in their own type too (exact rows; a tied LM head shares the copy).
// All ops run in order on the DeviceApi's stream; only download() waits.
#include <map>
#include <memory>
#include <tuple>

#include "core/backend/backend.h"
#include "core/backend/cuda_device_api.h"
#include "core/backend/cuda_gemm.h"

namespace eaglerun {

class CudaBackend final : public Backend {
 public:
  CudaBackend(std::string name, std::unique_ptr<DeviceApi> api, std::unique_ptr<Gemm> gemm);

  std::string name() const override { return name_; }
  bool host_memory() const override { return false; }
  DeviceBuffer allocate(int64_t bytes) override;
  void upload(void* device, const void* host, int64_t bytes) override { api_->upload(device, host, bytes); }
  void download(void* host, const void* device, int64_t bytes) override { api_->download(host, device, bytes); }
  void copy(void* to, const void* from, int64_t bytes) override { api_->copy(to, from, bytes); }
  void zero(void* device, int64_t bytes) override { api_->zero(device, bytes); }

  void prepare(const TensorView& w) override;
  void prepare(std::span<const float> vector) override;
  void release_weights() override;

  void matmul(const TensorView& w, const float* x, int64_t n, float* y) override;
  void rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) override;
  void rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
            RopePairing pairing) override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) override;
  void add(float* out, const float* x, int64_t n) override;
  void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) override;
  void gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) override;
  void add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights, const float* y,
                         int64_t width) override;
  void attention(std::span<const AttentionSegment> segments, const ModelConfig& config) override;
  void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) override;
  void kv_keep(const KvLayer& layer, std::span<const int64_t> indices) override;

 protected:
  void free(void* data, int64_t bytes) override { api_->free(data); }

 private:
  // A weight's device copy, keyed by its host bytes (data, size, type).
  using Key = std::tuple<const void*, std::size_t, DType>;
  struct DeviceWeight {
    DeviceBuffer buffer;
    DType dtype;  // the file's type: F32, F16, BF16 or quantised
  };
  const DeviceWeight& device_weight(const TensorView& w);
  const float* device_vector(std::span<const float> v);
  // A device copy of a small host array, valid until the next op that stages one.
  template <class T>
  const T* stage(std::span<const T> host);
  // Device room for `elements` 16-bit activations, valid until the next matmul of a 16-bit weight.
  uint16_t* activations16(int64_t elements);

  // Declared in this order so that every buffer returns to api_ before it (and gemm_) go.
  std::string name_;
  std::unique_ptr<DeviceApi> api_;
  std::unique_ptr<Gemm> gemm_;
  std::map<Key, DeviceWeight> weights_;
  std::map<const float*, DeviceBuffer> vectors_;
  DeviceBuffer staging_;  // small host arrays (tokens, positions, masks, indices) on their way in
  DeviceBuffer activations16_;  // x rounded to bf16 / fp16 for gemm16 (grown, never per call)
};

}  // namespace eaglerun
