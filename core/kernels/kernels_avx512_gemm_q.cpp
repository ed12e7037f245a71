// AVX-512 VNNI: quantised weights in row groups times quantised activations (avx512_layout.h).
//
// A register holds 4 elements of each of 16 weight rows, one row per int32 lane; vpdpbusd
// multiplies it by a broadcast dword of one activation row (unsigned nibbles or w + 128 times
// signed q). Eight such steps cover a block, so each lane ends at the exact integer dot of one
// row's block with one activation block, started at the activation's correction (-8 sum q for
// Q4_0, -128 sum q for Q8_0, 0 for Q4_1). Then, per block and output:
//   acc = fma(float(dot), d_w * d_x, acc)        and for Q4_1   acc = fma(m_w, d_x * sum q, acc)
// over the blocks in order, from acc = 0; the lane's acc is the output. No horizontal sum.
//
// Why a row's bits do not depend on n or on the thread split: output y[c][r] is computed from
// weight row r and activation row c alone, by the sequence above, whose order is fixed by k: the
// same blocks in the same order. The register tile (G groups of 16 weight rows x C activation
// rows) only decides which outputs are computed side by side, never how one is computed; integer
// dots are exact in any order. Threads get whole groups.
//
// Register tile: G <= 2 groups x C <= 4 activation rows: G C integer dots and G C float
// accumulators, the decoded weights of one nibble chunk (2 G registers) and a broadcast. A weight
// register is loaded and split once per tile and multiplied into C activation rows. Weights stream
// from memory with software prefetch; for n > 4 a tile's groups are read again from L1 for each
// further group of activation rows.
#include <immintrin.h>

#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"
#include "core/kernels/tile_dispatch.h"

namespace eaglerun::kernels::avx512 {

namespace {

// The tile's helpers must be inlined (their arrays of vectors live in registers). Only when
// optimising: unoptimised (Debug, ASan) builds need no registers.
#if defined(__OPTIMIZE__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

// The weight stream's software prefetch: each tile row (G groups, all activation rows) fetches the
// next tile row's bytes, spread evenly over its column tiles and their blocks, so that a tile row
// bound by its arithmetic (n > 4: several column tiles re-read its groups from L1) still keeps the
// memory busy. `bytes_per_block` from `from` at each block of the tile.
struct Prefetch {
  const std::byte* from;
  std::size_t bytes_per_block;
};

inline void prefetch_lines(const std::byte* p, std::size_t bytes) {
  for (std::size_t at = 0; at < bytes; at += 64) _mm_prefetch(reinterpret_cast<const char*>(p + at), _MM_HINT_T0);
}

struct Q4_0 {
  static constexpr bool kNibbles = true, kMin = false, kIntStart = true;
  static constexpr std::size_t kBlockBytes = 18, kElementsAt = 32;  // d[16] | nibbles: the elements start at byte 32 of a group block
};
struct Q4_1 {
  static constexpr bool kNibbles = true, kMin = true, kIntStart = false;
  static constexpr std::size_t kBlockBytes = 20, kElementsAt = 64;  // d[16] m[16] | nibbles
};
struct Q8_0 {
  static constexpr bool kNibbles = false, kMin = false, kIntStart = true;
  static constexpr std::size_t kBlockBytes = 34, kElementsAt = 32;  // d[16] | u[8][64]
};

// One quantised activation row: q[B][32], dx[B], and extra[B] read as the weight type's quantiser
// wrote it: the integer dot's start (Q4_0, Q8_0) or the min term's factor (Q4_1).
struct ActRow {
  const int8_t* q;
  const float* dx;
  const int32_t* start;
  const float* min_factor;
};

ALWAYS_INLINE __m512i broadcast_dword(const void* p) { return _mm512_set1_epi32(*static_cast<const int32_t*>(p)); }

// dot[g][c] += register pair (lo[g], hi[g]) . dwords 2 j, 2 j + 1 of activation block b.
template <int G, int C>
ALWAYS_INLINE void dot_pair(const __m512i (&lo)[G], const __m512i (&hi)[G], const ActRow (&x)[C], int64_t b, int j,
                            __m512i (&dot)[G][C]) {
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    const __m512i x0 = broadcast_dword(x[c].q + 32 * b + 8 * j);
    const __m512i x1 = broadcast_dword(x[c].q + 32 * b + 8 * j + 4);
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      dot[g][c] = _mm512_dpbusd_epi32(dot[g][c], lo[g], x0);
      dot[g][c] = _mm512_dpbusd_epi32(dot[g][c], hi[g], x1);
    }
  }
}

