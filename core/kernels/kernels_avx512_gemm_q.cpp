// AVX-512 VNNI: packed Q4_0 / Q4_1 / Q8_0 weight rows times quantised activations, both in the
// superblock layout of avx512_layout.h.
//
// vpdpbusd multiplies unsigned weight bytes (nibbles, or w + 128) by signed activations q. Per
// superblock, each lane's int32 dot starts at the activation's correction (-8 sum q for Q4_0,
// -128 sum q for Q8_0, 0 for Q4_1) and runs over the superblock's registers, so it ends at the
// exact integer dot of its part of one block. Then, once per superblock and lane:
//   acc = fma(float(dot), d_w * d_x, acc)        and for Q4_1   acc = fma(m_w, d_x * sum q, acc).
// At the end the 16 lanes are summed by one fixed tree (reduce4's; avx512_common.h).
//
// Why a row's bits do not depend on n or on the thread split: an output y[c][r] is computed from
// weight row r and activation row c alone, by the sequence above, whose order is fixed by k: the
// same superblocks in the same order, the same lanes, the same reduction tree. The register tile
// (R weight rows x C activation rows) only decides which outputs are computed side by side, never
// how one is computed; integer dots are exact in any order. Threads get whole rows.
//
// Register tile: R <= 4 weight rows x C <= 4 activation rows; a weight register is loaded (and
// its nibbles split) once per tile and multiplied into C activation rows. Weights stream from
// memory with software prefetch; for n > 4 a tile's weight rows are read again from L1 for each
// further group of 4 activation rows. A superblock's R x C integer dots fill the registers, so a
// tile of more than 8 outputs parks its float accumulators in L1 between superblocks, and the
// tile's sums share their reduction's shuffles (reduce16 / reduce8: the same tree per output).
// Every helper is force-inlined: arrays of vectors passed to an out-of-line call go through memory.
#include <immintrin.h>

#include "core/kernels/avx512_common.h"
#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

// The kernel's helpers must be inlined into the tile (their arrays of vectors live in registers).
// Only when optimising: unoptimised (Debug, ASan) builds refuse to force the recursive
// rest_superblocks inline, and nothing there needs the registers.
#if defined(__OPTIMIZE__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

// Software prefetch distance for the weight stream: 8 KB ahead. 2 KB (about DRAM latency x one
// core's bandwidth) left the stream waiting: a step consumes a whole 4-row group, up to ~3.5 KB
// for the 1536-wide rows, and a row group of the n-token forward is busy longer than a decode's.
constexpr std::size_t kPrefetchBytes = 8192;
// Tiles of at most this many outputs keep their accumulators in registers between superblocks;
// larger ones park them in L1 (see superblock).
constexpr int kMaxRegisterAccumulators = 8;

struct Q4_0 {
  static constexpr bool kNibbles = true, kMin = false, kIntStart = true;
  static constexpr std::size_t kBlockBytes = 18;
};
struct Q4_1 {
  static constexpr bool kNibbles = true, kMin = true, kIntStart = false;
  static constexpr std::size_t kBlockBytes = 20;
};
struct Q8_0 {
  static constexpr bool kNibbles = false, kMin = false, kIntStart = true;
  static constexpr std::size_t kBlockBytes = 34;
};

// Lane j of a superblock of s blocks reads half j / lanes_per_block(s): byte shuffles within each
// 128-bit half of a broadcast of the s halves (in-lane shuffles, which leave the two ports of the
// multiply-add units to the dot products; a cross-lane permute would not).
template <int kS>
struct HalfShuffle {
  alignas(32) int8_t v[32];
  constexpr HalfShuffle() : v{} {
    for (int j = 0; j < 16; ++j) {
      // Word j (in 128-bit half j / 8) takes half j / (16 / s); the broadcast puts the s halves at
      // the start of each 128-bit half (s <= 8).
      const int half = j / (16 / kS);
      v[2 * j] = static_cast<int8_t>(2 * half);
      v[2 * j + 1] = static_cast<int8_t>(2 * half + 1);
    }
  }
};
template <int kS>
constexpr HalfShuffle<kS> kHalfShuffle{};

