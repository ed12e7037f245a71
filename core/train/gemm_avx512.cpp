// The AVX-512 microkernel: a 12 x 32 tile of C in 24 zmm accumulators; per k, two loads of B and
// twelve broadcasts of A feed 24 FMAs. Compiled with AVX-512 flags on x86-64 only.
#include "core/train/gemm.h"
#include "core/train/gemm_kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace eaglerun::train::detail {

#if defined(__AVX512F__)
namespace {

inline void store_row(float* c, __m512 lo, __m512 hi, int n, bool accumulate) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1);
  if (accumulate) {
    lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, c));
    hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, c + 16));
  }
  _mm512_mask_storeu_ps(c, m0, lo);
  _mm512_mask_storeu_ps(c + 16, m1, hi);
}

void kernel_12x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                  bool accumulate) {
  static_assert(kGemmMr == 12 && kGemmNr == 32, "the AVX-512 kernel is written for a 12 x 32 tile");
  __m512 acc[12][2];
#pragma GCC unroll 12
  for (int r = 0; r < 12; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int r = 0; r < m; ++r) {  // C's rows are far apart: start their misses now, hide them behind the FMAs
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
  for (int64_t k = 0; k < kc; ++k, a += 12, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < m; ++r) store_row(c + r * ldc, acc[r][0], acc[r][1], n, accumulate);
}

}  // namespace

GemmKernel gemm_kernel_avx512() { return __builtin_cpu_supports("avx512f") ? kernel_12x32 : nullptr; }
#else
GemmKernel gemm_kernel_avx512() { return nullptr; }
#endif

}  // namespace eaglerun::train::detail
