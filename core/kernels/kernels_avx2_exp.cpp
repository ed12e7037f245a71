// exp_shifted's AVX2 loop (exp_kernels.h): 4 float lanes per step, each carried through glibc's
// expf in double. Compiled with AVX2+FMA flags; reached only through exp_kernels.cpp after the CPU check.
#include <immintrin.h>

#include "core/kernels/exp_kernels.h"

namespace eaglerun::kernels {

int64_t exp_shifted_avx2(const float* x, float shift, float* y, int64_t n) {
  const __m128 vshift = _mm_set1_ps(shift);
  const __m256d inv_ln2_n = _mm256_set1_pd(0x1.71547652b82fep+0 * 32);  // 32 / ln 2
  const __m256d round_shift = _mm256_set1_pd(0x1.8p52);
  const __m256d c0 = _mm256_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32);
  const __m256d c1 = _mm256_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32);
  const __m256d c2 = _mm256_set1_pd(0x1.62e42ff0c52d6p-1 / 32);
  const __m256d one = _mm256_set1_pd(1.0);
  const __m256i low5 = _mm256_set1_epi64x(31);
  const __m128 underflow = _mm_set1_ps(-0x1.9fe368p6f);     // below: +0 (glibc __math_uflowf)
  const __m128 may_underflow = _mm_set1_ps(-0x1.9d1d9ep6f);  // below: 2^-149 (__math_may_uflowf)
  const __m128 overflow = _mm_set1_ps(0x1.62e42ep6f);        // above (or NaN): left to libm
  const __m128 tiny = _mm_set1_ps(0x1p-149f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 d = _mm_sub_ps(_mm_loadu_ps(x + i), vshift);
    const __m256d xd = _mm256_cvtps_pd(d);
    const __m256d kds = _mm256_fmadd_pd(inv_ln2_n, xd, round_shift);
    const __m256i ki = _mm256_castpd_si256(kds);
    const __m256d kd = _mm256_sub_pd(kds, round_shift);
    const __m256d r = _mm256_fmsub_pd(inv_ln2_n, xd, kd);
    const __m256i t = _mm256_add_epi64(
        _mm256_i64gather_epi64(reinterpret_cast<const long long*>(kExp2fTable), _mm256_and_si256(ki, low5), 8),
        _mm256_slli_epi64(ki, 47));
    const __m256d s = _mm256_castsi256_pd(t);
    const __m256d z = _mm256_fmadd_pd(r, c0, c1);
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d p = _mm256_fmadd_pd(r, c2, one);
    p = _mm256_fmadd_pd(z, r2, p);
    p = _mm256_mul_pd(p, s);
    __m128 out = _mm256_cvtpd_ps(p);
    out = _mm_blendv_ps(out, tiny, _mm_cmp_ps(d, may_underflow, _CMP_LT_OQ));
    out = _mm_blendv_ps(out, _mm_setzero_ps(), _mm_cmp_ps(d, underflow, _CMP_LT_OQ));
    _mm_storeu_ps(y + i, out);
    const int special = _mm_movemask_ps(_mm_cmp_ps(d, overflow, _CMP_NLE_UQ));  // > 88.72 or NaN
    if (special) {
      alignas(16) float lanes[4];
      _mm_store_ps(lanes, d);
      for (int j = 0; j < 4; ++j)
        if (special >> j & 1) y[i + j] = __builtin_expf(lanes[j]);
    }
  }
  return i;
}

}  // namespace eaglerun::kernels
