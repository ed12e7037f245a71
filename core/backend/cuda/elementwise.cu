// Element-wise ops of the forward pass: SwiGLU's gate and the residual add (core/kernels/ops.h).
#include <cmath>

#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// gate, up, out: [n]; out may alias gate. out = g / (1 + exp(-g)) * up, as on the CPU.
__global__ void silu_mul_kernel(const float* gate, const float* up, int64_t n, float* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

// out, x: [n]. out += x.
__global__ void add_inplace_kernel(float* out, const float* x, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] += x[i];
}

constexpr unsigned elementwise_threads = 256;

}  // namespace

void silu_mul(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream) {
  require_size("cuda::silu_mul", "n", n, int64_t{1} << 40);
  launch(silu_mul_kernel, dim3(blocks_for(n, elementwise_threads)), dim3(elementwise_threads), 0, stream, gate, up,
         n, out);
}

void add_inplace(float* out, const float* x, int64_t n, cudaStream_t stream) {
  require_size("cuda::add_inplace", "n", n, int64_t{1} << 40);
  launch(add_inplace_kernel, dim3(blocks_for(n, elementwise_threads)), dim3(elementwise_threads), 0, stream, out, x,
         n);
}

}  // namespace eaglerun::cuda
