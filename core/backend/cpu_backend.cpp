#include "core/backend/cpu_backend.h"

#include <cstring>
#include <new>

#include "core/backend/masked_attention.h"
#include "core/kernels/ops.h"

namespace eaglerun {

namespace {
constexpr std::align_val_t kAlignment{64};
}

DeviceBuffer CpuBackend::allocate(int64_t bytes) {
  void* data = ::operator new(static_cast<std::size_t>(bytes > 0 ? bytes : 1), kAlignment);
  return DeviceBuffer(this, data, bytes);
}

void CpuBackend::free(void* data, int64_t) { ::operator delete(data, kAlignment); }

void CpuBackend::upload(void* device, const void* host, int64_t bytes) {
  std::memcpy(device, host, static_cast<std::size_t>(bytes));
}

void CpuBackend::download(void* host, const void* device, int64_t bytes) {
  std::memcpy(host, device, static_cast<std::size_t>(bytes));
}

void CpuBackend::copy(void* to, const void* from, int64_t bytes) {
  std::memmove(to, from, static_cast<std::size_t>(bytes));
}

void CpuBackend::zero(void* device, int64_t bytes) { std::memset(device, 0, static_cast<std::size_t>(bytes)); }

void CpuBackend::prepare(const TensorView& w) {
  if (precision_ == Precision::Fast) packed_.add(w, pool_);
}

void CpuBackend::matmul(const TensorView& w, const float* x, int64_t n, float* y) {
  eaglerun::matmul(w, x, n, y, precision_, pool_);
}

void CpuBackend::matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n) {
  eaglerun::matmul_many(targets, x, n, precision_, pool_);
}

void CpuBackend::rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) {
  eaglerun::rmsnorm(x, weight.data(), n, static_cast<int64_t>(weight.size()), eps, out, pool_);
}

void CpuBackend::rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
                      RopePairing pairing) {
  eaglerun::rope(x, positions.data(), static_cast<int64_t>(positions.size()), n_heads, head_dim, theta, pairing);
}

void CpuBackend::silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  eaglerun::silu_mul(gate, up, n, out, pool_);
}

void CpuBackend::add(float* out, const float* x, int64_t n) { add_inplace(out, x, n); }

void CpuBackend::embed(const TensorView& table, std::span<const int32_t> tokens, float* out) {
  const int64_t H = table.cols();
  for (std::size_t i = 0; i < tokens.size(); ++i) dequantize_row(table, tokens[i], out + static_cast<int64_t>(i) * H);
}

void CpuBackend::gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out + static_cast<int64_t>(i) * width, x + rows[i] * width, static_cast<std::size_t>(width) * 4);
  }
}

void CpuBackend::add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights,
                                   const float* y, int64_t width) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    float* o = out + rows[i] * width;
    const float* yi = y + static_cast<int64_t>(i) * width;
    for (int64_t d = 0; d < width; ++d) o[d] += weights[i] * yi[d];
  }
}

void CpuBackend::attention(std::span<const AttentionSegment> segments, const ModelConfig& config) {
  masked_attention(segments, config, pool_);
}

void CpuBackend::kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) {
  const int64_t D = layer.head_dim, kv_dim = layer.n_kv_heads * D;
  const std::size_t row_bytes = storage_bytes(layer.dtype, D);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < layer.n_kv_heads; ++g) {
      const std::size_t at = static_cast<std::size_t>(g * layer.capacity + first + i) * row_bytes;
      encode(layer.dtype, k + i * kv_dim + g * D, D, static_cast<std::byte*>(layer.keys) + at);
      encode(layer.dtype, v + i * kv_dim + g * D, D, static_cast<std::byte*>(layer.values) + at);
    }
  }
}

void CpuBackend::kv_keep(const KvLayer& layer, std::span<const int64_t> indices) {
  const std::size_t row_bytes = storage_bytes(layer.dtype, layer.head_dim);
  for (int64_t g = 0; g < layer.n_kv_heads; ++g) {
    auto* keys = static_cast<std::byte*>(layer.keys) + static_cast<std::size_t>(g * layer.capacity) * row_bytes;
    auto* values = static_cast<std::byte*>(layer.values) + static_cast<std::size_t>(g * layer.capacity) * row_bytes;
    for (std::size_t i = 0; i < indices.size(); ++i) {
      // indices[i] >= i: copying forward never overwrites a row still needed.
      if (indices[i] == static_cast<int64_t>(i)) continue;
      std::memcpy(keys + i * row_bytes, keys + static_cast<std::size_t>(indices[i]) * row_bytes, row_bytes);
      std::memcpy(values + i * row_bytes, values + static_cast<std::size_t>(indices[i]) * row_bytes, row_bytes);
    }
  }
}

const std::shared_ptr<CpuBackend>& host_backend() {
  static ThreadPool pool(1);
  static const auto backend = std::make_shared<CpuBackend>(pool, Precision::Reference);
  return backend;
}

}  // namespace eaglerun
