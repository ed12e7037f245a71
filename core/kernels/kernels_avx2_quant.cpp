// AVX2: activation quantisation and packed Q4_0 / Q4_1 / Q8_0 weight rows times quantised
// activations, both in the superblock layout of avx2_layout.h.
//
// Integer dots, per superblock of s blocks and lane (exact in any order):
//   Q4_*: vpmaddubsw (nibbles 0..15 x q) gives int16 pair sums |.| <= 2 * 15 * 127; the s <= 8
//         registers' pair sums are added as int16 (<= 8 * 3810 < 32767, no overflow), then one
//         vpmaddwd by ones makes the lane's int32 dot; Q4_0 adds the activation's -8 sum q.
//   Q8_0: vpmaddubsw (|w| x q with the sign of w) gives pair sums <= 2 * 128 * 127, no
//         saturation; vpmaddwd by ones per register, added as int32.
// Then once per superblock and lane:
//   acc = fma(float(dot), d_w * d_x, acc)        and for Q4_1   acc = fma(m_w, d_x * sum q, acc)
// with acc = 0 before the first superblock, and at the end the 8 lanes are summed by one fixed
// tree (hsum's; avx2_common.h).
//
// Why a row's bits do not depend on n or on the thread split: an output y[c][r] is computed from
// weight row r and activation row c alone, by the sequence above, whose order is fixed by k: the
// same superblocks in the same order, the same lanes, the same reduction tree. The register tile
// (R weight rows x C activation rows) only decides which outputs are computed side by side, never
// how one is computed. Threads get whole rows.
#include <immintrin.h>

#include <cstring>

#include "core/kernels/avx2_common.h"
#include "core/kernels/avx2_layout.h"
#include "core/kernels/kernels_avx2.h"

namespace eaglerun::kernels::avx2 {

namespace {

#if defined(__OPTIMIZE__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

// Software prefetch distance for the weight stream (as the AVX-512 kernel: a row group ahead and more).
constexpr std::size_t kPrefetchBytes = 8192;
// Activation rows per tile: one weight row's nibbles are split once per superblock chunk and
// multiplied into up to 4 activation rows, whose int16 sums and float accumulators (2 x 4) stay in
// registers with the chunk, the scales and the constants (16 in all). Wider tiles (6, 8) spill
// and were slower from n = 8 on (bench/verify_roofline, n = 8..24: 1.83-1.88 ms a token at 4,
// 1.8-2.8 at 6, 2.2-2.8 at 8).
constexpr int kMaxTileColumns = 4;

struct Q4_0 {
  static constexpr bool kNibbles = true, kMin = false, kIntStart = true;
  static constexpr std::size_t kBlockBytes = 18;
};
struct Q4_1 {
  static constexpr bool kNibbles = true, kMin = true, kIntStart = false;
  static constexpr std::size_t kBlockBytes = 20;
};
struct Q8_0 {
  static constexpr bool kNibbles = false, kMin = false, kIntStart = false;
  static constexpr std::size_t kBlockBytes = 34;
};

// Shuffle that gives lane j (8 halves = 16 bytes) the half j / L of a superblock of s blocks.
template <int kS>
struct HalfShuffle {
  alignas(16) int8_t v[16];
  constexpr HalfShuffle() : v{} {
    for (int j = 0; j < 8; ++j) {
      const int half = j / (8 / kS);
      v[2 * j] = static_cast<int8_t>(2 * half);
      v[2 * j + 1] = static_cast<int8_t>(2 * half + 1);
    }
  }
};
template <int kS>
constexpr HalfShuffle<kS> kHalfShuffle{};

// The s fp16 values at p -> one fp32 per lane. Reads 16 bytes at p: inside the superblock, whose
// scales are followed by its elements (at least 16 bytes for s = 1).
template <int kS>
ALWAYS_INLINE __m256 lane_scales(const std::byte* p) {
  __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if constexpr (kS < 8) h = _mm_shuffle_epi8(h, _mm_load_si128(reinterpret_cast<const __m128i*>(kHalfShuffle<kS>.v)));
  return _mm256_cvtph_ps(h);
}

// An empty asm the value must pass through in a register: keeps the compiler from reassociating
// the integer sums across chunks, which would compute every product first and spill them all.
ALWAYS_INLINE void in_register(__m256i& v) { asm("" : "+x"(v)); }

ALWAYS_INLINE __m256i act_register(const std::byte* x, int i) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(x + 32 * i));
}

