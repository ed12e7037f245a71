// AVX-512 attention loops (attention_kernels.h) for head_dim a multiple of 16, up to 256; other
// sizes take the portable loops. fp16 rows are widened exactly (vcvtph2ps) in registers as they
// are read: the scores once per head (cheaper than a store and reloads), the mix once when one run
// holds every head; otherwise rows are walked in blocks widened once into an fp32 buffer that every
// head then reads. Where a row is widened changes no value.
#include <immintrin.h>

#include "core/kernels/head_dim_dispatch.h"
#include "core/kernels/kernels_avx512.h"

namespace eaglerun::kernels::avx512 {
namespace {

constexpr int64_t kMaxVectors = 16;  // head_dim <= 256
constexpr int64_t kBlock = 32;       // keys per block

// Lane sum by halving (8, 4, 2, 1), the portable loops' order.
inline float lane_sum(__m512 v) {
  const __m256 h8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  const __m128 h4 = _mm_add_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
  const __m128 h2 = _mm_add_ps(h4, _mm_movehl_ps(h4, h4));
  const __m128 h1 = _mm_add_ss(h2, _mm_movehdup_ps(h2));
  return _mm_cvtss_f32(h1);
}

// lane_sum of 16 vectors at once: lane j of the result is lane_sum(a[j]), the same additions in the
// same order (halving 8, 4, 2, 1), done on pairs of vectors shuffled together.
inline __m512 lane_sums16(const __m512* a) {
  __m512 b[8], c[4], d[2];
  for (int j = 0; j < 8; ++j) {  // x[i] + x[i + 8]: a[2j]'s in lanes 0-7, a[2j + 1]'s in lanes 8-15
    b[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * j], a[2 * j + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(a[2 * j], a[2 * j + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  for (int j = 0; j < 4; ++j) {  // + 4: quad k of c[j] belongs to a[4j + k]
    c[j] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * j], b[2 * j + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(b[2 * j], b[2 * j + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  for (int j = 0; j < 2; ++j) {  // + 2: in quad k, lanes 0-1 belong to a[8j + k], lanes 2-3 to a[8j + 4 + k]
    d[j] = _mm512_add_ps(_mm512_shuffle_ps(c[2 * j], c[2 * j + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(c[2 * j], c[2 * j + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  // + 1: lane 4k + m holds a[4m + k]'s sum; transpose it to lane 4m + k.
  const __m512 e = _mm512_add_ps(_mm512_shuffle_ps(d[0], d[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(d[0], d[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, e);
}

// The 16 lanes of q . k: lane l sums the elements i with i % 16 == l (v = 0 a product, then FMAs).
template <int NV>
inline __attribute__((always_inline)) __m512 dot_lanes(const __m512 (&q)[NV], const float* k) {
  __m512 acc = _mm512_mul_ps(q[0], _mm512_loadu_ps(k));
#pragma GCC unroll 16
  for (int v = 1; v < NV; ++v) acc = _mm512_fmadd_ps(q[v], _mm512_loadu_ps(k + 16 * v), acc);
  return acc;
}

bool supported(const AttentionHeadsArgs& a) { return a.d % 16 == 0 && a.d / 16 <= kMaxVectors; }

// rows[t - t0] <- cache row visible[t] as fp32, for t in [t0, t1): pointers into an fp32 cache, or
// the fp16 rows widened into widened[kBlock, 16 NV].
template <int NV>
inline __attribute__((always_inline)) void block_rows(const AttentionHeadsArgs& a, const void* base, int64_t t0,
                                                       int64_t t1, float* widened, const float** rows) {
  if (a.kv_type == DType::F32) {
    for (int64_t t = t0; t < t1; ++t) rows[t - t0] = static_cast<const float*>(base) + a.visible[t] * a.stride;
    return;
  }
  for (int64_t t = t0; t < t1; ++t) {
    const uint16_t* src = static_cast<const uint16_t*>(base) + a.visible[t] * a.stride;
    float* dst = widened + (t - t0) * 16 * NV;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      _mm512_store_ps(dst + 16 * v, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 16 * v))));
    }
    rows[t - t0] = dst;
  }
}

// The kernels for head_dim = 16 NV, NV known at compile time so that every array of vectors below
// lives in registers.
template <int NV>
void scores_nv(const AttentionHeadsArgs& a) {
  alignas(64) float widened[kBlock * 16 * NV];
  const float* rows[kBlock];
  const __m512 scale = _mm512_set1_ps(a.scale);
  if (a.kv_type == DType::F16) {  // each head widens the fp16 key rows in registers as it reads them
    const uint16_t* keys = static_cast<const uint16_t*>(a.keys);
    for (int64_t g = 0; g < a.G; ++g) {
      __m512 q[NV];
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) q[v] = _mm512_loadu_ps(a.q + g * a.d + 16 * v);
      float* scores = a.scores + g * a.n;
      auto dot16 = [&](int64_t t) {
        const uint16_t* k = keys + a.visible[t] * a.stride;
        __m512 acc = _mm512_mul_ps(q[0], _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(k))));
#pragma GCC unroll 16
        for (int v = 1; v < NV; ++v) acc = _mm512_fmadd_ps(q[v], _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(k + 16 * v))), acc);
        return acc;
      };
      int64_t t = 0;
      for (; t + 16 <= a.n; t += 16) {
        __m512 acc[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) acc[j] = dot16(t + j);
        _mm512_storeu_ps(scores + t, _mm512_mul_ps(lane_sums16(acc), scale));
      }
      for (; t < a.n; ++t) scores[t] = lane_sum(dot16(t)) * a.scale;
    }
    return;
  }
  for (int64_t t0 = 0; t0 < a.n; t0 += kBlock) {
    const int64_t t1 = t0 + kBlock < a.n ? t0 + kBlock : a.n;
    block_rows<NV>(a, a.keys, t0, t1, widened, rows);
    for (int64_t g = 0; g < a.G; ++g) {
      __m512 q[NV];
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) q[v] = _mm512_loadu_ps(a.q + g * a.d + 16 * v);
      float* scores = a.scores + g * a.n;
      int64_t t = t0;
      for (; t + 16 <= t1; t += 16) {
        __m512 acc[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) acc[j] = dot_lanes<NV>(q, rows[t - t0 + j]);
        _mm512_storeu_ps(scores + t, _mm512_mul_ps(lane_sums16(acc), scale));
      }
      for (; t < t1; ++t) scores[t] = lane_sum(dot_lanes<NV>(q, rows[t - t0])) * a.scale;
    }
  }
}

// Heads are taken together in runs of up to kMaxVectors / NV (independent FMA chains over the same
// value rows); each head's output still adds its terms in t order, whatever run it is in. When one
// run holds every head, each value row is read once, so an fp16 row is widened in registers as it
// is read (the same exact widening as block_rows) rather than through the buffer.
template <int NV>
void mix_nv(const AttentionHeadsArgs& a) {
  constexpr int kRun = kMaxVectors / NV;
  alignas(64) float widened[kBlock * 16 * NV];
  const float* rows[kBlock];
  const bool direct = a.kv_type == DType::F16 && a.G <= kRun;
  for (int64_t i = 0; i < a.G * a.d; ++i) a.out[i] = 0.f;
  for (int64_t t0 = 0; t0 < a.n; t0 += kBlock) {
    const int64_t t1 = t0 + kBlock < a.n ? t0 + kBlock : a.n;
    if (!direct) block_rows<NV>(a, a.values, t0, t1, widened, rows);
    for (int64_t g0 = 0; g0 < a.G; g0 += kRun) {
      const int64_t heads = a.G - g0 < kRun ? a.G - g0 : kRun;
      float* o = a.out + g0 * a.d;
      const float* p = a.scores + g0 * a.n;
      __m512 acc[kRun][NV];
#pragma GCC unroll 16
      for (int h = 0; h < kRun; ++h) {
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) acc[h][v] = h < heads ? _mm512_loadu_ps(o + h * a.d + 16 * v) : _mm512_setzero_ps();
      }
      for (int64_t t = t0; t < t1; ++t) {
        __m512 value[NV];
        if (direct) {
          const uint16_t* x = static_cast<const uint16_t*>(a.values) + a.visible[t] * a.stride;
#pragma GCC unroll 16
          for (int v = 0; v < NV; ++v) value[v] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 16 * v)));
        } else {
          const float* x = rows[t - t0];
#pragma GCC unroll 16
          for (int v = 0; v < NV; ++v) value[v] = _mm512_loadu_ps(x + 16 * v);
        }
#pragma GCC unroll 16
        for (int h = 0; h < kRun; ++h) {
          if (h < heads) {
            const __m512 ph = _mm512_set1_ps(p[h * a.n + t]);
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[h][v] = _mm512_fmadd_ps(ph, value[v], acc[h][v]);
          }
        }
      }
#pragma GCC unroll 16
      for (int h = 0; h < kRun; ++h) {
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) {
          if (h < heads) _mm512_storeu_ps(o + h * a.d + 16 * v, acc[h][v]);
        }
      }
    }
  }
}

}  // namespace

void attention_scores(const AttentionHeadsArgs& a) {
  if (!supported(a)) return portable_attention_scores(a);
  with_nv(a.d / 16, [&]<int NV>() { scores_nv<NV>(a); });
}

void attention_mix(const AttentionHeadsArgs& a) {
  if (!supported(a)) return portable_attention_mix(a);
  with_nv(a.d / 16, [&]<int NV>() { mix_nv<NV>(a); });
}

}  // namespace eaglerun::kernels::avx512
