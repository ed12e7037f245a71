#pragma once
// Internal: the AVX2 kernels (kernels_avx2_*.cpp, compiled with -mavx2 -mfma -mf16c).
// Call only when kernel_isa_supported(KernelIsa::Avx2).
//
// Quantised activation row of k elements (nb = k / 32 blocks), structure of arrays:
//   int8  q[32 nb]   q[32 b + i] = round(x[32 b + i] / d[b]),  d[b] = max|x| / 127
//   float d[nb]
//   float s[nb]      s[b] = d[b] * sum_i q[32 b + i]
// padded to a multiple of 64 bytes.
#include "core/kernels/isa_kernels.h"

namespace eaglerun::kernels::avx2 {

std::size_t act_row_bytes(DType wtype, int64_t k);
void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out);
void gemm_quant(const QuantGemmArgs& a);
void gemm_float(const FloatGemmArgs& a);

}  // namespace eaglerun::kernels::avx2
