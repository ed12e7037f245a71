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
  if (s == 2) {  // one register, lanes 8 b .. 8 b + 7 = block b's 32 bytes in order: q is the layout
    const float d0 = quantize_block(x, reinterpret_cast<int8_t*>(out));
    const float d1 = quantize_block(x + 32, reinterpret_cast<int8_t*>(out) + 32);
    for (int lane = 0; lane < 16; ++lane) dx[lane] = lane < 8 ? d0 : d1;
  } else {
    std::memset(out, 0, 64 * static_cast<std::size_t>(registers));
    for (int b = 0; b < s; ++b) {
      const float d = quantize_block(x + 32 * b, q + 32 * b);
      for (int part = 0; part < 8; ++part) {  // 4 elements = one lane of one register
        const int reg = part / lanes, lane = b * lanes + part % lanes;
        std::memcpy(out + 64 * reg + 4 * lane, q + 32 * b + 4 * part, 4);
        dx[lane] = d;
      }
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

// Index tables of the 16 x 8 dword transpose in quantize_superblock16 (three rounds of vpermt2d):
// entry p of round `stage`, variant v, names the source dword (0-15 first input, 16-31 second).
struct TransposeIndex {
  alignas(64) int32_t v[2][16];
  constexpr explicit TransposeIndex(int stage) : v{} {
    for (int variant = 0; variant < 2; ++variant) {
      for (int p = 0; p < 16; ++p) {
        if (stage == 0) {  // rows 4m..4m+3 (inputs: 2 rows x 8 columns each) -> 4 rows x columns 4v..4v+3
          const int r = p / 4, col = 4 * variant + p % 4;
          v[variant][p] = (r < 2 ? 0 : 16) + (r % 2) * 8 + col;
        } else if (stage == 1) {  // 8 rows x columns 2v, 2v+1 of a group of 4 columns
          const int r = p / 2, col = 2 * variant + p % 2;
          v[variant][p] = (r < 4 ? 0 : 16) + (r % 4) * 4 + col;
        } else {  // 16 rows of column v of a pair
          v[variant][p] = (p < 8 ? 0 : 16) + (p % 8) * 2 + variant;
        }
      }
    }
  }
};
constexpr TransposeIndex kTranspose0{0}, kTranspose1{1}, kTranspose2{2};

inline __m512 max_halves(__m512 a, __m512 b) {  // [max(a.lo, a.hi) | max(b.lo, b.hi)] (256-bit halves)
  return _mm512_max_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

// quantize_superblock for s = 16 (one lane per block, 8 registers): the same values, computed for
// the 16 blocks together. max|x| of every block by a transposed max tree (max is exact in any
// order: the |x| are non-negative), 127 / max|x| and max|x| / 127 in one vector division each,
// each block's q as quantize_block rounds them, then the 16 x 8 dwords of q transposed into the
// layout (register i, lane j = dword i of block j) by vpermt2d.
void quantize_superblock16(DType wtype, const float* x, std::byte* out) {
  __m512 m[16];
  for (int j = 0; j < 16; ++j) {
    m[j] = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 32 * j)), _mm512_abs_ps(_mm512_loadu_ps(x + 32 * j + 16)));
  }
  // Block j's maximum ends in lane j: halves, then within 128-bit lanes, as reduce16 does sums.
  __m512 h[8], g[4], f[2];
  constexpr int kIn[16] = {0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15};
  for (int p = 0; p < 8; ++p) h[p] = max_halves(m[kIn[2 * p]], m[kIn[2 * p + 1]]);
  auto pairs = [](__m512 a, __m512 b) {
    return _mm512_max_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  };
  for (int q = 0; q < 4; ++q) g[q] = pairs(h[2 * q], h[2 * q + 1]);
  f[0] = pairs(g[0], g[1]);
  f[1] = pairs(g[2], g[3]);
  const __m512 amax = _mm512_max_ps(_mm512_shuffle_f32x4(f[0], f[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm512_shuffle_f32x4(f[0], f[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __mmask16 nonzero = _mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 inv = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(127.0f), amax);  // 127 / max|x|, or 0
  const __m512 d = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
  alignas(64) int8_t q[16 * 32];
  for (int j = 0; j < 16; ++j) {
    const __m512 s = _mm512_permutexvar_ps(_mm512_set1_epi32(j), inv);
    const __m512 a = _mm512_loadu_ps(x + 32 * j), b = _mm512_loadu_ps(x + 32 * j + 16);
    _mm_store_si128(reinterpret_cast<__m128i*>(q + 32 * j), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, s))));
    _mm_store_si128(reinterpret_cast<__m128i*>(q + 32 * j + 16), _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, s))));
  }
  __m512i z[8], t[8];
  for (int k = 0; k < 8; ++k) z[k] = _mm512_load_si512(q + 64 * k);  // blocks 2k, 2k + 1
  const __m512i a0 = _mm512_load_si512(kTranspose0.v[0]), a1 = _mm512_load_si512(kTranspose0.v[1]);
  for (int mm = 0; mm < 4; ++mm) {  // t[2 mm + v]: blocks 4 mm .. 4 mm + 3, dwords 4v .. 4v + 3
    t[2 * mm] = _mm512_permutex2var_epi32(z[2 * mm], a0, z[2 * mm + 1]);
    t[2 * mm + 1] = _mm512_permutex2var_epi32(z[2 * mm], a1, z[2 * mm + 1]);
  }
  const __m512i b0 = _mm512_load_si512(kTranspose1.v[0]), b1 = _mm512_load_si512(kTranspose1.v[1]);
  for (int qq = 0; qq < 2; ++qq) {
    for (int hv = 0; hv < 2; ++hv) {  // z[4 qq + 2 hv + v]: blocks 8 qq .. 8 qq + 7, dwords 4 hv + 2 v, + 1
      const __m512i lo = t[4 * qq + hv], hi = t[4 * qq + 2 + hv];
      z[4 * qq + 2 * hv] = _mm512_permutex2var_epi32(lo, b0, hi);
      z[4 * qq + 2 * hv + 1] = _mm512_permutex2var_epi32(lo, b1, hi);
    }
  }
  const __m512i c0 = _mm512_load_si512(kTranspose2.v[0]), c1 = _mm512_load_si512(kTranspose2.v[1]);
  __m512i sums = _mm512_setzero_si512();
  const __m512i ones = _mm512_set1_epi8(1);
  for (int pair = 0; pair < 4; ++pair) {  // dwords 2 pair, 2 pair + 1 of all 16 blocks
    const __m512i r0 = _mm512_permutex2var_epi32(z[pair], c0, z[4 + pair]);
    const __m512i r1 = _mm512_permutex2var_epi32(z[pair], c1, z[4 + pair]);
    _mm512_store_si512(out + 64 * (2 * pair), r0);
    _mm512_store_si512(out + 64 * (2 * pair + 1), r1);
    sums = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(sums, ones, r0), ones, r1);
  }
  std::byte* tail = out + 64 * 8;
  _mm512_store_ps(tail, d);
  if (wtype == DType::Q4_1) {
    _mm512_store_ps(tail + 64, _mm512_mul_ps(_mm512_cvtepi32_ps(sums), d));
  } else {
    _mm512_store_si512(tail + 64, _mm512_mullo_epi32(sums, _mm512_set1_epi32(wtype == DType::Q4_0 ? -8 : -128)));
  }
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
  for (int64_t b = 0; b < blocks;) {
    const int s = superblock_blocks(b, blocks);
    if (s == kMaxSuperblockBlocks) {
      quantize_superblock16(wtype, x + 32 * b, out);
    } else {
      quantize_superblock(wtype, x + 32 * b, s, out);
    }
    out += act_superblock_bytes(superblock_registers(s));
    b += s;
  }
}

}  // namespace eaglerun::kernels::avx512