// s fp16 values at p -> one fp32 per lane.
template <int kS>
ALWAYS_INLINE __m512 lane_scales(const std::byte* p) {
  if constexpr (kS == 16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  } else if constexpr (kS == 1) {
    return _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<short>(_mm_cvtsi128_si32(_mm_loadu_si16(p)))));
  } else {
    __m256i h;
    if constexpr (kS == 8) {
      h = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (kS == 4) {
      h = _mm256_broadcastq_epi64(_mm_loadu_si64(p));
    } else {
      h = _mm256_broadcastd_epi32(_mm_loadu_si32(p));
    }
    const __m256i shuffle = _mm256_load_si256(reinterpret_cast<const __m256i*>(kHalfShuffle<kS>.v));
    return _mm512_cvtph_ps(_mm256_shuffle_epi8(h, shuffle));
  }
}

// Per-word shift counts that put the low nibbles in the low half and the high nibbles in the
// high half of a broadcast chunk: s = 2 (32-byte chunk, halves of 256 bits) and s = 1 (16 bytes).
alignas(64) constexpr int16_t kShift2[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
alignas(64) constexpr int16_t kShift1[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4,
                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

// Registers i and i + 1 of weight elements (Q4, s >= 4): one 64-byte nibble chunk.
ALWAYS_INLINE void nibble_pair(const std::byte* chunk, __m512i& lo, __m512i& hi) {
  const __m512i v = _mm512_loadu_si512(chunk);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  lo = _mm512_and_si512(v, low4);
  hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
}

// The only register of a Q4 superblock of s = 2 or 1 blocks.
template <int kS>
ALWAYS_INLINE __m512i nibble_single(const std::byte* chunk) {
  __m512i v;
  if constexpr (kS == 2) {
    v = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk)));
  } else {
    v = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk)));
  }
  const __m512i shift = _mm512_load_si512(kS == 2 ? kShift2 : kShift1);
  return _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(0x0F));
}

// Register i of a Q8_0 superblock of s blocks.
template <int kS>
ALWAYS_INLINE __m512i q8_register(const std::byte* elements, int i) {
  if constexpr (kS == 1) {
    return _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(elements)));
  } else {
    return _mm512_loadu_si512(elements + 64 * i);
  }
}

// dot[r][c] += W register (one per r) . x[c] register i.
template <int R, int C>
ALWAYS_INLINE void dot_step(const __m512i (&w)[R], const std::byte* const (&x)[C], int i, __m512i (&dot)[R][C]) {
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) {
    const __m512i xi = _mm512_load_si512(x[c] + 64 * i);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) dot[r][c] = _mm512_dpbusd_epi32(dot[r][c], w[r], xi);
  }
}

// The exact integer dots of one superblock of s blocks: dot[r][c] = per lane, the activation's
// start (Q4_0/Q8_0) plus sum over the superblock's registers of W[r] bytes x q[c] bytes.
template <class F, int kS, int R, int C>
ALWAYS_INLINE void superblock_dots(const std::byte* const (&w)[R], const std::byte* const (&x)[C], __m512i (&dot)[R][C]) {
  constexpr int kRegs = kS >= 2 ? kS / 2 : 1;
  constexpr std::size_t kScaleBytes = (F::kMin ? 4 : 2) * kS;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) {
      dot[r][c] = F::kIntStart ? _mm512_load_si512(x[c] + 64 * kRegs + 64) : _mm512_setzero_si512();
    }
  }
  if constexpr (F::kNibbles && kS >= 4) {
#pragma GCC unroll 8
    for (int i = 0; i < kRegs; i += 2) {
      __m512i lo[R], hi[R];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) nibble_pair(w[r] + kScaleBytes + 32 * i, lo[r], hi[r]);
      dot_step<R, C>(lo, x, i, dot);
      dot_step<R, C>(hi, x, i + 1, dot);
    }
  } else if constexpr (F::kNibbles) {
    __m512i v[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) v[r] = nibble_single<kS>(w[r] + kScaleBytes);
    dot_step<R, C>(v, x, 0, dot);
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < kRegs; ++i) {
      __m512i v[R];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) v[r] = q8_register<kS>(w[r] + kScaleBytes, i);
      dot_step<R, C>(v, x, i, dot);
    }
  }
}

