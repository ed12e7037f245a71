#pragma once
// The seam between the model code and a device: the memory a forward pass computes in and the ops
// it needs. The target model (core/model) is written once against this interface; CpuBackend runs
// the CPU kernels on host memory, the CUDA backend (core/backend/cuda) runs CUDA kernels and cuBLAS
// on one GPU. The model never says which device it runs on.
//
// Three kinds of argument:
//   activations (float* x, y, out ...): device pointers of this backend (host pointers on the CPU),
//     in memory from allocate();
//   weights (TensorView matrices, std::span<const float> norm vectors): named by their host copy, the
//     one the weight loader made; a backend maps each to its own copy, made once by prepare();
//   small host arrays (tokens, positions, masks, row lists): std::span / host structs; a device
//     backend uploads them itself.
// Ops run in the order they are called; download() returns once everything before it has finished.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/backend/attention_mask.h"
#include "core/config/model_config.h"
#include "core/kernels/matmul.h"  // MatmulTarget
#include "core/tensor/tensor_view.h"

namespace eaglerun {

class Backend;

// Bytes of one backend's device memory; freed (returned to the backend) on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend* owner, void* data, int64_t bytes) : owner_(owner), data_(data), bytes_(bytes) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  int64_t bytes() const { return bytes_; }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }
  explicit operator bool() const { return data_ != nullptr; }
  void reset();

 private:
  Backend* owner_ = nullptr;
  void* data_ = nullptr;
  int64_t bytes_ = 0;
};

// One layer of a KV cache as attention reads it: the key of row j for KV head g is head_dim
// elements of dtype at element g * head_stride + j * row_stride of keys; likewise values.
struct KvRows {
  const void* keys;
  const void* values;
  DType dtype;  // F32 or F16
  int64_t row_stride;
  int64_t head_stride;
};

// The storage of one layer of a KV cache: [n_kv_heads, capacity, head_dim] elements of dtype each.
struct KvLayer {
  void* keys;
  void* values;
  int64_t n_kv_heads;
  int64_t capacity;
  int64_t head_dim;
  DType dtype;  // F32 or F16
  KvRows rows() const { return {keys, values, dtype, head_dim, capacity * head_dim}; }
};

// One sequence's part of a batched attention call: its new tokens' queries and outputs, its cache
// rows (cached first, then the new tokens') and its mask over them.
struct AttentionSegment {
  const float* q;  // [mask->n_new, Q]
  KvRows kv;       // mask->width() rows of every KV head
  const AttentionMask* mask;
  float* out;  // [mask->n_new, Q]
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu", "cuda:0", ...
  virtual std::string name() const = 0;
  // True when device pointers are host pointers (the CPU): results need no download.
  virtual bool host_memory() const = 0;

  // Memory. allocate() throws Error when the device has not `bytes` free (saying how many are).
  virtual DeviceBuffer allocate(int64_t bytes) = 0;
  virtual void upload(void* device, const void* host, int64_t bytes) = 0;
  virtual void download(void* host, const void* device, int64_t bytes) = 0;
  virtual void copy(void* to, const void* from, int64_t bytes) = 0;  // device to device
  virtual void zero(void* device, int64_t bytes) = 0;

  // Makes this backend's copy of a weight (a matrix for matmul or a table for embed); once per
  // weight, at load. The host bytes must stay alive and unchanged until release_weights().
  virtual void prepare(const TensorView& w) = 0;
  virtual void prepare(std::span<const float> vector) = 0;
  // Drops every copy prepare() made (their owner is about to free the host weights).
  virtual void release_weights() = 0;

  // y[n, out] = x[n, in] . W[out, in]^T
  virtual void matmul(const TensorView& w, const float* x, int64_t n, float* y) = 0;
  // y_i[n, out_i] = x[n, in] . W_i[out_i, in]^T for every target (q, k and v; gate and up): exactly
  // the results of one matmul per target, which is what this default does; a backend may run them as
  // one call (the CPU quantises x once and splits all the rows in one parallel loop).
  virtual void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n) {
    for (const MatmulTarget& t : targets) matmul(*t.w, x, n, t.y);
  }
  // out[n, dim] = x / sqrt(mean(x^2) + eps) * weight, row by row; x and out may alias.
  virtual void rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) = 0;
  // Rotates each head of x[n, n_heads * head_dim] in place by positions[n] (core/kernels/ops.h).
  virtual void rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
                    RopePairing pairing) = 0;
  // out[i] = silu(gate[i]) * up[i]; out may alias gate.
  virtual void silu_mul(const float* gate, const float* up, int64_t n, float* out) = 0;
  // out[i] += x[i]
  virtual void add(float* out, const float* x, int64_t n) = 0;
  // out[i, :] = row tokens[i] of table [V, H], dequantised; tokens are checked by the caller.
  virtual void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) = 0;
  // out[i, :] = x[rows[i], :]   (x: [*, width], out: [rows.size(), width])
  virtual void gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) = 0;
  // out[rows[i], :] += weights[i] * y[i, :], i in order   (y: [rows.size(), width])
  virtual void add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights,
                                 const float* y, int64_t width) = 0;
  // Grouped-query attention of every segment (core/backend/masked_attention.h).
  virtual void attention(std::span<const AttentionSegment> segments, const ModelConfig& config) = 0;

  // KV cache rows: layer rows [first, first + n) <- k, v: [n, n_kv_heads * head_dim] fp32, rounded
  // to the layer's dtype.
  virtual void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) = 0;
  // Row i <- row indices[i] in every KV head (indices strictly increasing, so indices[i] >= i).
  virtual void kv_keep(const KvLayer& layer, std::span<const int64_t> indices) = 0;

 protected:
  friend class DeviceBuffer;
  virtual void free(void* data, int64_t bytes) = 0;
};

// n floats of the backend's memory.
inline DeviceBuffer allocate_floats(Backend& backend, int64_t n) {
  return backend.allocate(n * static_cast<int64_t>(sizeof(float)));
}

// A float array that ops write into and that ends in a host vector: the vector's own memory on a
// host-memory backend, else a device buffer that download() copies back.
class HostResult {
 public:
  HostResult(Backend& backend, std::vector<float>& host);
  float* data() const { return device_ ? device_.as<float>() : host_.data(); }
  void download();

 private:
  Backend& backend_;
  std::vector<float>& host_;
  DeviceBuffer device_;
};

}  // namespace eaglerun
