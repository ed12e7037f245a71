#include "core/kernels/attention_kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/exp_kernels.h"
#include "core/kernels/isa_kernels.h"
#include "core/kernels/matmul.h"

namespace eaglerun {
namespace kernels {

constexpr int kLanes = 16;

// Sum of 16 lanes by halving (8, 4, 2, 1).
static float combine_sum(float* acc) {
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  }
  return acc[0];
}

// Cache row j (d elements of kv_type at element j * stride of base) as fp32: a pointer into an
// fp32 cache, or the fp16 row widened into widened[d].
static const float* cached_row(const AttentionHeadsArgs& a, const void* base, int64_t j, float* widened) {
  if (a.kv_type == DType::F32) return static_cast<const float*>(base) + j * a.stride;
  const uint16_t* row = static_cast<const uint16_t*>(base) + j * a.stride;
  for (int64_t i = 0; i < a.d; ++i) widened[i] = fp16_to_fp32(row[i]);
  return widened;
}

// Portable versions: lane l of a dot product sums elements i with i % 16 == l, then the lanes
// combine by halving, the order the AVX-512 kernel uses.
void portable_attention_scores(const AttentionHeadsArgs& a) {
  std::vector<float> widened(static_cast<std::size_t>(a.d));
  for (int64_t t = 0; t < a.n; ++t) {
    const float* k = cached_row(a, a.keys, a.visible[t], widened.data());
    for (int64_t g = 0; g < a.G; ++g) {
      const float* q = a.q + g * a.d;
      float acc[kLanes] = {};
      for (int64_t i = 0; i < a.d; ++i) acc[i % kLanes] += q[i] * k[i];
      a.scores[g * a.n + t] = combine_sum(acc) * a.scale;
    }
  }
}

void portable_attention_mix(const AttentionHeadsArgs& a) {
  std::vector<float> widened(static_cast<std::size_t>(a.d));
  for (int64_t i = 0; i < a.G * a.d; ++i) a.out[i] = 0.f;
  for (int64_t t = 0; t < a.n; ++t) {
    const float* v = cached_row(a, a.values, a.visible[t], widened.data());
    for (int64_t g = 0; g < a.G; ++g) {
      const float p = a.scores[g * a.n + t];
      float* o = a.out + g * a.d;
      for (int64_t i = 0; i < a.d; ++i) o[i] += p * v[i];
    }
  }
}

}  // namespace kernels

void attention_scores(const AttentionHeadsArgs& a) { kernels::active_isa_kernels().attention_scores(a); }

// exp_shifted returns std::exp's bits in vector lanes; the lane sums below are the same additions
// in the same order whether or not the compiler vectorises the loop.
void attention_softmax(float* scores, int64_t n) {
  using kernels::kLanes;
  // The maximum in 16 lanes (a loop the compiler vectorises), then over the lanes. Only a zero
  // maximum can come out with another sign than a left-to-right scan's, and s - (+0) and s - (-0)
  // are the same number for every s (exp(+0) = exp(-0) = 1 where s is itself a zero).
  float lane_max[kLanes];
  for (int l = 0; l < kLanes; ++l) lane_max[l] = -INFINITY;
  int64_t t = 0;
  for (; t + kLanes <= n; t += kLanes) {
    for (int l = 0; l < kLanes; ++l) lane_max[l] = lane_max[l] < scores[t + l] ? scores[t + l] : lane_max[l];
  }
  for (; t < n; ++t) lane_max[t % kLanes] = std::max(lane_max[t % kLanes], scores[t]);
  float max_score = -INFINITY;
  for (int l = 0; l < kLanes; ++l) max_score = std::max(max_score, lane_max[l]);
  exp_shifted(scores, max_score, scores, n);
  float acc[kLanes] = {};
  t = 0;
  for (; t + kLanes <= n; t += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += scores[t + l];
  }
  for (; t < n; ++t) acc[t % kLanes] += scores[t];
  const float inv = 1.f / kernels::combine_sum(acc);
  for (t = 0; t < n; ++t) scores[t] *= inv;
}
void attention_mix(const AttentionHeadsArgs& a) { kernels::active_isa_kernels().attention_mix(a); }

}  // namespace eaglerun
