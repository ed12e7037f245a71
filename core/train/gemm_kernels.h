#pragma once
// Internal: the register-tile microkernels behind gemm().
#include <cstdint>

namespace eaglerun::train::detail {

// c[r, j] (+)= sum_k a[k][r] * b[k][j] for r < m <= kGemmMr, j < n <= kGemmNr.
//   a: [kc][kGemmMr] (packed rows of A), b: [kc][kGemmNr] (one panel of B), c: row stride ldc.
// Sums run over k in ascending order.
using GemmKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                            bool accumulate);

void gemm_kernel_generic(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                         bool accumulate);
// The AVX-512 kernel, or nullptr when it was not compiled in or the CPU lacks AVX-512F.
GemmKernel gemm_kernel_avx512();
// The AVX2 + FMA kernel (the same bits as the AVX-512 one), or nullptr when not compiled in or not supported.
GemmKernel gemm_kernel_avx2();

}  // namespace eaglerun::train::detail
