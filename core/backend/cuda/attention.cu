// Grouped-query attention of new tokens over one layer of the KV cache, under an explicit mask
// (core/backend/masked_attention.h semantics), one block per (query head, new token).
#include <cmath>

#include "core/backend/cuda/block_reduce.cuh"
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

constexpr unsigned attention_threads = 128;             // 4 warps
constexpr unsigned attention_warps = attention_threads / 32;
constexpr int max_dims_per_lane = 8;                     // head_dim <= 256
constexpr int64_t max_head_dim = 32 * max_dims_per_lane;

__device__ __forceinline__ float load_element(const float* row, int64_t k) { return row[k]; }
__device__ __forceinline__ float load_element(const uint16_t* row, int64_t k) {
  return __half2float(__ushort_as_half(row[k]));
}

// q, out: [n_new, n_heads * head_dim]; keys, values: [n_kv_heads, capacity, head_dim] of Element;
// mask: [n_new, width] (nonzero: visible). Block (h, i) computes query head h of new token i against
// KV head h / group. Each warp takes every 4th visible key (lane l holds dims l, l + 32, ...) and keeps
// an online softmax (running max, sum and weighted values, all fp32); the warps merge at the end.
// A token that sees no key gets zeros.
template <class Element>
__global__ void masked_attention_kernel(const float* q, const Element* keys, const Element* values,
                                        const uint8_t* mask, int64_t width, int64_t capacity, int64_t head_dim,
                                        int64_t group, float scale, float* out) {
  __shared__ float partial_max[attention_warps];
  __shared__ float partial_sum[attention_warps];
  __shared__ float partial_acc[attention_warps][max_head_dim];
  const int64_t h = blockIdx.x;
  const int64_t i = blockIdx.y;
  const int64_t q_dim = static_cast<int64_t>(gridDim.x) * head_dim;
  const unsigned lane = threadIdx.x % 32;
  const unsigned warp = threadIdx.x / 32;
  const int64_t kv_head = h / group;
  const Element* head_keys = keys + kv_head * capacity * head_dim;
  const Element* head_values = values + kv_head * capacity * head_dim;
  const uint8_t* visible = mask + i * width;

  float q_lane[max_dims_per_lane];
  float acc[max_dims_per_lane];
#pragma unroll
  for (int r = 0; r < max_dims_per_lane; ++r) {
    const int64_t k = lane + 32 * r;
    q_lane[r] = k < head_dim ? q[i * q_dim + h * head_dim + k] : 0.0f;
    acc[r] = 0.0f;
  }
  float running_max = -INFINITY;
  float running_sum = 0.0f;
  for (int64_t j = warp; j < width; j += attention_warps) {
    if (!visible[j]) continue;  // the same j for the whole warp: no divergence within it
    const Element* key = head_keys + j * head_dim;
    float dot = 0.0f;
#pragma unroll
    for (int r = 0; r < max_dims_per_lane; ++r) {
      const int64_t k = lane + 32 * r;
      if (k < head_dim) dot += q_lane[r] * load_element(key, k);
    }
    const float score = warp_sum(dot) * scale;
    const float new_max = fmaxf(running_max, score);
    const float rescale = expf(running_max - new_max);  // exp(-inf) = 0 for the first key
    const float p = expf(score - new_max);
    running_sum = running_sum * rescale + p;
    const Element* value = head_values + j * head_dim;
#pragma unroll
    for (int r = 0; r < max_dims_per_lane; ++r) {
      const int64_t k = lane + 32 * r;
      if (k < head_dim) acc[r] = acc[r] * rescale + p * load_element(value, k);
    }
    running_max = new_max;
  }
  if (lane == 0) {
    partial_max[warp] = running_max;
    partial_sum[warp] = running_sum;
  }
#pragma unroll
  for (int r = 0; r < max_dims_per_lane; ++r) {
    const int64_t k = lane + 32 * r;
    if (k < head_dim) partial_acc[warp][k] = acc[r];
  }
  __syncthreads();
  float total_max = -INFINITY;
  for (unsigned w = 0; w < attention_warps; ++w) total_max = fmaxf(total_max, partial_max[w]);
  float total_sum = 0.0f;
  float weight[attention_warps];
  for (unsigned w = 0; w < attention_warps; ++w) {
    weight[w] = partial_sum[w] > 0.0f ? expf(partial_max[w] - total_max) : 0.0f;  // a warp that saw no key: 0
    total_sum += partial_sum[w] * weight[w];
  }
  const float inv = total_sum > 0.0f ? 1.0f / total_sum : 0.0f;
  for (int64_t k = threadIdx.x; k < head_dim; k += blockDim.x) {
    float o = 0.0f;
    for (unsigned w = 0; w < attention_warps; ++w) o += partial_acc[w][k] * weight[w];
    out[i * q_dim + h * head_dim + k] = o * inv;
  }
}

}  // namespace

void masked_attention(const float* q, const KvLayer& layer, const uint8_t* mask, int64_t n_new, int64_t width,
                      int64_t n_heads, float* out, cudaStream_t stream) {
  const char* op = "cuda::masked_attention";
  require(layer.dtype == DType::F32 || layer.dtype == DType::F16,
          std::string(op) + ": a KV cache holds F32 or F16 rows, not " + std::string(dtype_info(layer.dtype).name));
  require_size(op, "n_kv_heads", layer.n_kv_heads, 65535);
  require_size(op, "head_dim", layer.head_dim, max_head_dim);
  require_size(op, "new tokens", n_new, 65535);
  require_size(op, "width", width, layer.capacity);
  require(n_new <= width, std::string(op) + ": " + std::to_string(n_new) + " new tokens exceed the mask's width of " +
                              std::to_string(width));
  require_size(op, "query heads", n_heads, 65535);
  require(n_heads % layer.n_kv_heads == 0, std::string(op) + ": " + std::to_string(n_heads) +
                                               " query heads are not a multiple of " +
                                               std::to_string(layer.n_kv_heads) + " KV heads");
  const float scale = 1.0f / sqrtf(static_cast<float>(layer.head_dim));
  const int64_t group = n_heads / layer.n_kv_heads;
  const dim3 grid(static_cast<unsigned>(n_heads), static_cast<unsigned>(n_new));
  if (layer.dtype == DType::F32) {
    launch(masked_attention_kernel<float>, grid, dim3(attention_threads), 0, stream, q,
           static_cast<const float*>(layer.keys), static_cast<const float*>(layer.values), mask, width,
           layer.capacity, layer.head_dim, group, scale, out);
  } else {
    launch(masked_attention_kernel<uint16_t>, grid, dim3(attention_threads), 0, stream, q,
           static_cast<const uint16_t*>(layer.keys), static_cast<const uint16_t*>(layer.values), mask, width,
           layer.capacity, layer.head_dim, group, scale, out);
  }
}

}  // namespace eaglerun::cuda
