#pragma once
// Internal: the native kernels of one instruction set, as a table of plain functions, and the
// argument structs that matmul_fast.cpp passes to them.
//
// Each ISA's kernels live in their own .cpp files compiled with that ISA's flags. Those files
// define only functions reached through these tables and use no inline or template code shared
// with other files (no std:: algorithms or containers), so that no AVX-512 instruction can leak
// into code that runs before the CPU check.
#include <cstddef>
#include <cstdint>

#include "core/kernels/attention_kernels.h"
#include "core/tensor/dtype.h"

namespace eaglerun::kernels {

// y[c * ldy + r] = sum_k W[r, k] * x[c, k]  for r < rows, c < n, with the activations x already
// quantised by the same ISA's quantize_row (to 8-bit blocks of 32 with fp32 scales, in a layout
// private to the ISA).
struct QuantGemmArgs {
  DType wtype;            // Q8_0, Q4_0 or Q4_1
  const std::byte* w;     // first weight row of this slice: [rows, w_stride bytes], packed by pack_rows if any
  std::size_t w_stride;   // bytes between weight rows
  int64_t rows;
  int64_t k;              // elements per row, a multiple of 32
  const std::byte* act;   // quantised activations: [n, act_stride bytes]
  std::size_t act_stride;
  int64_t n;
  float* y;               // [n, ldy]
  int64_t ldy;
};

// Same for F32/F16/BF16 weights and fp32 activations x: [n, k].
struct FloatGemmArgs {
  DType wtype;
  const std::byte* w;
  std::size_t w_stride;
  int64_t rows;
  int64_t k;
  const float* x;
  int64_t n;
  float* y;
  int64_t ldy;
};

struct IsaKernels {
  // Bytes of one quantised activation row of k elements for weights of type wtype (a multiple of 64).
  std::size_t (*act_row_bytes)(DType wtype, int64_t k);
  // x[k] -> out[act_row_bytes(wtype, k)]; out is 64-byte aligned.
  void (*quantize_row)(DType wtype, const float* x, int64_t k, std::byte* out);
  // Rewrites rows of the file's Q8_0/Q4_0/Q4_1 blocks (src_stride bytes apart) into the rows
  // gemm_quant reads, dst[round_up(rows, kRowTile), storage_bytes(wtype, k)] (the packed bytes of
  // row r, r a multiple of kRowTile, start at r storage_bytes): null when gemm_quant reads the
  // file's blocks. gemm_quant's w then points at such a row.
  void (*pack_rows)(DType wtype, const std::byte* src, std::size_t src_stride, int64_t rows, int64_t k,
                    std::byte* dst);
  void (*gemm_quant)(const QuantGemmArgs& a);
  void (*gemm_float)(const FloatGemmArgs& a);
  void (*attention_scores)(const AttentionHeadsArgs& a);  // attention_kernels.h
  void (*attention_mix)(const AttentionHeadsArgs& a);
};

// The attention loops in portable C++ (attention_kernels.cpp): the scalar table uses them, and the
// AVX2 and AVX-512 ones for head sizes they do not cover.
void portable_attention_scores(const AttentionHeadsArgs& a);
void portable_attention_mix(const AttentionHeadsArgs& a);

extern const IsaKernels kScalarKernels;
#if defined(EAGLERUN_X86_KERNELS)
extern const IsaKernels kAvx2Kernels;
extern const IsaKernels kAvx512Kernels;
#endif

// The table of active_kernel_isa() (kernel_isa.h).
const IsaKernels& active_isa_kernels();

// Row tile of the native kernels: the row ranges handed to threads, and the packed rows of
// pack_rows (AVX-512: groups of 16 rows, avx512_layout.h), are multiples of it.
inline constexpr int64_t kRowTile = 16;

}  // namespace eaglerun::kernels
