// AVX-512 VNNI: Q4_0 / Q4_1 / Q8_0 weights times quantised activations (avx512_layout.h).
//
// Per weight row, a "unit" of blocks (4 blocks for Q4_*, 2 for Q8_0) is loaded with one 64-byte
// load plus a short one, and permuted into one register of 64 8-bit weights (vpermt2d/w) plus a
// register of per-lane fp32 block scales. vpdpbusd multiplies unsigned by signed bytes:
//   Q4_*: nibbles (0..15, unsigned) x activations q (signed); sum = d dx dot(nib, q) + m dx sum(q)
//         with m = -8 d for Q4_0.
//   Q8_0: activations stored as q + 128 (unsigned) x weights (signed); the accumulator starts at
//         -128 sum(w) per lane, so it ends at dot(q, w).
// Each lane then adds cvt(dot) * (d dx) into an fp32 accumulator; lanes are summed at the end.
//
// Register tile: R <= 4 weight rows x C <= 4 activation rows. For n > 4 the R rows of a tile are
// first unpacked (chunks of kChunkElems) into an L1 buffer, so the permutes and fp16 conversions
// are paid once per row, not once per activation tile; the arithmetic is the same as for n <= 4.
#include <immintrin.h>

#include "core/kernels/avx512_common.h"
#include "core/kernels/avx512_layout.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {

namespace {

constexpr int64_t kChunkElems = 2048;
// n <= 4 streams the weights once from memory; software prefetch runs this far ahead (1-2 KB
// measured best here: +20-40% over the hardware prefetchers alone on a whole decode step).
constexpr std::size_t kPrefetchBytes = 2048;

// Byte masks of the partial last unit of a row (when the block count is not a multiple of the unit).
struct TailMasks {
  __mmask64 a;  // bytes [0, 64) of the unit
  __mmask64 b;  // bytes [64, ...)
};

TailMasks tail_masks(std::size_t valid_bytes) {
  auto first = [](std::size_t n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; };
  return {first(valid_bytes), first(valid_bytes > 64 ? valid_bytes - 64 : 0)};
}

__m512i load_index(const int16_t* table) { return _mm512_load_si512(table); }

// ---- Q4_0 / Q4_1: 4 blocks per unit.
alignas(64) constexpr int32_t kQ41Qs[16] = {1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19};
alignas(64) constexpr int16_t kQ41Dm[32] = {0,  0,  0,  0,  10, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30,
                                            1,  1,  1,  1,  11, 11, 11, 11, 21, 21, 21, 21, 31, 31, 31, 31};
alignas(64) constexpr int16_t kQ40Qs[32] = {1,  2,  3,  4,  5,  6,  7,  8,  10, 11, 12, 13, 14, 15, 16, 17,
                                            19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35};
alignas(64) constexpr int16_t kQ40D[32] = {0, 0, 0, 0, 9, 9, 9, 9, 18, 18, 18, 18, 27, 27, 27, 27,
                                           0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0,  0,  0,  0,  0};

struct Q4Row {
  __m512i lo;  // low nibbles: [b0 q0..15 | b1 q0..15 | b2 .. | b3 ..]
  __m512i hi;  // high nibbles: elements 16..31 of each block
  __m512 d;    // scale of the block of each dpbusd lane
  __m512 m;    // min of the block of each lane
};

template <bool kQ41>
struct Q4Format {
  using Row = Q4Row;
  static constexpr int64_t kElems = 128;
  static constexpr std::size_t kWeightBytes = kQ41 ? 4 * 20 : 4 * 18;
  static constexpr std::size_t kActBytes = kQ4GroupBytes;
  static constexpr std::size_t kRowBytes = 256;

  template <bool kMasked>
  static Row load(const std::byte* p, TailMasks t) {
    __m512i a, b;
    if constexpr (kMasked) {
      a = _mm512_maskz_loadu_epi8(t.a, p);
      b = _mm512_maskz_loadu_epi8(t.b, p + 64);
    } else if constexpr (kQ41) {
      a = _mm512_loadu_si512(p);
      b = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 64)));
    } else {
      a = _mm512_loadu_si512(p);
      b = _mm512_castsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 64)));
    }
    const __m512i qs = kQ41 ? _mm512_permutex2var_epi32(a, _mm512_load_si512(kQ41Qs), b)
                            : _mm512_permutex2var_epi16(a, load_index(kQ40Qs), b);
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    Row r;
    r.lo = _mm512_and_si512(qs, low4);
    r.hi = _mm512_and_si512(_mm512_srli_epi16(qs, 4), low4);
    if constexpr (kQ41) {
      const __m512i dm = _mm512_permutexvar_epi16(load_index(kQ41Dm), a);
      r.d = _mm512_cvtph_ps(_mm512_castsi512_si256(dm));
      r.m = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(dm, 1));
    } else {
      r.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(load_index(kQ40D), a)));
      r.m = _mm512_mul_ps(r.d, _mm512_set1_ps(-8.0f));
    }
    return r;
  }

  static void save(const Row& r, std::byte* p) {
    _mm512_store_si512(p, r.lo);
    _mm512_store_si512(p + 64, r.hi);
    _mm512_store_ps(p + 128, r.d);
    _mm512_store_ps(p + 192, r.m);
  }
  static Row restore(const std::byte* p) {
    return {_mm512_load_si512(p), _mm512_load_si512(p + 64), _mm512_load_ps(p + 128), _mm512_load_ps(p + 192)};
  }

  // acc += per-lane partial sums of d dx dot(nib, q) for one unit of W[row] . x (no min term)
  static void fma_scaled(const Row& w, const std::byte* x, __m512& acc) {
    __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w.lo, _mm512_load_si512(x));
    dot = _mm512_dpbusd_epi32(dot, w.hi, _mm512_load_si512(x + 64));
    const __m512 scale = _mm512_mul_ps(w.d, _mm512_load_ps(x + 128));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
  }
  // Same plus the min term m dx sum(q), per lane.
  static void fma(const Row& w, const std::byte* x, __m512& acc) {
    fma_scaled(w, x, acc);
    acc = _mm512_fmadd_ps(w.m, _mm512_load_ps(x + 192), acc);
  }
};