// The exact integer dots of one superblock of s blocks of weight row w, per lane, for C
// activation rows.
template <class F, int kS, int C>
ALWAYS_INLINE void superblock_dots(const std::byte* w, const std::byte* const (&x)[C], __m256i (&dot)[C]) {
  constexpr std::size_t kScaleBytes = (F::kMin ? 4 : 2) * kS;
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (F::kNibbles) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i sum16[C];
    if constexpr (kS >= 2) {
#pragma GCC unroll 4
      for (int i = 0; i < kS; i += 2) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kScaleBytes + 16 * i));
        const __m256i lo = _mm256_and_si256(v, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, act_register(x[c], i)),
                                             _mm256_maddubs_epi16(hi, act_register(x[c], i + 1)));
          sum16[c] = i == 0 ? p : _mm256_add_epi16(sum16[c], p);
          in_register(sum16[c]);
        }
      }
    } else {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + kScaleBytes));
      const __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), low4);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) sum16[c] = _mm256_maddubs_epi16(u, act_register(x[c], 0));
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      dot[c] = _mm256_madd_epi16(sum16[c], ones);
      if constexpr (F::kIntStart) dot[c] = _mm256_add_epi32(dot[c], act_register(x[c], kS + 1));
    }
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < kS; ++i) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + kScaleBytes + 32 * i));
      const __m256i a = _mm256_abs_epi8(v);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(a, _mm256_sign_epi8(act_register(x[c], i), v)), ones);
        dot[c] = i == 0 ? p : _mm256_add_epi32(dot[c], p);
        in_register(dot[c]);
      }
    }
  }
}

// One superblock's float step for weight row w and C activation rows, per output and lane:
//   acc = fma(float(dot), d_w * d_x, acc);  Q4_1 then  acc = fma(m_w, d_x * sum q, acc)
template <class F, int kS, int C>
ALWAYS_INLINE void superblock(const std::byte* w, const std::byte* const (&x)[C], __m256 (&acc)[C]) {
  __m256i dot[C];
  superblock_dots<F, kS, C>(w, x, dot);
  const __m256 dw = lane_scales<kS>(w);
  __m256 mw;
  if constexpr (F::kMin) mw = lane_scales<kS>(w + 2 * kS);
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    const float* tail = reinterpret_cast<const float*>(x[c] + 32 * kS);
    const __m256 scale = _mm256_mul_ps(dw, _mm256_load_ps(tail));
    acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[c]), scale, acc[c]);
    if constexpr (F::kMin) acc[c] = _mm256_fmadd_ps(mw, _mm256_load_ps(tail + 8), acc[c]);
  }
}

// Moves the weight and C activation pointers past a superblock of s blocks.
template <class F, int C>
ALWAYS_INLINE void advance(int s, const std::byte*& w, const std::byte* (&x)[C]) {
  w += F::kBlockBytes * static_cast<std::size_t>(s);
  for (int c = 0; c < C; ++c) x[c] += act_superblock_bytes(s);
}

// y[c][r] for weight row r and the C activation rows from c0: superblocks of 8 while they last,
// then the binary digits of the rest, largest first.
template <class F, int C>
void tile(const QuantGemmArgs& a, int64_t r, int64_t c0) {
  const std::byte* w = a.w + static_cast<std::size_t>(r) * a.w_stride;
  const std::byte* x[C];
  for (int c = 0; c < C; ++c) x[c] = a.act + static_cast<std::size_t>(c0 + c) * a.act_stride;
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  const int64_t blocks = a.k / 32;
  int64_t b = 0;
  for (; b + 8 <= blocks; b += 8) {
    superblock<F, 8, C>(w, x, acc);
    advance<F, C>(8, w, x);
  }
  if (blocks - b >= 4) {
    superblock<F, 4, C>(w, x, acc);
    advance<F, C>(4, w, x);
    b += 4;
  }
  if (blocks - b >= 2) {
    superblock<F, 2, C>(w, x, acc);
    advance<F, C>(2, w, x);
    b += 2;
  }
  if (blocks - b >= 1) superblock<F, 1, C>(w, x, acc);
  for (int c = 0; c < C; ++c) a.y[(c0 + c) * a.ldy + r] = hsum(acc[c]);
}

