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

// x[32 s] -> one activation superblock of s blocks at out (64-byte aligned).
void quantize_superblock(DType wtype, const float* x, int s, std::byte* out) {
  const int lanes = lanes_per_block(s), registers = superblock_registers(s);
  alignas(64) int8_t q[32 * kMaxSuperblockBlocks];
  alignas(64) float dx[16] = {};
  std::memset(out, 0, 64 * static_cast<std::size_t>(registers));
  for (int b = 0; b < s; ++b) {
    const float d = quantize_block(x + 32 * b, q + 32 * b);
    for (int part = 0; part < 8; ++part) {  // 4 elements = one lane of one register
      const int reg = part / lanes, lane = b * lanes + part % lanes;
      std::memcpy(out + 64 * reg + 4 * lane, q + 32 * b + 4 * part, 4);
      dx[lane] = d;
    }
  }
  __m512i sums = _mm512_setzero_si512();  // sum of each lane's q
  for (int r = 0; r < registers; ++r) sums = _mm512_dpbusd_epi32(sums, _mm512_set1_epi8(1), _mm512_load_si512(out + 64 * r));
  const __m512 d = _mm512_load_ps(dx);
  std::byte* tail = out + 64 * registers;
  _mm512_store_ps(tail, d);
  if (wtype == DType::Q4_1) {
    _mm512_store_ps(tail + 64, _mm512_mul_ps(_mm512_cvtepi32_ps(sums), d));
  } else {
    _mm512_store_si512(tail + 64, _mm512_mullo_epi32(sums, _mm512_set1_epi32(wtype == DType::Q4_0 ? -8 : -128)));
  }
}

}  // namespace

std::size_t act_row_bytes(DType /*wtype*/, int64_t k) { return act_row_bytes_for(k / 32); }

void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out) {
  const int64_t blocks = k / 32;
  for (int64_t b = 0; b < blocks;) {
    const int s = superblock_blocks(b, blocks);
    quantize_superblock(wtype, x + 32 * b, s, out);
    out += act_superblock_bytes(superblock_registers(s));
    b += s;
  }
}

}  // namespace eaglerun::kernels::avx512
