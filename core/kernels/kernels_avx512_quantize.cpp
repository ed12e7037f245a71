// AVX-512: quantisation of fp32 activation rows into the layout of avx512_layout.h.
#include <immintrin.h>

#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

struct QuantBlock {
  __m128i lo;  // q[0..15], int8
  __m128i hi;  // q[16..31]
  float d;
};

// x[32] -> q = round_half_even(x * 127 / max|x|), |q| <= 127; d = max|x| / 127.
QuantBlock quantize_block(const float* x) {
  const __m512 a = _mm512_loadu_ps(x);
  const __m512 b = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
  QuantBlock q;
  q.lo = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv)));
  q.hi = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, inv)));
  q.d = amax / 127.0f;
  return q;
}

// scales[0..3] -> 16 lanes, each scale repeated `repeat` (4 or 8) times.
__m512 spread_scales(const float* scales, int repeat) {
  const __m512i index = repeat == 4 ? _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0)
                                    : _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(index, _mm512_castps128_ps512(_mm_loadu_ps(scales)));
}

// x[32 * blocks] -> one Q4 group (blocks <= 4).
void quantize_q4_group(const float* x, int blocks, std::byte* out) {
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int b = 0; b < kQ4GroupBlocks; ++b) {
    QuantBlock q{_mm_setzero_si128(), _mm_setzero_si128(), 0.0f};
    if (b < blocks) q = quantize_block(x + 32 * b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * b), q.lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 64 + 16 * b), q.hi);
    d[b] = q.d;
  }
  const __m512 dx = spread_scales(d, 4);
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, _mm512_load_si512(out));
  sums = _mm512_dpbusd_epi32(sums, ones, _mm512_load_si512(out + 64));
  const __m512 lane_sums = _mm512_mul_ps(_mm512_cvtepi32_ps(sums), dx);
  _mm512_store_ps(out + 128, dx);
  _mm512_store_ps(out + 192, lane_sums);
}

// x[32 * blocks] -> one Q8 unit (blocks <= 2).
void quantize_q8_unit(const float* x, int blocks, std::byte* out) {
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int b = 0; b < kQ8UnitBlocks; ++b) {
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    if (b < blocks) {
      const QuantBlock q = quantize_block(x + 32 * b);
      lo = _mm_xor_si128(q.lo, bias);  // q + 128 as uint8
      hi = _mm_xor_si128(q.hi, bias);
      d[b] = q.d;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * b), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * b + 16), hi);
  }
  _mm512_store_ps(out + 64, spread_scales(d, 8));
}

}  // namespace

std::size_t act_row_bytes(DType wtype, int64_t k) {
  const int64_t blocks = k / 32;
  if (wtype == DType::Q8_0) return static_cast<std::size_t>((blocks + kQ8UnitBlocks - 1) / kQ8UnitBlocks) * kQ8UnitBytes;
  const int64_t groups = (blocks + kQ4GroupBlocks - 1) / kQ4GroupBlocks;
  return static_cast<std::size_t>(groups) * kQ4GroupBytes;
}

void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out) {
  const int64_t blocks = k / 32;
  if (wtype == DType::Q8_0) {
    for (int64_t b = 0; b < blocks; b += kQ8UnitBlocks, out += kQ8UnitBytes, x += 32 * kQ8UnitBlocks) {
      quantize_q8_unit(x, blocks - b < kQ8UnitBlocks ? static_cast<int>(blocks - b) : kQ8UnitBlocks, out);
    }
    return;
  }
  const int64_t groups = (blocks + kQ4GroupBlocks - 1) / kQ4GroupBlocks;
  for (int64_t g = 0; g < groups; ++g, out += kQ4GroupBytes, x += 32 * kQ4GroupBlocks) {
    const int64_t left = blocks - g * kQ4GroupBlocks;
    quantize_q4_group(x, left < kQ4GroupBlocks ? static_cast<int>(left) : kQ4GroupBlocks, out);
  }
}

}  // namespace eaglerun::kernels::avx512