// Prefetches bytes [from, from + bytes) of the `size` bytes at base into L1 (clipped to size).
inline void prefetch(const std::byte* base, std::size_t from, std::size_t bytes, std::size_t size) {
  const std::size_t stop = from + bytes < size ? from + bytes : size;
  for (std::size_t at = from; at < stop; at += 64) _mm_prefetch(reinterpret_cast<const char*>(base + at), _MM_HINT_T0);
}

// Calls f.template operator()<C>() for runtime 1 <= c <= kMaxTileColumns.
template <class Fn>
ALWAYS_INLINE void dispatch_columns(int c, Fn&& f) {
  switch (c) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 3: return f.template operator()<3>();
    default: return f.template operator()<4>();
  }
}

template <class F>
void gemm(const QuantGemmArgs& a) {
  const std::size_t size = static_cast<std::size_t>(a.rows) * a.w_stride;
  prefetch(a.w, 0, kPrefetchBytes, size);
  // ceil(n / 4) column tiles of sizes as equal as they go (n = 5: 3 + 2, not 4 + 1).
  const int64_t tiles = (a.n + kMaxTileColumns - 1) / kMaxTileColumns, base = a.n / tiles, wider = a.n % tiles;
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int64_t r1 = a.rows - r0 < 4 ? a.rows : r0 + 4;
    prefetch(a.w, static_cast<std::size_t>(r0) * a.w_stride + kPrefetchBytes, 4 * a.w_stride, size);
    for (int64_t t = 0, c0 = 0; t < tiles; ++t) {
      const int ct = static_cast<int>(base + (t < wider ? 1 : 0));
      for (int64_t r = r0; r < r1; ++r) {
        dispatch_columns(ct, [&]<int C>() { tile<F, C>(a, r, c0); });
      }
      c0 += ct;
    }
  }
}

// x[32] -> q[32] = round_half_even(x * (127 / max|x|)) in element order; returns d = max|x| / 127.
float quantize_block(const float* x, int8_t* q) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
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
  const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(qi[0], qi[1]), _mm256_packs_epi32(qi[2], qi[3]));
  const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), ordered);
  return m / 127.0f;
}

// x[32 s] -> one activation superblock of s blocks at out (32-byte aligned).
void quantize_superblock(DType wtype, const float* x, int s, std::byte* out) {
  const int lanes = lanes_per_block(s);
  alignas(32) int8_t q[32 * kMaxSuperblockBlocks];
  alignas(32) float dx[8];
  alignas(32) int32_t lane_sum[8] = {};
  for (int b = 0; b < s; ++b) {
    const float d = quantize_block(x + 32 * b, q + 32 * b);
    for (int part = 0; part < 8; ++part) {  // 4 elements = one lane of one register
      const int reg = part / lanes, lane = b * lanes + part % lanes;
      const int8_t* p = q + 32 * b + 4 * part;
      std::memcpy(out + 32 * reg + 4 * lane, p, 4);
      dx[lane] = d;
      lane_sum[lane] += p[0] + p[1] + p[2] + p[3];
    }
  }
  std::byte* tail = out + 32 * s;
  const __m256 d = _mm256_load_ps(dx);
  const __m256i sums = _mm256_load_si256(reinterpret_cast<const __m256i*>(lane_sum));
  _mm256_store_ps(reinterpret_cast<float*>(tail), d);
  __m256i extra = _mm256_setzero_si256();
  if (wtype == DType::Q4_1) extra = _mm256_castps_si256(_mm256_mul_ps(_mm256_cvtepi32_ps(sums), d));
  if (wtype == DType::Q4_0) extra = _mm256_mullo_epi32(sums, _mm256_set1_epi32(-8));
  _mm256_store_si256(reinterpret_cast<__m256i*>(tail + 32), extra);
}

}  // namespace

std::size_t act_row_bytes(DType /*wtype*/, int64_t k) { return act_row_bytes_for(k / 32); }

void quantize_row(DType wtype, const float* x, int64_t k, std::byte* out) {
  const int64_t blocks = k / 32;
  for (int64_t b = 0; b < blocks;) {
    const int s = superblock_blocks(b, blocks);
    quantize_superblock(wtype, x + 32 * b, s, out);
    out += act_superblock_bytes(s);
    b += s;
  }
}

void gemm_quant(const QuantGemmArgs& a) {
  switch (a.wtype) {
    case DType::Q4_0: return gemm<Q4_0>(a);
    case DType::Q4_1: return gemm<Q4_1>(a);
    default: return gemm<Q8_0>(a);
  }
}

}  // namespace eaglerun::kernels::avx2