// One superblock's float step for the R x C tile, per output and lane:
//   acc = fma(float(dot), d_w * d_x, acc);  Q4_1 then  acc = fma(m_w, d_x * sum q, acc)
// with acc = 0 before the first superblock. Between superblocks the accumulators wait in L1
// (park[r][c]), which leaves the registers to the integer dots; after the last one they stay in
// `out` for the reduction. Where a value waits never changes it.
template <class F, int kS, int R, int C, bool kFirst, bool kLast>
ALWAYS_INLINE void superblock(const std::byte* const (&w)[R], const std::byte* const (&x)[C], float* park,
                       __m512 (&out)[R][C]) {
  constexpr int kRegs = kS >= 2 ? kS / 2 : 1;
  constexpr bool kPark = R * C > kMaxRegisterAccumulators;
  __m512i dot[R][C];
  superblock_dots<F, kS, R, C>(w, x, dot);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const __m512 dw = lane_scales<kS>(w[r]);
    __m512 mw;
    if constexpr (F::kMin) mw = lane_scales<kS>(w[r] + 2 * kS);
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) {
      float* slot = park + 16 * (r * C + c);
      const __m512 scale = _mm512_mul_ps(dw, _mm512_load_ps(x[c] + 64 * kRegs));
      __m512 acc;
      if constexpr (kFirst) {
        acc = _mm512_setzero_ps();
      } else if constexpr (kPark) {
        acc = _mm512_load_ps(slot);
      } else {
        acc = out[r][c];
      }
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r][c]), scale, acc);
      if constexpr (F::kMin) acc = _mm512_fmadd_ps(mw, _mm512_load_ps(x[c] + 64 * kRegs + 64), acc);
      if constexpr (kLast || !kPark) {
        out[r][c] = acc;
      } else {
        _mm512_store_ps(slot, acc);
      }
    }
  }
}

// A superblock split in two: early, its integer dots converted to float and the scales d_w d_x,
// parked in dots[] and scales[] (o = r C + c); late, after the superblocks before it, the two
// fmas: acc = fma(dot, scale, acc), Q4_1 then acc = fma(m_w, d_x sum q, acc). The same operations
// on the same values as superblock<...> (converting an exact integer and a product do not depend
// on when they run), so the output's bits are those of the plain order; the early half only moves
// the latency of the dots and the product off the tile's tail.
template <class F, int kS, int R, int C>
ALWAYS_INLINE void superblock_early(const std::byte* const (&w)[R], const std::byte* const (&x)[C], float* dots,
                                    float* scales) {
  constexpr int kRegs = kS >= 2 ? kS / 2 : 1;
  __m512i dot[R][C];
  superblock_dots<F, kS, R, C>(w, x, dot);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const __m512 dw = lane_scales<kS>(w[r]);
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) {
      _mm512_store_ps(dots + 16 * (r * C + c), _mm512_cvtepi32_ps(dot[r][c]));
      _mm512_store_ps(scales + 16 * (r * C + c), _mm512_mul_ps(dw, _mm512_load_ps(x[c] + 64 * kRegs)));
    }
  }
}

