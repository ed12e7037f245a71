// AVX2 attention loops (attention_kernels.h) for head_dim a multiple of 16, up to 256; other sizes
// take the portable loops. The arithmetic is the AVX-512 kernel's, lane for lane, with each of its
// 16-lane vectors held as two 8-lane halves: a score's lane l sums q[i] k[i] over i % 16 == l (a
// product, then FMAs), the lanes then add by halving (8, 4, 2, 1) and the sum is scaled; a head's
// output adds p[t] v[t] by FMA in t order from zero. fp16 rows are widened exactly (vcvtph2ps) as
// they are read.
#include <immintrin.h>

#include "core/kernels/head_dim_dispatch.h"
#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels::avx2 {
namespace {

constexpr int64_t kMaxVectors = 16;  // 16-lane vectors per head: head_dim <= 256

bool supported(const AttentionHeadsArgs& a) { return a.d % 16 == 0 && a.d / 16 <= kMaxVectors; }

// Elements [8 h, 8 h + 8) of cache row j as fp32.
inline __attribute__((always_inline)) __m256 row_part(const AttentionHeadsArgs& a, const void* base, int64_t j, int h) {
  if (a.kv_type == DType::F32) return _mm256_loadu_ps(static_cast<const float*>(base) + j * a.stride + 8 * h);
  const uint16_t* p = static_cast<const uint16_t*>(base) + j * a.stride + 8 * h;
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Sum of the 16 lanes [lo | hi] by halving: 8, 4, 2, 1.
inline float lane_sum(__m256 lo, __m256 hi) {
  const __m256 h8 = _mm256_add_ps(lo, hi);
  const __m128 h4 = _mm_add_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
  const __m128 h2 = _mm_add_ps(h4, _mm_movehl_ps(h4, h4));
  return _mm_cvtss_f32(_mm_add_ss(h2, _mm_movehdup_ps(h2)));
}

template <int NV>
void scores_nv(const AttentionHeadsArgs& a) {
  for (int64_t g = 0; g < a.G; ++g) {
    __m256 q[2 * NV];
#pragma GCC unroll 32
    for (int h = 0; h < 2 * NV; ++h) q[h] = _mm256_loadu_ps(a.q + g * a.d + 8 * h);
    float* scores = a.scores + g * a.n;
    for (int64_t t = 0; t < a.n; ++t) {
      const int64_t j = a.visible[t];
      __m256 lo = _mm256_mul_ps(q[0], row_part(a, a.keys, j, 0));
      __m256 hi = _mm256_mul_ps(q[1], row_part(a, a.keys, j, 1));
#pragma GCC unroll 16
      for (int v = 1; v < NV; ++v) {
        lo = _mm256_fmadd_ps(q[2 * v], row_part(a, a.keys, j, 2 * v), lo);
        hi = _mm256_fmadd_ps(q[2 * v + 1], row_part(a, a.keys, j, 2 * v + 1), hi);
      }
      scores[t] = lane_sum(lo, hi) * a.scale;
    }
  }
}

template <int NV>
void mix_nv(const AttentionHeadsArgs& a) {
  for (int64_t g = 0; g < a.G; ++g) {
    __m256 acc[2 * NV];
#pragma GCC unroll 32
    for (int h = 0; h < 2 * NV; ++h) acc[h] = _mm256_setzero_ps();
    const float* p = a.scores + g * a.n;
    for (int64_t t = 0; t < a.n; ++t) {
      const __m256 pt = _mm256_set1_ps(p[t]);
      const int64_t j = a.visible[t];
#pragma GCC unroll 32
      for (int h = 0; h < 2 * NV; ++h) acc[h] = _mm256_fmadd_ps(pt, row_part(a, a.values, j, h), acc[h]);
    }
    float* o = a.out + g * a.d;
#pragma GCC unroll 32
    for (int h = 0; h < 2 * NV; ++h) _mm256_storeu_ps(o + 8 * h, acc[h]);
  }
}

}  // namespace

void attention_scores(const AttentionHeadsArgs& a) {
  if (!supported(a)) return portable_attention_scores(a);
  with_nv(a.d / 16, [&]<int NV>() { scores_nv<NV>(a); });
}

void attention_mix(const AttentionHeadsArgs& a) {
  if (!supported(a)) return portable_attention_mix(a);
  with_nv(a.d / 16, [&]<int NV>() { mix_nv<NV>(a); });
}

}  // namespace eaglerun::kernels::avx2
