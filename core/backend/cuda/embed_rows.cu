// Embedding lookup: whole rows of a weight of any DType, dequantised (core/kernels/matmul.h
// dequantize_row).
#include "core/backend/cuda/dequantize.cuh"
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// table: [rows, cols] of `type`, row_bytes per row; tokens: [gridDim.x]; out: [gridDim.x, cols].
// Block (x, y) writes stretch y of out row x; a token outside [0, rows) traps.
template <DType type>
__global__ void embed_rows_kernel(const unsigned char* table, int64_t rows, int64_t cols, int64_t row_bytes,
                                  const int32_t* tokens, float* out) {
  const int32_t token = tokens[blockIdx.x];
  if (token < 0 || token >= rows) __trap();
  const unsigned char* row = table + static_cast<int64_t>(token) * row_bytes;
  float* out_row = out + static_cast<int64_t>(blockIdx.x) * cols;
  const int64_t stride = static_cast<int64_t>(gridDim.y) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.y) * blockDim.x + threadIdx.x; c < cols; c += stride) {
    out_row[c] = dequantize_element<type>(row, c);
  }
}

template <DType type>
void launch_embed_rows(const void* table, int64_t rows, int64_t cols, const int32_t* tokens, int64_t n, float* out,
                       cudaStream_t stream) {
  constexpr unsigned threads = 256;
  const dim3 grid(static_cast<unsigned>(n), blocks_for(cols, threads, 64));
  const auto row_bytes = static_cast<int64_t>(storage_bytes(type, cols));
  launch(embed_rows_kernel<type>, grid, dim3(threads), 0, stream, static_cast<const unsigned char*>(table), rows,
         cols, row_bytes, tokens, out);
}

}  // namespace

void embed_rows(DType dtype, const void* table, int64_t rows, int64_t cols, const int32_t* tokens, int64_t n,
                float* out, cudaStream_t stream) {
  require_size("cuda::embed_rows", "tokens", n);
  require_size("cuda::embed_rows", "rows", rows, int64_t{1} << 40);
  require_size("cuda::embed_rows", "cols", cols, int64_t{1} << 40);
  const DTypeInfo& info = dtype_info(dtype);
  require(cols % info.block_elems == 0, "cuda::embed_rows: " + std::to_string(cols) + " columns of " +
                                            std::string(info.name) + " are not whole blocks of " +
                                            std::to_string(info.block_elems));
  switch (dtype) {
    case DType::F32:
      return launch_embed_rows<DType::F32>(table, rows, cols, tokens, n, out, stream);
    case DType::F16:
      return launch_embed_rows<DType::F16>(table, rows, cols, tokens, n, out, stream);
    case DType::BF16:
      return launch_embed_rows<DType::BF16>(table, rows, cols, tokens, n, out, stream);
    case DType::Q8_0:
      return launch_embed_rows<DType::Q8_0>(table, rows, cols, tokens, n, out, stream);
    case DType::Q4_0:
      return launch_embed_rows<DType::Q4_0>(table, rows, cols, tokens, n, out, stream);
    case DType::Q4_1:
      return launch_embed_rows<DType::Q4_1>(table, rows, cols, tokens, n, out, stream);
  }
  throw Error("cuda::embed_rows: unknown dtype");
}

}  // namespace eaglerun::cuda
