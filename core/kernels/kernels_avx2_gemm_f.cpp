// AVX2: F32 / F16 / BF16 weights times fp32 activations, fp32 FMA, 8 elements at a time, weights
// converted on the fly. Register tile: up to 4 weight rows x 2 activation rows.
#include <immintrin.h>

#include <cstring>

#include "core/kernels/avx2_common.h"
#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels::avx2 {

namespace {

template <DType T>
__m256 load_weights(const std::byte* p) {
  if constexpr (T == DType::F32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
  } else if constexpr (T == DType::F16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  } else {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
}

// The last k % 8 elements, zero-padded to 8.
template <DType T>
__m256 load_weights_tail(const std::byte* p, int64_t count) {
  constexpr std::size_t kElem = T == DType::F32 ? 4 : 2;
  alignas(32) std::byte tmp[32] = {};
  std::memcpy(tmp, p, static_cast<std::size_t>(count) * kElem);
  return load_weights<T>(tmp);
}

__m256 load_x_tail(const float* x, int64_t count) {
  alignas(32) float tmp[8] = {};
  std::memcpy(tmp, x, static_cast<std::size_t>(count) * sizeof(float));
  return _mm256_load_ps(tmp);
}

template <DType T, int R, int C>
void tile(const FloatGemmArgs& a, int64_t r0, int64_t c0) {
  constexpr std::size_t kElem = T == DType::F32 ? 4 : 2;
  __m256 acc[R][C];
  const float zero[R][C] = {};
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  const std::byte* w = a.w + static_cast<std::size_t>(r0) * a.w_stride;
  const float* x = a.x + c0 * a.k;
  int64_t i = 0;
  for (; i + 8 <= a.k; i += 8) {
    for (int r = 0; r < R; ++r) {
      const __m256 wv = load_weights<T>(w + r * a.w_stride + i * kElem);
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + c * a.k + i), acc[r][c]);
    }
  }
  if (i < a.k) {
    for (int r = 0; r < R; ++r) {
      const __m256 wv = load_weights_tail<T>(w + r * a.w_stride + i * kElem, a.k - i);
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(wv, load_x_tail(x + c * a.k + i, a.k - i), acc[r][c]);
    }
  }
  store_tile<R, C>(acc, zero, a.y + c0 * a.ldy + r0, a.ldy, false);
}

template <DType T>
void gemm(const FloatGemmArgs& a) {
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    for (int64_t c0 = 0; c0 < a.n; c0 += 2) {
      const int ct = a.n - c0 < 2 ? 1 : 2;
      dispatch_tile(rt, ct, [&]<int R, int C>() { tile<T, R, C>(a, r0, c0); });
    }
  }
}

}  // namespace

void gemm_float(const FloatGemmArgs& a) {
  switch (a.wtype) {
    case DType::F16: return gemm<DType::F16>(a);
    case DType::BF16: return gemm<DType::BF16>(a);
    default: return gemm<DType::F32>(a);
  }
}

}  // namespace eaglerun::kernels::avx2
