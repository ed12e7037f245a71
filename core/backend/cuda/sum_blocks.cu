// The device step of the NCCL communicator's deterministic all-reduce (parallel/nccl_communicator.cpp):
// after the reduce-scatter, a rank holds block r of every rank and sums them in rank order, exactly as
// Communicator::all_reduce_sum does on the host (parallel/communicator.cpp).
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// blocks: [p, block]; out: [block]. out[i] = ((blocks[0, i] + blocks[1, i]) + ...) + blocks[p - 1, i]:
// fp32 adds only (nothing to fuse), one thread per element, so the order is the host loop's.
__global__ void sum_blocks_kernel(const float* blocks, int64_t p, int64_t block, float* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < block; i += stride) {
    float sum = blocks[i];
    for (int64_t r = 1; r < p; ++r) sum += blocks[r * block + i];
    out[i] = sum;
  }
}

constexpr unsigned sum_blocks_threads = 256;

}  // namespace

void sum_blocks(const float* blocks, int64_t p, int64_t block, float* out, cudaStream_t stream) {
  require_size("cuda::sum_blocks", "p", p, int64_t{1} << 20);
  require_size("cuda::sum_blocks", "block", block, int64_t{1} << 40);
  launch(sum_blocks_kernel, dim3(blocks_for(block, sum_blocks_threads)), dim3(sum_blocks_threads), 0, stream, blocks,
         p, block, out);
}

}  // namespace eaglerun::cuda
