// y = x · W^T for a weight of any DType in its file layout and a few rows of x (decode and
// verification: n = 1..64), fp32 accumulation (core/kernels/matmul.h, Precision::Reference: the
// same products, summed in another order).
#include "core/backend/cuda/block_reduce.cuh"
#include "core/backend/cuda/dequantize.cuh"
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

constexpr unsigned matmul_warps = 4;  // output rows per block, one warp each
constexpr int tokens_per_block = 8;   // rows of x per block: 8 accumulators per lane

// w: [out, in] of `type`, row_bytes per row; x: [n, in]; y: [n, out]. Block (b, t) computes outputs
// rows 4b..4b+3 for x rows 8t..8t+7; in each warp, lane l takes columns l, l + 32, ... (consecutive
// lanes read consecutive elements or bytes), then the warp sums its lanes.
template <DType type>
__global__ void matmul_kernel(const unsigned char* w, int64_t out, int64_t in, int64_t row_bytes, const float* x,
                              int64_t n, float* y) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * matmul_warps + threadIdx.x / 32;
  const int64_t first_token = static_cast<int64_t>(blockIdx.y) * tokens_per_block;
  const unsigned lane = threadIdx.x % 32;
  if (row >= out) return;  // a whole warp leaves together
  const unsigned char* w_row = w + row * row_bytes;
  const int64_t tokens = n - first_token < tokens_per_block ? n - first_token : tokens_per_block;
  float acc[tokens_per_block];
#pragma unroll
  for (int t = 0; t < tokens_per_block; ++t) acc[t] = 0.0f;
  for (int64_t k = lane; k < in; k += 32) {
    const float weight = dequantize_element<type>(w_row, k);
    const float* x_column = x + first_token * in + k;
#pragma unroll
    for (int t = 0; t < tokens_per_block; ++t) {
      if (t < tokens) acc[t] += weight * x_column[t * in];
    }
  }
#pragma unroll
  for (int t = 0; t < tokens_per_block; ++t) {
    const float total = warp_sum(acc[t]);
    if (lane == 0 && t < tokens) y[(first_token + t) * out + row] = total;
  }
}

template <DType type>
void launch_matmul(const void* w, int64_t out, int64_t in, const float* x, int64_t n, float* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((out + matmul_warps - 1) / matmul_warps),
                  static_cast<unsigned>((n + tokens_per_block - 1) / tokens_per_block));
  const auto row_bytes = static_cast<int64_t>(storage_bytes(type, in));
  launch(matmul_kernel<type>, grid, dim3(32 * matmul_warps), 0, stream, static_cast<const unsigned char*>(w), out,
         in, row_bytes, x, n, y);
}

}  // namespace

void matmul(DType dtype, const void* w, int64_t out, int64_t in, const float* x, int64_t n, float* y,
            cudaStream_t stream) {
  const char* op = "cuda::matmul";
  require_size(op, "output rows", out, max_grid_blocks);
  require_size(op, "inputs", in, int64_t{1} << 40);
  require_size(op, "rows of x", n, 65535 * int64_t{tokens_per_block});
  const DTypeInfo& info = dtype_info(dtype);
  require(in % info.block_elems == 0, std::string(op) + ": rows of " + std::to_string(in) + " " +
                                          std::string(info.name) + " elements are not whole blocks of " +
                                          std::to_string(info.block_elems));
  switch (dtype) {
    case DType::F32:
      return launch_matmul<DType::F32>(w, out, in, x, n, y, stream);
    case DType::F16:
      return launch_matmul<DType::F16>(w, out, in, x, n, y, stream);
    case DType::BF16:
      return launch_matmul<DType::BF16>(w, out, in, x, n, y, stream);
    case DType::Q8_0:
      return launch_matmul<DType::Q8_0>(w, out, in, x, n, y, stream);
    case DType::Q4_0:
      return launch_matmul<DType::Q4_0>(w, out, in, x, n, y, stream);
    case DType::Q4_1:
      return launch_matmul<DType::Q4_1>(w, out, in, x, n, y, stream);
  }
  throw Error("cuda::matmul: unknown dtype");
}

}  // namespace eaglerun::cuda
