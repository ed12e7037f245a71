#pragma once
// Internal: the AVX-512 VNNI kernels (kernels_avx512_*.cpp, compiled with AVX-512 flags).
// Call only when kernel_isa_supported(KernelIsa::Avx512).
#include "core/kernels/isa_kernels.h"

namespace eaglerun::kernels::avx512 {

std::size_t act_row_bytes(DType wtype, int64_t k);
void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out);
void pack_rows(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k, std::byte* dst);
void gemm_quant(const QuantGemmArgs& a);
// fp32_to_fp16_row (matmul.h) for whole 16-element vectors: returns how many it converted.
int64_t fp32_to_fp16_row(const float* x, int64_t n, uint16_t* out);
void gemm_float(const FloatGemmArgs& a);
void attention_scores(const AttentionHeadsArgs& a);
void attention_mix(const AttentionHeadsArgs& a);

}  // namespace eaglerun::kernels::avx512
