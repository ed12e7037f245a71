#pragma once
// Internal helpers for the AVX-512 kernel files only (include after <immintrin.h>, compile with
// AVX-512 flags). Everything here is `static inline` so that no copy is shared with other files.
#include <immintrin.h>

#include <cstdint>

#include "core/kernels/tile_dispatch.h"

namespace eaglerun::kernels::avx512 {

// [sum(a), sum(b), sum(c), sum(d)]
static inline __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  auto half = [](__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  };
  const __m256 ab = _mm256_hadd_ps(half(a), half(b));  // [a01 a23 b01 b23 | a45 a67 b45 b67]
  const __m256 cd = _mm256_hadd_ps(half(c), half(d));
  const __m256 abcd = _mm256_hadd_ps(ab, cd);          // [a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7]
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// The sums of 8 or 16 vectors by reduce4's tree, each sum alone: per vector v (lanes 0..15),
//   h_i = v_i + v_(i+8);  sum = ((h_0 + h_1) + (h_2 + h_3)) + ((h_4 + h_5) + (h_6 + h_7)),
// every addition with the same operands in the same order as in reduce4, so that a vector's sum
// has the same bits whichever function, and whichever other vectors, reduce it. Here the
// additions of several vectors share instructions: 45 shuffles and additions for 16 sums (reduce4
// takes about 76), and the sums come out in one register.
namespace reduce_detail {
// [h(a) | h(b)]: 128-bit lanes [a0-3 a4-7 b0-3 b4-7] of h.
static inline __m512 halves(__m512 a, __m512 b) {
  const __m512 lo = _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0));  // [a.l0 a.l1 b.l0 b.l1]
  const __m512 hi = _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2));  // [a.l2 a.l3 b.l2 b.l3]
  return _mm512_add_ps(lo, hi);
}
// In each 128-bit lane: [p0 + p1, p2 + p3, q0 + q1, q2 + q3] (vhaddps's pairs).
static inline __m512 pairs(__m512 p, __m512 q) {
  return _mm512_add_ps(_mm512_shuffle_ps(p, q, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(p, q, _MM_SHUFFLE(3, 1, 3, 1)));
}
}  // namespace reduce_detail

// out[j] = sum(v[j]) for j < 16, by reduce4's tree (above).
static inline void reduce16(const __m512 (&v)[16], float* out) {
  using namespace reduce_detail;
  // Sums come out in the order [0 2 4 6 1 3 5 7 8 10 12 14 9 11 13 15] of the inputs (see pairs);
  // feeding the inputs in that order puts every sum in its place.
  constexpr int kIn[16] = {0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15};
  __m512 h[8], g[4];
  for (int p = 0; p < 8; ++p) h[p] = halves(v[kIn[2 * p]], v[kIn[2 * p + 1]]);
  for (int q = 0; q < 4; ++q) g[q] = pairs(h[2 * q], h[2 * q + 1]);
  const __m512 v0 = pairs(g[0], g[1]), v1 = pairs(g[2], g[3]);  // lanes [0-3 | 4-7 | 0-3 | 4-7] of h
  _mm512_storeu_ps(out, _mm512_add_ps(_mm512_shuffle_f32x4(v0, v1, _MM_SHUFFLE(2, 0, 2, 0)),
                                      _mm512_shuffle_f32x4(v0, v1, _MM_SHUFFLE(3, 1, 3, 1))));
}

// out[j] = sum(v[j]) for j < 8, by reduce4's tree (above).
static inline void reduce8(const __m512 (&v)[8], float* out) {
  using namespace reduce_detail;
  constexpr int kIn[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  __m512 h[4];
  for (int p = 0; p < 4; ++p) h[p] = halves(v[kIn[2 * p]], v[kIn[2 * p + 1]]);
  const __m512 v0 = pairs(pairs(h[0], h[1]), pairs(h[2], h[3]));
  const __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(v0, v0, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_f32x4(v0, v0, _MM_SHUFFLE(3, 1, 3, 1)));
  _mm256_storeu_ps(out, _mm512_castps512_ps256(s));
}

// Writes (or adds) the R x C tile of sums: y[c * ldy + r] (+)= sum(acc[r][c]).
template <int R, int C>
static inline void store_tile(const __m512 (&acc)[R][C], float* y, int64_t ldy, bool accumulate) {
  if constexpr (R == 4) {
    for (int c = 0; c < C; ++c) {
      __m128 s = reduce4(acc[0][c], acc[1][c], acc[2][c], acc[3][c]);
      if (accumulate) s = _mm_add_ps(s, _mm_loadu_ps(y + c * ldy));
      _mm_storeu_ps(y + c * ldy, s);
    }
  } else {
    for (int c = 0; c < C; ++c) {
      for (int r = 0; r < R; ++r) {
        const float s = _mm512_reduce_add_ps(acc[r][c]);
        y[c * ldy + r] = accumulate ? y[c * ldy + r] + s : s;
      }
    }
  }
}

}  // namespace eaglerun::kernels::avx512
