#pragma once
// Matrix products against weight tensors of any DType, and dequantisation.
#include <cstdint>
#include <span>

#include "core/kernels/thread_pool.h"
#include "core/tensor/tensor_view.h"

namespace eaglerun {

// Reference: weights dequantised exactly to fp32, activations exact, fp32 accumulation in a fixed
//            order (16 interleaved partial sums), the same on every CPU and thread count. The
//            ground truth (matches Hugging Face running the same dequantised weights in fp32).
// Fast:      native kernels, chosen at run time by CPU (kernel_isa.h: AVX-512 VNNI, AVX2, scalar).
//            Q8_0/Q4_0/Q4_1 weights: activations quantised to 8-bit blocks of 32 with fp32 scales
//            (as llama.cpp does) and exact integer block dot products, fp32 across blocks; the
//            error bound is in tests/kernels/test_matmul_fast.cpp. F16/BF16/F32 weights: converted
//            on the fly, fp32 FMA. Results do not depend on the thread count.
enum class Precision { Reference, Fast };

// y[n, out] = x[n, in] · W[out, in]^T.  W.shape = [out, in] (2-D); x, y row-major fp32.
void matmul(const TensorView& w, const float* x, int64_t n, float* y, Precision precision, ThreadPool& pool);

// Same, for output rows [row_begin, row_end) of W only; y is then [n, row_end - row_begin].
void matmul_rows(const TensorView& w, int64_t row_begin, int64_t row_end, const float* x, int64_t n, float* y,
                 Precision precision, ThreadPool& pool);

// One of several matmuls that read the same input (q, k and v; gate and up).
struct MatmulTarget {
  const TensorView* w;  // [out_i, in]
  float* y;             // [n, out_i]
};
// y_i = x · W_i^T for every target, all with the same x[n, in]. Gives exactly the results of
// separate matmul calls, but quantises x once and splits all rows over the pool in one parallel
// loop: fewer dispatches per decode step.
void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n, Precision precision,
                 ThreadPool& pool);

// Dequantise n elements (a multiple of the block size) starting at a block boundary.
void dequantize(DType type, const std::byte* src, int64_t n, float* out);
// x[n] (a multiple of 32) to Q8_0 blocks: out[n / 32 * sizeof(BlockQ8_0)].
void quantize_q8_0(const float* x, int64_t n, std::byte* out);
// x[n] (a multiple of 32) to Q4_0 / Q4_1 blocks, rounding as ggml's quantize_row_q4_0_ref / _q4_1_ref.
void quantize_q4_0(const float* x, int64_t n, std::byte* out);
void quantize_q4_1(const float* x, int64_t n, std::byte* out);
// x[n] stored as `type` (F32/F16/BF16: round to nearest even; quantised: the functions above):
// out[storage_bytes(type, n)]. The inverse of dequantize() up to its rounding.
void encode(DType type, const float* x, int64_t n, std::byte* out);
// One row of a 2-D weight (embedding lookup): out[cols].
void dequantize_row(const TensorView& w, int64_t row, float* out);

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
// out[i] = fp32_to_fp16(x[i]) for i < n, in a loop the compiler vectorises.
void fp32_to_fp16_row(const float* x, int64_t n, uint16_t* out);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);  // round to nearest even

}  // namespace eaglerun
