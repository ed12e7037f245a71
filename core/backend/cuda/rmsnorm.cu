// RMSNorm, one block per row (core/kernels/ops.h rmsnorm).
#include "core/backend/cuda/block_reduce.cuh"
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// x, out: [gridDim.x, dim] (may alias); weight: [dim]. The sum of squares runs in double, as on the
// CPU; the scale and the products are float, with the CPU's order of operations.
__global__ void rmsnorm_kernel(const float* x, const float* weight, int64_t dim, float eps, float* out) {
  __shared__ double scratch[32];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * dim;
  float* out_row = out + static_cast<int64_t>(blockIdx.x) * dim;
  double sum_sq = 0.0;
  for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) sum_sq += static_cast<double>(row[j]) * row[j];
  sum_sq = block_sum(sum_sq, scratch);
  const float mean_sq = static_cast<float>(sum_sq / static_cast<double>(dim));
  const float scale = 1.0f / sqrtf(mean_sq + eps);
  for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) out_row[j] = weight[j] * (row[j] * scale);
}

}  // namespace

void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out,
             cudaStream_t stream) {
  require_size("cuda::rmsnorm", "rows", n);
  require_size("cuda::rmsnorm", "dim", dim, int64_t{1} << 40);
  const unsigned threads = threads_for(dim, 256);
  launch(rmsnorm_kernel, dim3(static_cast<unsigned>(n)), dim3(threads), 0, stream, x, weight, dim, eps, out);
}

}  // namespace eaglerun::cuda
