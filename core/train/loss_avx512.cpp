// The soft cross-entropy row with AVX-512: three passes over both rows (max; exp with four
// running sums; normalise and gradient), 16 lanes, exp by the Cephes polynomial and vscalefps.
#include "core/train/loss_kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>

#include <cmath>
#endif

namespace eaglerun::train::detail {

#if defined(__AVX512F__)
namespace {

inline __m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-87.0f), _mm512_min_ps(x, _mm512_set1_ps(88.0f)));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

inline __mmask16 tail_mask(int64_t left) { return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1); }

double soft_ce_row(float* d, float* t, int64_t v, float scale, double* entropy) {
  const __m512 lowest = _mm512_set1_ps(-3.0e38f);
  __m512 max_d = lowest, max_t = lowest;
  for (int64_t i = 0; i < v; i += 16) {
    const __mmask16 k = tail_mask(v - i);
    max_d = _mm512_max_ps(max_d, _mm512_mask_loadu_ps(lowest, k, d + i));
    max_t = _mm512_max_ps(max_t, _mm512_mask_loadu_ps(lowest, k, t + i));
  }
  const float md = _mm512_reduce_max_ps(max_d), mt = _mm512_reduce_max_ps(max_t);
  const __m512 vmd = _mm512_set1_ps(md), vmt = _mm512_set1_ps(mt);
  __m512 s_t = _mm512_setzero_ps(), s_d = s_t, s_tz = s_t, s_td = s_t;
  for (int64_t i = 0; i < v; i += 16) {
    const __mmask16 k = tail_mask(v - i);
    const __m512 zt = _mm512_maskz_loadu_ps(k, t + i), zd = _mm512_maskz_loadu_ps(k, d + i);
    const __m512 et = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(zt, vmt)));
    const __m512 ed = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(zd, vmd)));
    _mm512_mask_storeu_ps(t + i, k, et);
    _mm512_mask_storeu_ps(d + i, k, ed);
    s_t = _mm512_add_ps(s_t, et);
    s_d = _mm512_add_ps(s_d, ed);
    s_tz = _mm512_fmadd_ps(et, zt, s_tz);
    s_td = _mm512_fmadd_ps(et, zd, s_td);
  }
  const double st = _mm512_reduce_add_ps(s_t), sd = _mm512_reduce_add_ps(s_d);
  const double stz = _mm512_reduce_add_ps(s_tz), std_ = _mm512_reduce_add_ps(s_td);
  const __m512 inv_t = _mm512_set1_ps(static_cast<float>(1.0 / st)), inv_d = _mm512_set1_ps(static_cast<float>(1.0 / sd));
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t i = 0; i < v; i += 16) {
    const __mmask16 k = tail_mask(v - i);
    const __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, t + i), inv_t);
    const __m512 q = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, d + i), inv_d);
    _mm512_mask_storeu_ps(t + i, k, p);
    _mm512_mask_storeu_ps(d + i, k, _mm512_mul_ps(vscale, _mm512_sub_ps(q, p)));
  }
  *entropy = std::log(st) + mt - stz / st;
  return std::log(sd) + md - std_ / st;
}

}  // namespace

SoftCeRow soft_ce_row_avx512() { return __builtin_cpu_supports("avx512f") ? soft_ce_row : nullptr; }
#else
SoftCeRow soft_ce_row_avx512() { return nullptr; }
#endif

}  // namespace eaglerun::train::detail
