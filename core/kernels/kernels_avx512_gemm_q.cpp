// AVX-512 VNNI: packed Q4_0 / Q4_1 / Q8_0 weight rows times quantised activations, both in the
// superblock layout of avx512_layout.h.
//
// vpdpbusd multiplies unsigned weight bytes (nibbles, or w + 128) by signed activations q. Per
// superblock, each lane's int32 dot starts at the activation's correction (-8 sum q for Q4_0,
// -128 sum q for Q8_0, 0 for Q4_1) and runs over the superblock's registers, so it ends at the
// exact integer dot of its part of one block. Then, once per superblock and lane:
//   acc = fma(float(dot), d_w * d_x, acc)        and for Q4_1   acc = fma(m_w, d_x * sum q, acc).
// At the end the 16 lanes are summed (reduce4, one fixed tree).
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
// further group of 4 activation rows.
#include <immintrin.h>

#include "core/kernels/avx512_common.h"
#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

// Software prefetch distance for the weight stream (1-2 KB measured best here).
constexpr std::size_t kPrefetchBytes = 2048;

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

// Lane j of a superblock of s blocks reads half j / lanes_per_block(s).
template <int kS>
struct HalfIndex {
  alignas(64) int16_t v[16];
  constexpr HalfIndex() : v{} {
    for (int j = 0; j < 16; ++j) v[j] = static_cast<int16_t>(kS == 1 ? 0 : j / (16 / kS));
  }
};
template <int kS>
constexpr HalfIndex<kS> kHalfIndex{};

// s fp16 values at p -> one fp32 per lane.
template <int kS>
inline __m512 lane_scales(const std::byte* p) {
  if constexpr (kS == 16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  } else {
    const __m128i h = _mm_maskz_loadu_epi16(static_cast<__mmask8>((1u << kS) - 1), p);
    const __m256i idx = _mm256_load_si256(reinterpret_cast<const __m256i*>(kHalfIndex<kS>.v));
    return _mm512_cvtph_ps(_mm256_permutexvar_epi16(idx, _mm256_castsi128_si256(h)));
  }
}

// Per-word shift counts that put the low nibbles in the low half and the high nibbles in the
// high half of a broadcast chunk: s = 2 (32-byte chunk, halves of 256 bits) and s = 1 (16 bytes).
alignas(64) constexpr int16_t kShift2[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
alignas(64) constexpr int16_t kShift1[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4,
                                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

// Registers i and i + 1 of weight elements (Q4, s >= 4): one 64-byte nibble chunk.
inline void nibble_pair(const std::byte* chunk, __m512i& lo, __m512i& hi) {
  const __m512i v = _mm512_loadu_si512(chunk);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  lo = _mm512_and_si512(v, low4);
  hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
}

// The only register of a Q4 superblock of s = 2 or 1 blocks.
template <int kS>
inline __m512i nibble_single(const std::byte* chunk) {
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
inline __m512i q8_register(const std::byte* elements, int i) {
  if constexpr (kS == 1) {
    return _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(elements)));
  } else {
    return _mm512_loadu_si512(elements + 64 * i);
  }
}

// dot[r][c] += W register (one per r) . x[c] register i.
template <int R, int C>
inline void dot_step(const __m512i (&w)[R], const std::byte* const (&x)[C], int i, __m512i (&dot)[R][C]) {
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    const __m512i xi = _mm512_load_si512(x[c] + 64 * i);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) dot[r][c] = _mm512_dpbusd_epi32(dot[r][c], w[r], xi);
  }
}