template <class F, int kS, int R, int C>
ALWAYS_INLINE void superblock_late(const std::byte* const (&w)[R], const std::byte* const (&x)[C], const float* dots,
                                   const float* scales, const float* park, __m512 (&out)[R][C]) {
  constexpr int kRegs = kS >= 2 ? kS / 2 : 1;
  constexpr bool kPark = R * C > kMaxRegisterAccumulators;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    __m512 mw;
    if constexpr (F::kMin) mw = lane_scales<kS>(w[r] + 2 * kS);
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) {
      const int o = r * C + c;
      __m512 acc = kPark ? _mm512_load_ps(park + 16 * o) : out[r][c];
      acc = _mm512_fmadd_ps(_mm512_load_ps(dots + 16 * o), _mm512_load_ps(scales + 16 * o), acc);
      if constexpr (F::kMin) acc = _mm512_fmadd_ps(mw, _mm512_load_ps(x[c] + 64 * kRegs + 64), acc);
      out[r][c] = acc;
    }
  }
}

// Moves the R weight and C activation pointers past a superblock of s blocks.
template <class F, int R, int C>
ALWAYS_INLINE void advance(int s, const std::byte* (&w)[R], const std::byte* (&x)[C]) {
  for (int r = 0; r < R; ++r) w[r] += F::kBlockBytes * static_cast<std::size_t>(s);
  for (int c = 0; c < C; ++c) x[c] += act_superblock_bytes(superblock_registers(s));
}

// The superblocks of the rest after the full ones (rest < 16 blocks): its binary digits, largest
// first; kFirst: no superblock came before.
template <class F, int R, int C, bool kFirst>
ALWAYS_INLINE void rest_superblocks(int64_t rest, const std::byte* (&w)[R], const std::byte* (&x)[C], float* park,
                             __m512 (&out)[R][C]) {
  // Each digit is the last superblock when no lower digit is set.
  if (rest & 8) {
    if (rest & 7) {
      superblock<F, 8, R, C, kFirst, false>(w, x, park, out);
      advance<F, R, C>(8, w, x);
      return rest_superblocks<F, R, C, false>(rest & 7, w, x, park, out);
    }
    return superblock<F, 8, R, C, kFirst, true>(w, x, park, out);
  }
  if (rest & 4) {
    if (rest & 3) {
      superblock<F, 4, R, C, kFirst, false>(w, x, park, out);
      advance<F, R, C>(4, w, x);
      return rest_superblocks<F, R, C, false>(rest & 3, w, x, park, out);
    }
    return superblock<F, 4, R, C, kFirst, true>(w, x, park, out);
  }
  if (rest & 2) {
    if (rest & 1) {
      superblock<F, 2, R, C, kFirst, false>(w, x, park, out);
      advance<F, R, C>(2, w, x);
      return superblock<F, 1, R, C, false, true>(w, x, park, out);
    }
    return superblock<F, 2, R, C, kFirst, true>(w, x, park, out);
  }
  superblock<F, 1, R, C, kFirst, true>(w, x, park, out);
}