// ---- Q8_0: 2 blocks per unit.
alignas(64) constexpr int16_t kQ8Qs[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                           18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33};
alignas(64) constexpr int16_t kQ8D[32] = {0,  0,  0,  0,  0,  0,  0,  0,  17, 17, 17, 17, 17, 17, 17, 17,
                                          0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};

struct Q8Row {
  __m512i w;     // [b0 q0..31 | b1 q0..31], signed
  __m512i bias;  // -128 * (sum of the 4 weights of each lane)
  __m512 d;      // scale of the block of each lane
};

struct Q8Format {
  using Row = Q8Row;
  static constexpr int64_t kElems = 64;
  static constexpr std::size_t kWeightBytes = 2 * 34;
  static constexpr std::size_t kActBytes = kQ8UnitBytes;
  static constexpr std::size_t kRowBytes = 192;

  template <bool kMasked>
  static Row load(const std::byte* p, TailMasks t) {
    __m512i a, b;
    if constexpr (kMasked) {
      a = _mm512_maskz_loadu_epi8(t.a, p);
      b = _mm512_maskz_loadu_epi8(t.b, p + 64);
    } else {
      a = _mm512_loadu_si512(p);
      b = _mm512_castsi128_si512(_mm_loadu_si32(p + 64));
    }
    Row r;
    r.w = _mm512_permutex2var_epi16(a, load_index(kQ8Qs), b);
    r.d = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(load_index(kQ8D), a)));
    const __m512i zero = _mm512_setzero_si512();
    r.bias = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(static_cast<char>(0x80)), r.w));
    return r;
  }

  static void save(const Row& r, std::byte* p) {
    _mm512_store_si512(p, r.w);
    _mm512_store_si512(p + 64, r.bias);
    _mm512_store_ps(p + 128, r.d);
  }
  static Row restore(const std::byte* p) {
    return {_mm512_load_si512(p), _mm512_load_si512(p + 64), _mm512_load_ps(p + 128)};
  }

  static void fma(const Row& w, const std::byte* x, __m512& acc) {
    const __m512i dot = _mm512_dpbusd_epi32(w.bias, _mm512_load_si512(x), w.w);
    const __m512 scale = _mm512_mul_ps(w.d, _mm512_load_ps(x + 64));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc);
  }
};

// ---- Tiles.
template <class F>
struct Job {
  const QuantGemmArgs& a;
  int64_t units;       // units per row, the last one maybe partial
  int64_t full_units;  // complete units
  TailMasks tail;

  explicit Job(const QuantGemmArgs& args) : a(args) {
    const int64_t blocks = a.k / 32;
    constexpr int64_t per = F::kElems / 32;
    units = (blocks + per - 1) / per;
    full_units = blocks / per;
    tail = tail_masks(static_cast<std::size_t>(blocks - full_units * per) * (F::kWeightBytes / per));
  }
  // Unit `unit` of weight row `row`; kMasked for the partial last unit.
  template <bool kMasked>
  typename F::Row load(int64_t row, int64_t unit) const {
    const std::byte* p = a.w + static_cast<std::size_t>(row) * a.w_stride + unit * F::kWeightBytes;
    return F::template load<kMasked>(p, tail);
  }
  typename F::Row load_any(int64_t row, int64_t unit) const {
    return unit < full_units ? load<false>(row, unit) : load<true>(row, unit);
  }
  const std::byte* act(int64_t col, int64_t unit) const {
    return a.act + static_cast<std::size_t>(col) * a.act_stride + unit * F::kActBytes;
  }
};

// Prefetches bytes [from, from + bytes) of the `size` bytes at base into L1 (clipped to size).
inline void prefetch(const std::byte* base, std::size_t from, std::size_t bytes, std::size_t size) {
  const std::size_t stop = from + bytes < size ? from + bytes : size;
  for (std::size_t at = from; at < stop; at += 64) _mm_prefetch(reinterpret_cast<const char*>(base + at), _MM_HINT_T0);
}

