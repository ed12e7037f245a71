// AVX-512: F32 / F16 / BF16 weights times fp32 activations, fp32 FMA. Weights are converted on
// the fly (vcvtph2ps for F16, a 16-bit shift for BF16), 16 elements at a time; the row tail is
// masked. Register tile: up to 4 weight rows x 4 activation rows.
#include <immintrin.h>

#include "core/kernels/avx512_common.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

template <DType T>
struct FloatWeights {
  static constexpr std::size_t kElemBytes = T == DType::F32 ? 4 : 2;

  // w[16] from p; masked-off lanes are zero.
  static __m512 load(const std::byte* p, __mmask16 mask) {
    if constexpr (T == DType::F32) {
      return _mm512_maskz_loadu_ps(mask, p);
    } else if constexpr (T == DType::F16) {
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
    } else {
      const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p));
      return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
  }
};

template <DType T, int R, int C>
void tile(const FloatGemmArgs& a, int64_t r0, int64_t c0) {
  using W = FloatWeights<T>;
  __m512 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  const std::byte* w = a.w + static_cast<std::size_t>(r0) * a.w_stride;
  const float* x = a.x + c0 * a.k;
  // acc += W[:, i, i + 16) . x[:, i, i + 16), lanes beyond `mask` zero.
  auto step = [&](int64_t i, __mmask16 mask) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m512 wv = W::load(w + r * a.w_stride + i * W::kElemBytes, mask);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        acc[r][c] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask, x + c * a.k + i), acc[r][c]);
      }
    }
  };
  // The tail step always runs (with an empty mask when 16 divides k): a branch here would make
  // the compiler keep the accumulators in memory through the loop.
  const int64_t full = a.k / 16 * 16;
  for (int64_t i = 0; i < full; i += 16) step(i, __mmask16(0xFFFF));
  step(full, static_cast<__mmask16>((1u << (a.k - full)) - 1));
  store_tile<R, C>(acc, a.y + c0 * a.ldy + r0, a.ldy, false);
}

template <DType T>
void gemm(const FloatGemmArgs& a) {
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    for (int64_t c0 = 0; c0 < a.n; c0 += 4) {
      const int ct = a.n - c0 < 4 ? static_cast<int>(a.n - c0) : 4;
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

}  // namespace eaglerun::kernels::avx512