// y[c][r] for the R x C tile at weight row r0, activation row c0: full superblocks of 16, then
// the binary digits of the rest.
template <class F, int R, int C>
void tile(const QuantGemmArgs& a, int64_t r0, int64_t c0) {
  const std::byte* w[R];
  const std::byte* x[C];
  for (int r = 0; r < R; ++r) w[r] = a.w + static_cast<std::size_t>(r0 + r) * a.w_stride;
  for (int c = 0; c < C; ++c) x[c] = a.act + static_cast<std::size_t>(c0 + c) * a.act_stride;
  alignas(64) float park[16 * R * C];
  __m512 acc[R][C];
  const int64_t blocks = a.k / 32;
  const int64_t full = blocks / 16, rest = blocks % 16;
  if (full == 0) {
    rest_superblocks<F, R, C, true>(rest, w, x, park, acc);
  } else if (rest == 2 && C == 1) {  // e.g. k = 576, decoding: the 2-block superblock first
    const std::byte* w2[R];
    const std::byte* x2[C];
    for (int r = 0; r < R; ++r) w2[r] = w[r] + F::kBlockBytes * static_cast<std::size_t>(16 * full);
    for (int c = 0; c < C; ++c) x2[c] = x[c] + act_superblock_bytes(8) * static_cast<std::size_t>(full);
    alignas(64) float dots2[16 * R * C], scales2[16 * R * C];
    superblock_early<F, 2, R, C>(w2, x2, dots2, scales2);
    superblock<F, 16, R, C, true, false>(w, x, park, acc);
    for (int64_t b = 1; b < full; ++b) {
      advance<F, R, C>(16, w, x);
      superblock<F, 16, R, C, false, false>(w, x, park, acc);
    }
    superblock_late<F, 2, R, C>(w2, x2, dots2, scales2, park, acc);
  } else if (full == 1 && rest == 0) {
    superblock<F, 16, R, C, true, true>(w, x, park, acc);
  } else {
    superblock<F, 16, R, C, true, false>(w, x, park, acc);
    advance<F, R, C>(16, w, x);
    for (int64_t b = 1; b + 1 < full; ++b) {
      superblock<F, 16, R, C, false, false>(w, x, park, acc);
      advance<F, R, C>(16, w, x);
    }
    if (rest == 0) {
      superblock<F, 16, R, C, false, true>(w, x, park, acc);
    } else {
      if (full > 1) {
        superblock<F, 16, R, C, false, false>(w, x, park, acc);
        advance<F, R, C>(16, w, x);
      }
      rest_superblocks<F, R, C, false>(rest, w, x, park, acc);
    }
  }
  // One fixed tree per output (reduce4's, whichever of reduce4/8/16 runs it: avx512_common.h).
  // Output o = c * R + r.
  constexpr int kOut = R * C;
  constexpr int kWidth = kOut <= 4 ? 4 : kOut <= 8 ? 8 : 16;
  static_assert(kOut <= 16, "a tile has at most 16 outputs");
  alignas(64) float sums[kWidth];
  {
    __m512 v[kWidth];
#pragma GCC unroll 16
    for (int o = 0; o < kWidth; ++o) v[o] = o < kOut ? acc[o % R][o / R] : _mm512_setzero_ps();
    if constexpr (kWidth == 16) {
      reduce16(v, sums);
    } else if constexpr (kWidth == 8) {
      reduce8(v, sums);
    } else {
      _mm_store_ps(sums, reduce4(v[0], v[1], v[2], v[3]));
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r < R; ++r) a.y[(c0 + c) * a.ldy + r0 + r] = sums[c * R + r];
  }
}

// Prefetches bytes [from, from + bytes) of the `size` bytes at base into L1 (clipped to size).
inline void prefetch(const std::byte* base, std::size_t from, std::size_t bytes, std::size_t size) {
  const std::size_t stop = from + bytes < size ? from + bytes : size;
  for (std::size_t at = from; at < stop; at += 64) _mm_prefetch(reinterpret_cast<const char*>(base + at), _MM_HINT_T0);
}

template <class F>
void gemm(const QuantGemmArgs& a) {
  const std::size_t size = static_cast<std::size_t>(a.rows) * a.w_stride;
  prefetch(a.w, 0, kPrefetchBytes, size);
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    prefetch(a.w, static_cast<std::size_t>(r0) * a.w_stride + kPrefetchBytes, 4 * a.w_stride, size);
    // ceil(n / 4) column tiles of sizes as equal as they go (n = 5: 3 + 2, not 4 + 1): a tile of
    // few activation rows pays its weight decoding and its float steps for fewer outputs.
    const int64_t tiles = (a.n + 3) / 4, base = a.n / tiles, wider = a.n % tiles;
    for (int64_t t = 0, c0 = 0; t < tiles; ++t) {
      const int ct = static_cast<int>(base + (t < wider ? 1 : 0));
      dispatch_tile(rt, ct, [&]<int R, int C>() { tile<F, R, C>(a, r0, c0); });
      c0 += ct;
    }
  }
}

}  // namespace

void gemm_quant(const QuantGemmArgs& a) {
  switch (a.wtype) {
    case DType::Q4_0: return gemm<Q4_0>(a);
    case DType::Q4_1: return gemm<Q4_1>(a);
    default: return gemm<Q8_0>(a);
  }
}

}  // namespace eaglerun::kernels::avx512
