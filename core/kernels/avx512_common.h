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
