#include "core/backend/cuda_backend.h"

#include <algorithm>
#include <string>

#include "core/backend/cuda/kernels.h"
#include "core/error.h"

namespace eaglerun {

CudaBackend::CudaBackend(std::string name, std::unique_ptr<DeviceApi> api, std::unique_ptr<Gemm> gemm)
    : name_(std::move(name)), api_(std::move(api)), gemm_(std::move(gemm)) {}

DeviceBuffer CudaBackend::allocate(int64_t bytes) {
  return DeviceBuffer(this, api_->malloc(bytes > 0 ? bytes : 1), bytes);
}

void CudaBackend::prepare(const TensorView& w) { device_weight(w); }

void CudaBackend::prepare(std::span<const float> vector) { device_vector(vector); }

void CudaBackend::release_weights() {
  weights_.clear();
  vectors_.clear();
}

const CudaBackend::DeviceWeight& CudaBackend::device_weight(const TensorView& w) {
  const Key key{w.data, w.nbytes, w.dtype};
  auto it = weights_.find(key);
  if (it != weights_.end()) return it->second;
  // Every type as the file stores it (F16 / BF16 for gemm16, F32 for sgemm, quantised blocks for
  // the matmul kernel): the host bytes, copied once.
  DeviceWeight copy;
  copy.dtype = w.dtype;
  copy.buffer = allocate(static_cast<int64_t>(w.nbytes));
  api_->upload(copy.buffer.data(), w.data, static_cast<int64_t>(w.nbytes));
  return weights_.emplace(key, std::move(copy)).first->second;
}

const float* CudaBackend::device_vector(std::span<const float> v) {
  auto it = vectors_.find(v.data());
  if (it == vectors_.end()) {
    DeviceBuffer copy = allocate_floats(*this, static_cast<int64_t>(v.size()));
    api_->upload(copy.data(), v.data(), copy.bytes());
    it = vectors_.emplace(v.data(), std::move(copy)).first;
  }
  return it->second.as<float>();
}

template <class T>
const T* CudaBackend::stage(std::span<const T> host) {
  const auto bytes = static_cast<int64_t>(host.size_bytes());
  if (staging_.bytes() < bytes) staging_ = allocate(std::max<int64_t>(bytes, 4096));
  api_->upload(staging_.data(), host.data(), bytes);  // in stream order after every op that read it
  return staging_.as<T>();
}

uint16_t* CudaBackend::activations16(int64_t elements) {
  const int64_t bytes = elements * static_cast<int64_t>(sizeof(uint16_t));
  // Growing frees the old buffer in stream order, after the products that read it.
  if (activations16_.bytes() < bytes) activations16_ = allocate(std::max<int64_t>(bytes, int64_t{1} << 16));
  return activations16_.as<uint16_t>();
}

void CudaBackend::matmul(const TensorView& w, const float* x, int64_t n, float* y) {
  const DeviceWeight& d = device_weight(w);
  const int64_t out = w.rows(), in = w.cols();
  // Row-major y[n, out] = x[n, in] . W[out, in]^T is, column-major, y^T[out, n] = W^T . x^T with
  // W^T the [in, out] column-major view of W's rows (ld in) and x^T the [in, n] view of x's rows.
  if (d.dtype == DType::F32) {
    gemm_->sgemm(true, out, n, in, d.buffer.as<float>(), in, x, in, y, out);
  } else if (d.dtype == DType::F16 || d.dtype == DType::BF16) {
    uint16_t* x16 = activations16(n * in);
    if (n > 0) cuda::fp32_to_16bit(d.dtype, x, n * in, x16, api_->stream());
    gemm_->gemm16(d.dtype, true, out, n, in, d.buffer.data(), in, x16, in, y, out);
  } else {
    cuda::matmul(d.dtype, d.buffer.data(), out, in, x, n, y, api_->stream());
  }
}

void CudaBackend::rmsnorm(const float* x, std::span<const float> weight, int64_t n, float eps, float* out) {
  cuda::rmsnorm(x, device_vector(weight), n, static_cast<int64_t>(weight.size()), eps, out, api_->stream());
}

void CudaBackend::rope(float* x, std::span<const int32_t> positions, int64_t n_heads, int64_t head_dim, double theta,
                       RopePairing pairing) {
  const int32_t* p = stage(positions);
  cuda::rope(x, p, static_cast<int64_t>(positions.size()), n_heads, head_dim, theta, pairing, api_->stream());
}

void CudaBackend::silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  cuda::silu_mul(gate, up, n, out, api_->stream());
}

void CudaBackend::add(float* out, const float* x, int64_t n) { cuda::add_inplace(out, x, n, api_->stream()); }

void CudaBackend::embed(const TensorView& table, std::span<const int32_t> tokens, float* out) {
  // The table in its own type (shared with a tied LM head); rows dequantised exactly.
  const DeviceWeight& d = device_weight(table);
  const int32_t* t = stage(tokens);
  cuda::embed_rows(d.dtype, d.buffer.data(), table.rows(), table.cols(), t, static_cast<int64_t>(tokens.size()),
                   out, api_->stream());
}

void CudaBackend::gather_rows(const float* x, std::span<const int64_t> rows, int64_t width, float* out) {
  const int64_t bytes = width * static_cast<int64_t>(sizeof(float));
  for (std::size_t i = 0; i < rows.size(); ++i) api_->copy(out + static_cast<int64_t>(i) * width, x + rows[i] * width, bytes);
}

void CudaBackend::add_weighted_rows(float* out, std::span<const int64_t> rows, std::span<const float> weights,
                                    const float* y, int64_t width) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    gemm_->saxpy(width, weights[i], y + static_cast<int64_t>(i) * width, out + rows[i] * width);
  }
}

void CudaBackend::attention(std::span<const AttentionSegment> segments, const ModelConfig& config) {
  for (const AttentionSegment& s : segments) {
    const KvRows& r = s.kv;
    const KvLayer layer{const_cast<void*>(r.keys), const_cast<void*>(r.values), config.n_kv_heads,
                        r.head_stride / r.row_stride, r.row_stride, r.dtype};
    const uint8_t* mask = stage(std::span<const uint8_t>(s.mask->allowed));
    cuda::masked_attention(s.q, layer, mask, s.mask->n_new, s.mask->width(), config.n_heads, s.out, api_->stream());
  }
}

void CudaBackend::kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n) {
  cuda::kv_write(layer, first, k, v, n, api_->stream());
}

void CudaBackend::kv_keep(const KvLayer& layer, std::span<const int64_t> indices) {
  const int64_t* i = stage(indices);
  cuda::kv_gather(layer, i, static_cast<int64_t>(indices.size()), api_->stream());
}

}  // namespace eaglerun
