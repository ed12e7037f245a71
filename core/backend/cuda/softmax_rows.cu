// Softmax of each row in place, one block per row (core/kernels/ops.h softmax).
#include <cmath>

#include "core/backend/cuda/block_reduce.cuh"
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// x: [gridDim.x, cols]. x = exp(x - max) / sum, the sum of the float exponentials taken in double and
// its inverse rounded to float once, as on the CPU.
__global__ void softmax_rows_kernel(float* x, int64_t cols) {
  __shared__ float max_scratch[32];
  __shared__ double sum_scratch[32];
  float* row = x + static_cast<int64_t>(blockIdx.x) * cols;
  float max = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) max = fmaxf(max, row[j]);
  max = block_max(max, max_scratch);
  double sum = 0.0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float e = expf(row[j] - max);
    row[j] = e;
    sum += e;
  }
  sum = block_sum(sum, sum_scratch);
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) row[j] *= inv;
}

}  // namespace

void softmax_rows(float* x, int64_t n, int64_t cols, cudaStream_t stream) {
  require_size("cuda::softmax_rows", "rows", n);
  require_size("cuda::softmax_rows", "cols", cols, int64_t{1} << 40);
  launch(softmax_rows_kernel, dim3(static_cast<unsigned>(n)), dim3(threads_for(cols, 512)), 0, stream, x, cols);
}

}  // namespace eaglerun::cuda