// acc[r][c] += superblock of s blocks of W[r] (at w[r]) . x[c] (at x[c]).
template <class F, int kS, int R, int C>
inline void superblock(const std::byte* const (&w)[R], const std::byte* const (&x)[C], __m512 (&acc)[R][C]) {
  constexpr int kRegs = kS >= 2 ? kS / 2 : 1;
  constexpr std::size_t kScaleBytes = (F::kMin ? 4 : 2) * kS;
  __m512i dot[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      dot[r][c] = F::kIntStart ? _mm512_load_si512(x[c] + 64 * kRegs + 64) : _mm512_setzero_si512();
    }
  }
  if constexpr (F::kNibbles && kS >= 4) {
#pragma GCC unroll 8
    for (int i = 0; i < kRegs; i += 2) {
      __m512i lo[R], hi[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) nibble_pair(w[r] + kScaleBytes + 32 * i, lo[r], hi[r]);
      dot_step<R, C>(lo, x, i, dot);
      dot_step<R, C>(hi, x, i + 1, dot);
    }
  } else if constexpr (F::kNibbles) {
    __m512i v[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) v[r] = nibble_single<kS>(w[r] + kScaleBytes);
    dot_step<R, C>(v, x, 0, dot);
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < kRegs; ++i) {
      __m512i v[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) v[r] = q8_register<kS>(w[r] + kScaleBytes, i);
      dot_step<R, C>(v, x, i, dot);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const __m512 dw = lane_scales<kS>(w[r]);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const __m512 scale = _mm512_mul_ps(dw, _mm512_load_ps(x[c] + 64 * kRegs));
      acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[r][c]), scale, acc[r][c]);
    }
    if constexpr (F::kMin) {
      const __m512 mw = lane_scales<kS>(w[r] + 2 * kS);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(mw, _mm512_load_ps(x[c] + 64 * kRegs + 64), acc[r][c]);
    }
  }
}

// Moves the R weight and C activation pointers past a superblock of s blocks.
template <class F, int R, int C>
inline void advance(int s, const std::byte* (&w)[R], const std::byte* (&x)[C]) {
  for (int r = 0; r < R; ++r) w[r] += F::kBlockBytes * static_cast<std::size_t>(s);
  for (int c = 0; c < C; ++c) x[c] += act_superblock_bytes(superblock_registers(s));
}

// y[c][r] for the R x C tile at weight row r0, activation row c0: full superblocks of 16, then
// the binary digits of the rest.
template <class F, int R, int C>
void tile(const QuantGemmArgs& a, int64_t r0, int64_t c0) {
  const std::byte* w[R];
  const std::byte* x[C];
  for (int r = 0; r < R; ++r) w[r] = a.w + static_cast<std::size_t>(r0 + r) * a.w_stride;
  for (int c = 0; c < C; ++c) x[c] = a.act + static_cast<std::size_t>(c0 + c) * a.act_stride;
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  const int64_t blocks = a.k / 32;
  int64_t b = 0;
  for (; b + 16 <= blocks; b += 16) {
    superblock<F, 16, R, C>(w, x, acc);
    advance<F, R, C>(16, w, x);
  }
  const int64_t rest = blocks - b;
  if (rest & 8) superblock<F, 8, R, C>(w, x, acc), advance<F, R, C>(8, w, x);
  if (rest & 4) superblock<F, 4, R, C>(w, x, acc), advance<F, R, C>(4, w, x);
  if (rest & 2) superblock<F, 2, R, C>(w, x, acc), advance<F, R, C>(2, w, x);
  if (rest & 1) superblock<F, 1, R, C>(w, x, acc);
  for (int c = 0; c < C; ++c) {
    auto lanes = [&](int r) { return r < R ? acc[r < R ? r : 0][c] : _mm512_setzero_ps(); };
    alignas(16) float sums[4];
    _mm_store_ps(sums, reduce4(lanes(0), lanes(1), lanes(2), lanes(3)));  // each sum alone: same bits for any R
    for (int r = 0; r < R; ++r) a.y[(c0 + c) * a.ldy + r0 + r] = sums[r];
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
    for (int64_t c0 = 0; c0 < a.n; c0 += 4) {
      const int ct = a.n - c0 < 4 ? static_cast<int>(a.n - c0) : 4;
      dispatch_tile(rt, ct, [&]<int R, int C>() { tile<F, R, C>(a, r0, c0); });
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
