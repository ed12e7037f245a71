// AVX2: activation quantisation (layout in kernels_avx2.h) and Q4_0 / Q4_1 / Q8_0 weight kernels.
// Per 32-element block: vpmaddubsw (unsigned x signed bytes -> int16 pairs) then vpmaddwd -> int32.
//   Q4_*: nibbles (0..15) x q: |pair sum| <= 2 * 15 * 127, no saturation.
//   Q8_0: |w| x (q with the sign of w): |pair sum| <= 2 * 128 * 127 < 32767, no saturation.
// Register tile: up to 4 weight rows x 2 activation rows, one block at a time.
#include <immintrin.h>

#include <cstring>

#include "core/kernels/avx2_common.h"
#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels::avx2 {

namespace {

struct ActRow {  // views into one quantised activation row
  const int8_t* q;
  const float* d;
  const float* s;
};

ActRow act_row(const std::byte* p, int64_t k) {
  const int64_t nb = k / 32;
  return {reinterpret_cast<const int8_t*>(p), reinterpret_cast<const float*>(p + 32 * nb),
          reinterpret_cast<const float*>(p + 36 * nb)};
}

float half_at(const std::byte* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// One weight block: w = d * q + m, q as 32 bytes in element order.
struct Row {
  __m256i q;
  float d;
  float m;
};

Row load_row(DType t, const std::byte* p) {
  Row r;
  r.d = half_at(p);
  if (t == DType::Q8_0) {
    r.q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2));
    r.m = 0.0f;
    return r;
  }
  const std::size_t qs_offset = t == DType::Q4_1 ? 4 : 2;
  const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + qs_offset));
  r.q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(qs, 4), qs), _mm256_set1_epi8(0x0F));
  r.m = t == DType::Q4_1 ? half_at(p + 2) : -8.0f * r.d;
  return r;
}

// 8 int32 partial sums of q_w . q_x
template <bool kQ8>
__m256i block_dot(__m256i w, __m256i x) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (kQ8) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)), ones);
  } else {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), ones);
  }
}

template <bool kQ8, int R, int C>
void tile(const QuantGemmArgs& a, int64_t r0, int64_t c0) {
  const int64_t nb = a.k / 32;
  const std::size_t wblock = static_cast<std::size_t>(dtype_info(a.wtype).block_bytes);
  __m256 acc[R][C];
  float extra[R][C];
  ActRow x[C];
  for (int c = 0; c < C; ++c) x[c] = act_row(a.act + (c0 + c) * a.act_stride, a.k);
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      acc[r][c] = _mm256_setzero_ps();
      extra[r][c] = 0.0f;
    }
  }
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < R; ++r) {
      const Row w = load_row(a.wtype, a.w + (r0 + r) * a.w_stride + b * wblock);
      for (int c = 0; c < C; ++c) {
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[c].q + 32 * b));
        const __m256 dot = _mm256_cvtepi32_ps(block_dot<kQ8>(w.q, xq));
        acc[r][c] = _mm256_fmadd_ps(dot, _mm256_set1_ps(w.d * x[c].d[b]), acc[r][c]);
        extra[r][c] += w.m * x[c].s[b];
      }
    }
  }
  store_tile<R, C>(acc, extra, a.y + c0 * a.ldy + r0, a.ldy, false);
}

}  // namespace

std::size_t act_row_bytes(DType, int64_t k) { return (static_cast<std::size_t>(k / 32) * 40 + 63) / 64 * 64; }

void quantize_row(DType, const float* x, int64_t k, std::byte* out) {
  const int64_t nb = k / 32;
  int8_t* q = reinterpret_cast<int8_t*>(out);
  float* d = reinterpret_cast<float*>(out + 32 * nb);
  float* s = reinterpret_cast<float*>(out + 36 * nb);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < nb; ++b, x += 32) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(x + 8 * i);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[i]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float m = _mm_cvtss_f32(m4);
    const __m256 inv = _mm256_set1_ps(m > 0.0f ? 127.0f / m : 0.0f);
    __m256i qi[4];
    for (int i = 0; i < 4; ++i) qi[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inv));  // round half even
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(qi[0], qi[1]), _mm256_add_epi32(qi[2], qi[3]));
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(qi[0], qi[1]), _mm256_packs_epi32(qi[2], qi[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 32 * b), ordered);
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    d[b] = m / 127.0f;
    s[b] = d[b] * static_cast<float>(_mm_cvtsi128_si32(s4));
  }
}

void gemm_quant(const QuantGemmArgs& a) {
  const bool q8 = a.wtype == DType::Q8_0;
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    for (int64_t c0 = 0; c0 < a.n; c0 += 2) {
      const int ct = a.n - c0 < 2 ? 1 : 2;
      dispatch_tile(rt, ct, [&]<int R, int C>() {
        if (q8) {
          tile<true, R, C>(a, r0, c0);
        } else {
          tile<false, R, C>(a, r0, c0);
        }
      });
    }
  }
}

}  // namespace eaglerun::kernels::avx2