template <int R, int C>
inline void zero(__m512 (&acc)[R][C]) {
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  }
}

// acc[r][c] += units [u0, u1) of W[r] . x[c0 + c], weight rows from row(r, u). The loop body has
// no branches, so the accumulators stay in registers.
template <class F, int R, int C, class RowOf>
inline void accumulate(const Job<F>& job, int64_t c0, int64_t u0, int64_t u1, RowOf row, __m512 (&acc)[R][C]) {
  for (int64_t u = u0; u < u1; ++u) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const typename F::Row w = row(r, u);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) F::fma(w, job.act(c0 + c, u), acc[r][c]);
    }
  }
}

// Both paths below give every output the same bits whatever n is (a draft-tree row equals the same
// row of plain decoding): per chunk of kChunkElems columns of k, each lane sums its units in order
// (scaled dot, then the Q4 min term, per unit), store_tile sums the lanes and adds the chunk's
// result to y after the first chunk.

// n <= 4: one activation tile; weights go straight from memory into registers. The partial last
// unit, if any (kTail), is added after the loop over full units: a compile-time branch, so that
// the accumulators stay in registers through the loop.
template <class F, bool kTail>
void gemm_direct(const Job<F>& job) {
  constexpr int64_t kChunk = kChunkElems / F::kElems;  // units per chunk
  const QuantGemmArgs& a = job.a;
  const std::size_t size = static_cast<std::size_t>(a.rows) * a.w_stride;
  prefetch(a.w, 0, kPrefetchBytes, size);
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    prefetch(a.w, static_cast<std::size_t>(r0) * a.w_stride + kPrefetchBytes, 4 * a.w_stride, size);
    dispatch_tile(rt, static_cast<int>(a.n), [&]<int R, int C>() {
      for (int64_t u0 = 0; u0 < job.units; u0 += kChunk) {
        const int64_t u1 = u0 + kChunk < job.units ? u0 + kChunk : job.units;
        const int64_t full_end = u1 < job.full_units ? u1 : job.full_units;
        __m512 acc[R][C];
        zero(acc);
        accumulate<F, R, C>(job, 0, u0, full_end,
                                   [&](int r, int64_t u) { return job.template load<false>(r0 + r, u); }, acc);
        if constexpr (kTail) {
          accumulate<F, R, C>(job, 0, full_end, u1,
                                     [&](int r, int64_t u) { return job.template load<true>(r0 + r, u); }, acc);
        }
        store_tile<R, C>(acc, a.y + r0, a.ldy, u0 > 0);
      }
    });
  }
}

// n > 4: per tile of up to 4 weight rows and one chunk of k, unpack once into `buf`, then sweep
// all activation rows in tiles of 4.
template <class F>
void gemm_unpacked(const Job<F>& job) {
  constexpr int64_t kChunk = kChunkElems / F::kElems;    // units per chunk
  alignas(64) std::byte buf[4 * kChunk * F::kRowBytes];  // [4 rows][kChunk units][kRowBytes]
  const QuantGemmArgs& a = job.a;
  for (int64_t r0 = 0; r0 < a.rows; r0 += 4) {
    const int rt = a.rows - r0 < 4 ? static_cast<int>(a.rows - r0) : 4;
    for (int64_t u0 = 0; u0 < job.units; u0 += kChunk) {
      const int64_t u1 = u0 + kChunk < job.units ? u0 + kChunk : job.units;
      for (int r = 0; r < rt; ++r) {
        for (int64_t u = u0; u < u1; ++u) F::save(job.load_any(r0 + r, u), buf + (r * kChunk + u - u0) * F::kRowBytes);
      }
      auto unpacked = [&](int r, int64_t u) { return F::restore(buf + (r * kChunk + u - u0) * F::kRowBytes); };
      for (int64_t c0 = 0; c0 < a.n; c0 += 4) {
        const int ct = a.n - c0 < 4 ? static_cast<int>(a.n - c0) : 4;
        dispatch_tile(rt, ct, [&]<int R, int C>() {
          __m512 acc[R][C];
          zero(acc);
          accumulate<F, R, C>(job, c0, u0, u1, unpacked, acc);
          store_tile<R, C>(acc, a.y + c0 * a.ldy + r0, a.ldy, u0 > 0);
        });
      }
    }
  }
}

template <class F>
void gemm(const QuantGemmArgs& a) {
  const Job<F> job(a);
  if (a.n <= 4) {
    if (job.full_units < job.units) {
      gemm_direct<F, true>(job);
    } else {
      gemm_direct<F, false>(job);
    }
  } else {
    gemm_unpacked(job);
  }
}

}  // namespace

void gemm_quant(const QuantGemmArgs& a) {
  switch (a.wtype) {
    case DType::Q4_0: return gemm<Q4Format<false>>(a);
    case DType::Q4_1: return gemm<Q4Format<true>>(a);
    default: return gemm<Q8Format>(a);
  }
}

}  // namespace eaglerun::kernels::avx512
