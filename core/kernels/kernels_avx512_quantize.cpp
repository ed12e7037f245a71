// AVX-512: quantisation of fp32 activation rows into the layout of avx512_layout.h.
#include <immintrin.h>

#include <cstring>

#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

// x[32] -> q[32] = round_half_even(x * 127 / max|x|), |q| <= 127; returns d = max|x| / 127.
float quantize_block(const float* x, int8_t* q) {
  const __m512 a = _mm512_loadu_ps(x);
  const __m512 b = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv))));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16),
                   _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, inv))));
  return amax / 127.0f;
}

// The start of a block's integer dot (Q4_0, Q8_0) or its min term's factor (Q4_1) from sum(q),
// as avx512_layout.h defines them, for 16 blocks.
inline void store_extra16(DType wtype, __m512i sums, __m512 d, std::byte* extra) {
  if (wtype == DType::Q4_1) {
    _mm512_storeu_ps(extra, _mm512_mul_ps(d, _mm512_cvtepi32_ps(sums)));
  } else {
    _mm512_storeu_si512(extra, _mm512_mullo_epi32(sums, _mm512_set1_epi32(wtype == DType::Q4_0 ? -8 : -128)));
  }
}

// One block alone (the rest after the groups of 16): the same values as quantize16.
void quantize1(DType wtype, const float* x, int8_t* q, float* dx, std::byte* extra) {
  const float d = quantize_block(x, q);
  const __m512i block = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
  const int32_t sum = _mm512_reduce_add_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(1), block));
  *dx = d;
  if (wtype == DType::Q4_1) {
    const float min_factor = d * static_cast<float>(sum);
    std::memcpy(extra, &min_factor, 4);
  } else {
    const int32_t start = (wtype == DType::Q4_0 ? -8 : -128) * sum;
    std::memcpy(extra, &start, 4);
  }
}

// 16 vectors -> one whose lane j combines (op) the 16 lanes of v[j]: the halves, then within
// 128-bit lanes (op is max or an integer add on the same bits: exact in any order).
template <class Op>
inline __m512 transpose_combine16(const __m512 (&v)[16], Op op) {
  auto halves = [&](__m512 a, __m512 b) {  // [op(a.lo, a.hi) | op(b.lo, b.hi)] (256-bit halves)
    return op(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  };
  auto pairs = [&](__m512 a, __m512 b) {
    return op(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  };
  __m512 h[8], g[4], f[2];
  constexpr int kIn[16] = {0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15};
  for (int p = 0; p < 8; ++p) h[p] = halves(v[kIn[2 * p]], v[kIn[2 * p + 1]]);
  for (int i = 0; i < 4; ++i) g[i] = pairs(h[2 * i], h[2 * i + 1]);
  f[0] = pairs(g[0], g[1]);
  f[1] = pairs(g[2], g[3]);
  return op(_mm512_shuffle_f32x4(f[0], f[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(f[0], f[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// 16 blocks at once: the same values as quantize_block and quantize1 (max, the vector division
// and the integer sums are exact or correctly rounded whatever the width).
void quantize16(DType wtype, const float* x, int8_t* q, float* dx, std::byte* extra) {
  __m512 m[16];
  for (int j = 0; j < 16; ++j) {
    m[j] = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 32 * j)), _mm512_abs_ps(_mm512_loadu_ps(x + 32 * j + 16)));
  }
  const __m512 amax = transpose_combine16(m, [](__m512 a, __m512 b) { return _mm512_max_ps(a, b); });
  const __mmask16 nonzero = _mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 inv = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(127.0f), amax);  // 127 / max|x|, or 0
  const __m512 d = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
  __m512 sums[16];  // int32 lanes: block j's q, two elements per lane
  for (int j = 0; j < 16; ++j) {
    const __m512 s = _mm512_permutexvar_ps(_mm512_set1_epi32(j), inv);
    const __m512i lo = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 32 * j), s));
    const __m512i hi = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 32 * j + 16), s));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 32 * j), _mm512_cvtsepi32_epi8(lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 32 * j + 16), _mm512_cvtsepi32_epi8(hi));
    sums[j] = _mm512_castsi512_ps(_mm512_add_epi32(lo, hi));
  }
  const __m512 total = transpose_combine16(sums, [](__m512 a, __m512 b) {
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
  });
  _mm512_storeu_ps(dx, d);
  store_extra16(wtype, _mm512_castps_si512(total), d, extra);
}

}  // namespace

std::size_t act_row_bytes(DType /*wtype*/, int64_t k) { return act_row_bytes_for(k / 32); }

int64_t fp32_to_fp16_row(const float* x, int64_t n, uint16_t* out) {
  const __m512i nan_half = _mm512_set1_epi32(0x7E00);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    // vcvtps2ph rounds to nearest even like fp32_to_fp16 (subnormals, overflow to inf included);
    // only a nan's payload differs: fp32_to_fp16 makes every nan 0x7E00 with its sign.
    const __m512i h = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    const __m512i sign = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(v), 16), _mm512_set1_epi32(0x8000));
    const __m512i fixed = _mm512_mask_or_epi32(h, nan, sign, nan_half);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi32_epi16(fixed));
  }
  return i;
}

void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out) {
  const int64_t blocks = k / 32;
  auto* q = reinterpret_cast<int8_t*>(out);
  auto* dx = reinterpret_cast<float*>(out + act_dx_offset(blocks));
  std::byte* extra = out + act_extra_offset(blocks);
  int64_t b = 0;
  for (; b + 16 <= blocks; b += 16) quantize16(wtype, x + 32 * b, q + 32 * b, dx + b, extra + 4 * b);
  for (; b < blocks; ++b) quantize1(wtype, x + 32 * b, q + 32 * b, dx + b, extra + 4 * b);
  const std::size_t used = act_extra_offset(blocks) + 4 * static_cast<std::size_t>(blocks);
  std::memset(out + used, 0, act_row_bytes_for(blocks) - used);
}

}  // namespace eaglerun::kernels::avx512
