// Argmax of each row, one block per row (core/kernels/ops.h argmax).
#include <cmath>

#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

constexpr int64_t no_index = INT64_MAX;  // "nothing above -inf seen yet"

// (value, index) pairs: the larger value wins, the lower index among equal values. A thread's own
// scan uses a strict >, so it keeps the first index of its maximum; NaN never wins.
struct Best {
  float value;
  int64_t index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
  return b.value > a.value || (b.value == a.value && b.index < a.index) ? b : a;
}

__device__ __forceinline__ Best warp_best(Best best) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const Best other{__shfl_xor_sync(0xFFFFFFFFu, best.value, offset),
                     __shfl_xor_sync(0xFFFFFFFFu, best.index, offset)};
    best = better(best, other);
  }
  return best;
}

// x: [gridDim.x, cols]; out_index: [gridDim.x].
__global__ void argmax_rows_kernel(const float* x, int64_t cols, int32_t* out_index) {
  __shared__ float scratch_value[32];
  __shared__ int64_t scratch_index[32];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * cols;
  Best best{-INFINITY, no_index};
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    if (row[j] > best.value) best = Best{row[j], j};
  }
  best = warp_best(best);
  const unsigned lane = threadIdx.x % 32;
  if (lane == 0) {
    scratch_value[threadIdx.x / 32] = best.value;
    scratch_index[threadIdx.x / 32] = best.index;
  }
  __syncthreads();
  if (threadIdx.x < 32) {
    best = lane < blockDim.x / 32 ? Best{scratch_value[lane], scratch_index[lane]} : Best{-INFINITY, no_index};
    best = warp_best(best);
    if (lane == 0) out_index[blockIdx.x] = static_cast<int32_t>(best.index == no_index ? 0 : best.index);
  }
}

}  // namespace

void argmax_rows(const float* x, int64_t n, int64_t cols, int32_t* out_index, cudaStream_t stream) {
  require_size("cuda::argmax_rows", "rows", n);
  require_size("cuda::argmax_rows", "cols", cols, INT32_MAX);
  launch(argmax_rows_kernel, dim3(static_cast<unsigned>(n)), dim3(threads_for(cols, 512)), 0, stream, x, cols,
         out_index);
}

}  // namespace eaglerun::cuda
