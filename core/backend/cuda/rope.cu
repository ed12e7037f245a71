// Rotary position embedding in place, one block per token (core/kernels/ops.h rope).
#include <cmath>

#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// x: [gridDim.x, n_heads * head_dim]; positions: [gridDim.x]. Dynamic shared memory: cos and sin of
// the token's angles, [2, head_dim / 2] floats, computed in double and rounded to float as the CPU's
// table is. The rotation uses _rn operations so nvcc does not fuse it into FMAs the CPU does not do.
__global__ void rope_kernel(float* x, const int32_t* positions, int64_t n_heads, int64_t head_dim, double theta,
                            bool halves) {
  const int64_t half = head_dim / 2;
  float* cos_table = dynamic_shared<float>();
  float* sin_table = cos_table + half;
  const int32_t position = positions[blockIdx.x];
  if (position < 0) __trap();
  for (int64_t j = threadIdx.x; j < half; j += blockDim.x) {
    const double inv_freq = pow(theta, -2.0 * static_cast<double>(j) / static_cast<double>(2 * half));
    const double angle = static_cast<double>(position) * inv_freq;
    cos_table[j] = static_cast<float>(cos(angle));
    sin_table[j] = static_cast<float>(sin(angle));
  }
  __syncthreads();
  float* row = x + static_cast<int64_t>(blockIdx.x) * n_heads * head_dim;
  for (int64_t k = threadIdx.x; k < n_heads * half; k += blockDim.x) {
    const int64_t j = k % half;
    float* head = row + k / half * head_dim;
    float& a = halves ? head[j] : head[2 * j];
    float& b = halves ? head[j + half] : head[2 * j + 1];
    const float a0 = a;
    const float b0 = b;
    const float c = cos_table[j];
    const float s = sin_table[j];
    a = __fsub_rn(__fmul_rn(a0, c), __fmul_rn(b0, s));
    b = __fadd_rn(__fmul_rn(b0, c), __fmul_rn(a0, s));
  }
}

}  // namespace

void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta,
          RopePairing pairing, cudaStream_t stream) {
  require_size("cuda::rope", "rows", n);
  require_size("cuda::rope", "heads", n_heads, int64_t{1} << 20);
  require_size("cuda::rope", "head_dim", head_dim, 8192);
  require(head_dim % 2 == 0, "cuda::rope: head_dim must be even, got " + std::to_string(head_dim));
  const unsigned threads = threads_for(n_heads * head_dim / 2, 256);
  const std::size_t shared_bytes = static_cast<std::size_t>(head_dim) * sizeof(float);
  launch(rope_kernel, dim3(static_cast<unsigned>(n)), dim3(threads), shared_bytes, stream, x, positions, n_heads,
         head_dim, theta, pairing == RopePairing::Halves);
}

}  // namespace eaglerun::cuda
