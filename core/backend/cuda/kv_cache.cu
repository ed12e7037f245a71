// The KV cache's device ops (core/model/kv_cache.h): writing new rows, and keep()'s compaction.
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

__device__ __forceinline__ void store_element(float* dst, float v) { *dst = v; }
__device__ __forceinline__ void store_element(uint16_t* dst, float v) {
  *dst = __half_as_ushort(__float2half_rn(v));  // round to nearest even, as KvCache::write
}

// k, v: [n, n_kv_heads * head_dim] fp32; keys, values: [n_kv_heads, capacity, head_dim] of Element.
// Element (i, g, d) of k goes to keys[g, first + i, d].
template <class Element>
__global__ void kv_write_kernel(Element* keys, Element* values, int64_t n_kv_heads, int64_t capacity,
                                int64_t head_dim, int64_t first, const float* k, const float* v, int64_t n) {
  const int64_t kv_dim = n_kv_heads * head_dim;
  const int64_t total = n * kv_dim;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t i = e / kv_dim;
    const int64_t g = e % kv_dim / head_dim;
    const int64_t d = e % head_dim;
    const int64_t to = (g * capacity + first + i) * head_dim + d;
    store_element(keys + to, k[e]);
    store_element(values + to, v[e]);
  }
}

// keys, values: [n_kv_heads, capacity, head_dim] of Element; indices: [count], i <= indices[i] < capacity
// (else the kernel traps).
// Row i <- row indices[i]. Rows overlap (a source row may be a later destination), so each thread
// owns one element column (one of keys or values, one KV head, one d) and copies it in row order,
// as the CPU copies whole rows in order: a source is always read before its row is overwritten.
template <class Element>
__global__ void kv_gather_kernel(Element* keys, Element* values, int64_t n_kv_heads, int64_t capacity,
                                 int64_t head_dim, const int64_t* indices, int64_t count) {
  const int64_t columns = 2 * n_kv_heads * head_dim;
  const int64_t column = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (column >= columns) return;
  const int64_t per_tensor = n_kv_heads * head_dim;
  Element* tensor = column < per_tensor ? keys : values;
  const int64_t g = column % per_tensor / head_dim;
  Element* base = tensor + g * capacity * head_dim + column % head_dim;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t from = indices[i];
    if (from < i || from >= capacity) __trap();  // would read a row already overwritten, or outside the cache
    if (from != i) base[i * head_dim] = base[from * head_dim];
  }
}

void check_layer(const KvLayer& layer, const char* op) {
  require(layer.dtype == DType::F32 || layer.dtype == DType::F16,
          std::string(op) + ": a KV cache holds F32 or F16 rows, not " + std::string(dtype_info(layer.dtype).name));
  require_size(op, "n_kv_heads", layer.n_kv_heads, int64_t{1} << 20);
  require_size(op, "capacity", layer.capacity, int64_t{1} << 40);
  require_size(op, "head_dim", layer.head_dim, int64_t{1} << 20);
}

}  // namespace

void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n, cudaStream_t stream) {
  check_layer(layer, "cuda::kv_write");
  require_size("cuda::kv_write", "rows", n, int64_t{1} << 40);
  require(first >= 0 && first + n <= layer.capacity,
          "cuda::kv_write: rows [" + std::to_string(first) + ", " + std::to_string(first + n) +
              ") are outside the cache's capacity of " + std::to_string(layer.capacity));
  constexpr unsigned threads = 256;
  const dim3 grid(blocks_for(n * layer.n_kv_heads * layer.head_dim, threads));
  if (layer.dtype == DType::F32) {
    launch(kv_write_kernel<float>, grid, dim3(threads), 0, stream, static_cast<float*>(layer.keys),
           static_cast<float*>(layer.values), layer.n_kv_heads, layer.capacity, layer.head_dim, first, k, v, n);
  } else {
    launch(kv_write_kernel<uint16_t>, grid, dim3(threads), 0, stream, static_cast<uint16_t*>(layer.keys),
           static_cast<uint16_t*>(layer.values), layer.n_kv_heads, layer.capacity, layer.head_dim, first, k, v, n);
  }
}

void kv_gather(const KvLayer& layer, const int64_t* indices, int64_t count, cudaStream_t stream) {
  check_layer(layer, "cuda::kv_gather");
  require_size("cuda::kv_gather", "count", count, layer.capacity);
  constexpr unsigned threads = 128;
  const int64_t columns = 2 * layer.n_kv_heads * layer.head_dim;
  const dim3 grid(blocks_for(columns, threads, max_grid_blocks));
  if (layer.dtype == DType::F32) {
    launch(kv_gather_kernel<uint32_t>, grid, dim3(threads), 0, stream, static_cast<uint32_t*>(layer.keys),
           static_cast<uint32_t*>(layer.values), layer.n_kv_heads, layer.capacity, layer.head_dim, indices, count);
  } else {
    launch(kv_gather_kernel<uint16_t>, grid, dim3(threads), 0, stream, static_cast<uint16_t*>(layer.keys),
           static_cast<uint16_t*>(layer.values), layer.n_kv_heads, layer.capacity, layer.head_dim, indices, count);
  }
}

}  // namespace eaglerun::cuda
