#pragma once
// Internal helpers for the AVX2 kernel files only (compile with AVX2 flags). Everything here is
// `static inline` so that no copy is shared with other files.
#include <immintrin.h>

#include <cstdint>

#include "core/kernels/tile_dispatch.h"

namespace eaglerun::kernels::avx2 {

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// y[c * ldy + r] (+)= sum(acc[r][c]) + extra[r][c]
template <int R, int C>
static inline void store_tile(const __m256 (&acc)[R][C], const float (&extra)[R][C], float* y, int64_t ldy,
                              bool accumulate) {
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r < R; ++r) {
      const float s = hsum(acc[r][c]) + extra[r][c];
      y[c * ldy + r] = accumulate ? y[c * ldy + r] + s : s;
    }
  }
}

}  // namespace eaglerun::kernels::avx2