// The exact integer dots of group block b: dot[g][c] per lane (row) = start + sum u q.
template <class F, int G, int C>
ALWAYS_INLINE void block_dots(const std::byte* const (&w)[G], const ActRow (&x)[C], int64_t b, __m512i (&dot)[G][C]) {
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    const __m512i start = F::kIntStart ? _mm512_set1_epi32(x[c].start[b]) : _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) dot[g][c] = start;
  }
  const __m512i low4 = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    __m512i lo[G], hi[G];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      if constexpr (F::kNibbles) {
        const __m512i v = _mm512_loadu_si512(w[g] + F::kElementsAt + 64 * j);
        lo[g] = _mm512_and_si512(v, low4);
        hi[g] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      } else {
        lo[g] = _mm512_loadu_si512(w[g] + F::kElementsAt + 128 * j);
        hi[g] = _mm512_loadu_si512(w[g] + F::kElementsAt + 128 * j + 64);
      }
    }
    dot_pair<G, C>(lo, hi, x, b, j, dot);
  }
}

// y[c][16 g0 + l] for the tile of G groups from g0 and C activation rows from c0, l < the group's
// rows (the last group may hold fewer than 16).
template <class F, int G, int C>
void tile(const QuantGemmArgs& a, int64_t g0, int64_t c0, Prefetch prefetch) {
  const int64_t blocks = a.k / 32;
  const std::size_t group_block = group_block_bytes(F::kBlockBytes);
  const std::byte* w[G];
  for (int g = 0; g < G; ++g) w[g] = a.w + static_cast<std::size_t>(g0 + g) * kGroupRows * a.w_stride;
  ActRow x[C];
  for (int c = 0; c < C; ++c) {
    const std::byte* row = a.act + static_cast<std::size_t>(c0 + c) * a.act_stride;
    x[c] = {reinterpret_cast<const int8_t*>(row), reinterpret_cast<const float*>(row + act_dx_offset(blocks)),
            reinterpret_cast<const int32_t*>(row + act_extra_offset(blocks)),
            reinterpret_cast<const float*>(row + act_extra_offset(blocks))};
  }
  __m512 acc[G][C];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[g][c] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i dot[G][C];
    block_dots<F, G, C>(w, x, b, dot);
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[g])));
      __m512 mw;
      if constexpr (F::kMin) mw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[g] + 32)));
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(x[c].dx[b]));
        acc[g][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[g][c]), scale, acc[g][c]);
        if constexpr (F::kMin) {
          acc[g][c] = _mm512_fmadd_ps(mw, _mm512_set1_ps(x[c].min_factor[b]), acc[g][c]);
        }
      }
      w[g] += group_block;
    }
    prefetch_lines(prefetch.from, prefetch.bytes_per_block);
    prefetch.from += prefetch.bytes_per_block;
  }
  for (int g = 0; g < G; ++g) {
    const int64_t first = 16 * (g0 + g), valid = a.rows - first < 16 ? a.rows - first : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(a.y + (c0 + c) * a.ldy + first, mask, acc[g][c]);
  }
}

template <class F>
void gemm(const QuantGemmArgs& a) {
  const int64_t groups = (a.rows + kGroupRows - 1) / kGroupRows;
  // Two groups a tile share each activation load once the tile is bound by its arithmetic (n > 4);
  // up to 4 rows the weights stream from memory, one group at a time (verify_roofline measured
  // that faster).
  const int64_t tile_groups = a.n <= 4 ? 1 : 2;
  const int64_t blocks = a.k / 32;
  const std::size_t group_bytes = kGroupRows * a.w_stride;
  // ceil(n / 4) column tiles of sizes as equal as they go (n = 5: 3 + 2, not 4 + 1).
  const int64_t tiles = (a.n + 3) / 4, base = a.n / tiles, wider = a.n % tiles;
  prefetch_lines(a.w, static_cast<std::size_t>(groups < tile_groups ? groups : tile_groups) * group_bytes);
  for (int64_t g0 = 0; g0 < groups; g0 += tile_groups) {
    const int gt = static_cast<int>(groups - g0 < tile_groups ? groups - g0 : tile_groups);
    const int64_t next = groups - g0 - gt < tile_groups ? groups - g0 - gt : tile_groups;  // groups of the next tile row
    const std::size_t share = (static_cast<std::size_t>(next) * group_bytes + tiles - 1) / tiles;
    const std::size_t per_block = (share / blocks + 63) / 64 * 64;
    const std::byte* next_row = a.w + static_cast<std::size_t>(g0 + gt) * group_bytes;
    for (int64_t t = 0, c0 = 0; t < tiles; ++t) {
      const int ct = static_cast<int>(base + (t < wider ? 1 : 0));
      const Prefetch prefetch{next_row + t * share, next > 0 ? per_block : 0};
      dispatch_tile<2, 4>(gt, ct, [&]<int G, int C>() { tile<F, G, C>(a, g0, c0, prefetch); });
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
