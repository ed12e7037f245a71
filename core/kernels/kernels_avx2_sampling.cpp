// The sampler's passes (sampling_passes.inc) compiled with AVX2 flags; reached only through
// sampling_kernels() after the CPU check. large_terms and small_units are written with intrinsics:
// GCC leaves their 16-lane conditional loops scalar with branches, which mispredict on a language
// model's logits. Their results are exact (sums of integers or of terms that add exactly, min and
// max), so the lane order cannot change them; tests compare them with the scalar passes.
#include <immintrin.h>

#include "core/kernels/sampling_kernels.h"

namespace eaglerun::kernels {
namespace avx2_sampling {
#include "core/kernels/sampling_passes.inc"

// sampling_kernels.h: Σ p >= tau, min x over them, max x over 0 < p < tau; 8 floats at a time.
void large_terms_avx2(const float* p, const float* x, int64_t n, float tau, LargeTerms* out) {
  const __m256 vtau = _mm256_set1_ps(tau), zero = _mm256_setzero_ps();
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  __m256 lo = _mm256_set1_ps(__builtin_inff()), hi = _mm256_set1_ps(-__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(p + i), xv = _mm256_loadu_ps(x + i);
    const __m256 big = _mm256_cmp_ps(v, vtau, _CMP_GE_OQ);
    const __m256 kept = _mm256_and_ps(v, big);  // v where big, +0 elsewhere
    sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(kept)));
    sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(kept, 1)));
    lo = _mm256_blendv_ps(lo, xv, _mm256_and_ps(big, _mm256_cmp_ps(xv, lo, _CMP_LT_OQ)));
    const __m256 small = _mm256_andnot_ps(big, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    hi = _mm256_blendv_ps(hi, xv, _mm256_and_ps(small, _mm256_cmp_ps(xv, hi, _CMP_GT_OQ)));
  }
  alignas(32) double sums[8];
  alignas(32) float los[8], his[8];
  _mm256_store_pd(sums, sum_lo);
  _mm256_store_pd(sums + 4, sum_hi);
  _mm256_store_ps(los, lo);
  _mm256_store_ps(his, hi);
  LargeTerms tail;
  large_terms(p + i, x + i, n - i, tau, &tail);
  double s = tail.sum;
  float l = tail.lowest_large_x, h = tail.highest_small_x;
  for (int j = 0; j < 8; ++j) {
    s += sums[j];
    l = los[j] < l ? los[j] : l;
    h = his[j] > h ? his[j] : h;
  }
  *out = {s, l, h};
}

// sampling_kernels.h: round(p / ulp) of the small non-tie terms, their sum and the ties; 4 at a time
// in double, as the scalar pass computes them.
void small_units_avx2(const float* p, int64_t n, float tau, double per_ulp, int32_t* units, SmallUnits* out) {
  const __m256d vtau = _mm256_set1_pd(tau), scale = _mm256_set1_pd(per_ulp), round = _mm256_set1_pd(0x1p52);
  const __m256d half = _mm256_set1_pd(0.5), minus_half = _mm256_set1_pd(-0.5), minus_one = _mm256_set1_pd(-1.0);
  __m256d sum = _mm256_setzero_pd();
  int64_t ties = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(p + i));
    const __m256d q = _mm256_mul_pd(v, scale);
    const __m256d r = _mm256_sub_pd(_mm256_add_pd(q, round), round);
    const __m256d d = _mm256_sub_pd(q, r);
    const __m256d small = _mm256_cmp_pd(v, vtau, _CMP_LT_OQ);
    const __m256d tie = _mm256_and_pd(small, _mm256_or_pd(_mm256_cmp_pd(d, half, _CMP_EQ_OQ),
                                                          _mm256_cmp_pd(d, minus_half, _CMP_EQ_OQ)));
    sum = _mm256_add_pd(sum, _mm256_and_pd(_mm256_andnot_pd(tie, small), r));
    ties += __builtin_popcount(static_cast<unsigned>(_mm256_movemask_pd(tie)));
    const __m256d u = _mm256_and_pd(small, _mm256_blendv_pd(r, minus_one, tie));  // 0, -1 or round(q)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(units + i), _mm256_cvttpd_epi32(u));
  }
  alignas(32) double sums[4];
  _mm256_store_pd(sums, sum);
  SmallUnits tail;
  small_units(p + i, n - i, tau, per_ulp, units + i, &tail);
  *out = {tail.units + sums[0] + sums[1] + sums[2] + sums[3], tail.ties + ties};
}

}  // namespace avx2_sampling

const SamplingKernels kAvx2SamplingKernels = {avx2_sampling::scale_max,  avx2_sampling::sum_f32,
                                              avx2_sampling::scale_f32,  avx2_sampling::divide_f32, avx2_sampling::divide_bounded,
                                              avx2_sampling::large_terms_avx2, avx2_sampling::small_units_avx2};

}  // namespace eaglerun::kernels
