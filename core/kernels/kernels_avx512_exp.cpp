// exp_shifted's and silu_mul's AVX-512 loops (exp_kernels.h): 8 float lanes per exp, each carried
// through glibc's expf in double. Compiled with AVX-512 flags; reached only through exp_kernels.cpp after the CPU check.
#include <immintrin.h>

#include "core/kernels/exp_kernels.h"

namespace eaglerun::kernels {

namespace {

// std::exp of 8 floats, lane by lane (glibc's expf in double; lanes past its range go to libm).
inline __m256 exp8(__m256 d) {
  const __m512d inv_ln2_n = _mm512_set1_pd(0x1.71547652b82fep+0 * 32);  // 32 / ln 2
  const __m512d round_shift = _mm512_set1_pd(0x1.8p52);
  const __m512d c0 = _mm512_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32);
  const __m512d c1 = _mm512_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32);
  const __m512d c2 = _mm512_set1_pd(0x1.62e42ff0c52d6p-1 / 32);
  const __m512d one = _mm512_set1_pd(1.0);
  const __m512i low5 = _mm512_set1_epi64(31);
  const __m256 underflow = _mm256_set1_ps(-0x1.9fe368p6f);     // below: +0 (glibc __math_uflowf)
  const __m256 may_underflow = _mm256_set1_ps(-0x1.9d1d9ep6f);  // below: 2^-149 (__math_may_uflowf)
  const __m256 overflow = _mm256_set1_ps(0x1.62e42ep6f);        // above (or NaN): left to libm
  const __m256 tiny = _mm256_set1_ps(0x1p-149f);
  const __m512d xd = _mm512_cvtps_pd(d);
  const __m512d kds = _mm512_fmadd_pd(inv_ln2_n, xd, round_shift);
  const __m512i ki = _mm512_castpd_si512(kds);
  const __m512d kd = _mm512_sub_pd(kds, round_shift);
  const __m512d r = _mm512_fmsub_pd(inv_ln2_n, xd, kd);
  // kExp2fTable[ki & 31] from registers: two 16-entry permutes, picked by bit 4 of the index.
  const __m512i index = _mm512_and_si512(ki, low5);
  const __m512i* table = reinterpret_cast<const __m512i*>(kExp2fTable);
  const __m512i entry = _mm512_mask_blend_epi64(
      _mm512_test_epi64_mask(index, _mm512_set1_epi64(16)),
      _mm512_permutex2var_epi64(_mm512_loadu_si512(table), index, _mm512_loadu_si512(table + 1)),
      _mm512_permutex2var_epi64(_mm512_loadu_si512(table + 2), index, _mm512_loadu_si512(table + 3)));
  const __m512i t = _mm512_add_epi64(entry, _mm512_slli_epi64(ki, 47));
  const __m512d s = _mm512_castsi512_pd(t);
  const __m512d z = _mm512_fmadd_pd(r, c0, c1);
  const __m512d r2 = _mm512_mul_pd(r, r);
  __m512d p = _mm512_fmadd_pd(r, c2, one);
  p = _mm512_fmadd_pd(z, r2, p);
  p = _mm512_mul_pd(p, s);
  __m256 out = _mm512_cvtpd_ps(p);
  const __mmask8 low = _mm256_cmp_ps_mask(d, may_underflow, _CMP_LT_OQ);
  const __mmask8 zero = _mm256_cmp_ps_mask(d, underflow, _CMP_LT_OQ);
  out = _mm256_mask_blend_ps(low, out, tiny);
  out = _mm256_mask_blend_ps(zero, out, _mm256_setzero_ps());
  const __mmask8 special = _mm256_cmp_ps_mask(d, overflow, _CMP_NLE_UQ);  // > 88.72 or NaN
  if (special) {
    alignas(32) float lanes[8], results[8];
    _mm256_store_ps(lanes, d);
    _mm256_store_ps(results, out);
    for (int j = 0; j < 8; ++j)
      if (special >> j & 1) results[j] = __builtin_expf(lanes[j]);
    out = _mm256_load_ps(results);
  }
  return out;
}

}  // namespace

int64_t exp_shifted_avx512(const float* x, float shift, float* y, int64_t n) {
  const __m256 vshift = _mm256_set1_ps(shift);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vshift)));
  return i;
}

int64_t silu_mul_avx512(const float* gate, const float* up, int64_t n, float* out) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 sign = _mm512_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    const __m512 minus_g = _mm512_xor_ps(g, sign);  // -g, as the scalar negation
    const __m512 e = _mm512_insertf32x8(_mm512_castps256_ps512(exp8(_mm512_castps512_ps256(minus_g))),
                                        exp8(_mm512_extractf32x8_ps(minus_g, 1)), 1);
    // g / (1 + e) * up, each operation rounded as the scalar expression's
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), _mm512_loadu_ps(up + i)));
  }
  return i;
}

}  // namespace eaglerun::kernels
