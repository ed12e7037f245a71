#pragma once
// Warp and block reductions for kernels whose blocks are whole warps (blockDim.x a multiple of 32,
// blockDim.y = blockDim.z = 1). Every lane of every warp ends with the same result, computed in the
// same order (xor butterflies), so a block's threads never disagree.
#include <cmath>

#include "core/backend/cuda/launch.h"

namespace eaglerun::cuda {

inline constexpr unsigned full_warp = 0xFFFFFFFFu;

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(full_warp, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(full_warp, v, offset));
  return v;
}

// Sum of v over the block. scratch: 32 T of shared memory. Every thread must call it (two barriers);
// scratch may be reused as soon as it returns.
template <class T>
__device__ T block_sum(T v, T* scratch) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned warps = blockDim.x / 32;
  v = warp_sum(v);
  if (lane == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : T(0);
  total = warp_sum(total);
  __syncthreads();
  return total;
}

// Maximum of v over the block (NaN ignored, as fmaxf does). scratch: 32 floats of shared memory.
__device__ inline float block_max(float v, float* scratch) {
  const unsigned lane = threadIdx.x % 32;
  const unsigned warps = blockDim.x / 32;
  v = warp_max(v);
  if (lane == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float total = lane < warps ? scratch[lane] : -INFINITY;
  total = warp_max(total);
  __syncthreads();
  return total;
}

}  // namespace eaglerun::cuda
