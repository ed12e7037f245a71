#pragma once
// Internal: the AVX2 kernels (kernels_avx2_*.cpp, compiled with -mavx2 -mfma -mf16c).
// Call only when kernel_isa_supported(KernelIsa::Avx2).
//
// Packed weight rows and quantised activation rows: avx2_layout.h.
#include "core/kernels/isa_kernels.h"

namespace eaglerun::kernels::avx2 {

std::size_t act_row_bytes(DType wtype, int64_t k);
void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out);
void pack_rows(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k, std::byte* dst);
void gemm_quant(const QuantGemmArgs& a);
void gemm_float(const FloatGemmArgs& a);
void attention_scores(const AttentionHeadsArgs& a);  // kernels_avx2_attention.cpp
void attention_mix(const AttentionHeadsArgs& a);

}  // namespace eaglerun::kernels::avx2
