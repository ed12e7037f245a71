#pragma once
// The sampler as it was before the fast paths (core/sampling/sampler.cpp up to the selection-based
// rewrite), kept verbatim as the reference the fast one is checked against: a stable sort of all V
// logits, std::exp softmax with a left-to-right double sum, top-k / top-p on the sorted order, and a
// left-to-right inverse-CDF draw. Tests and bench/bench_sampling.cpp use it; nothing in core/ does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "core/kernels/ops.h"
#include "core/sampling/sampler.h"

namespace eaglerun::reference {

// softmax(logits / T) restricted to top-k then top-p and renormalised [V] (greedy: one-hot at the argmax).
inline std::vector<float> distribution(const SamplingParams& params, std::span<const float> logits) {
  const auto V = static_cast<int64_t>(logits.size());
  std::vector<float> p(logits.begin(), logits.end());
  if (params.greedy()) {
    const int64_t best = argmax(p.data(), V);
    std::fill(p.begin(), p.end(), 0.f);
    p[best] = 1.f;
    return p;
  }
  for (float& v : p) v /= params.temperature;
  // Order by logit, highest first; the lower id wins ties so the kept set is deterministic.
  std::vector<int32_t> order(static_cast<std::size_t>(V));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[a] > p[b]; });
  int64_t keep = V;
  if (params.top_k > 0) keep = std::min<int64_t>(keep, params.top_k);
  // The softmax of core/kernels/ops.cpp at the time: max, std::exp, a left-to-right double sum.
  {
    float* x = p.data();
    float max = x[0];
    for (int64_t i = 1; i < V; ++i) max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    for (int64_t i = 0; i < V; ++i) {
      x[i] = std::exp(x[i] - max);
      sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < V; ++i) x[i] *= inv;
  }
  if (params.top_p < 1.f) {
    // Renormalise over the top-k set first (HF applies top-p to the top-k-filtered logits).
    double mass_k = 0;
    for (int64_t r = 0; r < keep; ++r) mass_k += p[order[r]];
    double cum = 0;
    int64_t r = 0;
    for (; r < keep; ++r) {
      cum += p[order[r]] / mass_k;
      if (cum >= params.top_p) break;
    }
    keep = std::min(keep, r + 1);
  }
  std::vector<float> q(static_cast<std::size_t>(V), 0.f);
  double mass = 0;
  for (int64_t r = 0; r < keep; ++r) mass += p[order[r]];
  for (int64_t r = 0; r < keep; ++r) q[order[r]] = static_cast<float>(p[order[r]] / mass);
  return q;
}

// The old Sampler: the same seeded mt19937_64 and the same mapping of one 53-bit uniform to a token.
class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) { params_.validate(); }
  std::vector<float> distribution(std::span<const float> logits) const {
    return reference::distribution(params_, logits);
  }
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  int32_t draw(std::span<const float> p) {
    double total = 0;
    for (float v : p) total += v;
    const double u = uniform() * total;
    double cum = 0;
    int32_t last_nonzero = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] <= 0.f) continue;
      cum += p[i];
      last_nonzero = static_cast<int32_t>(i);
      if (u < cum) return last_nonzero;
    }
    return last_nonzero;  // rounding left u just past the total
  }
  int32_t sample(std::span<const float> logits) {
    if (params_.greedy()) return static_cast<int32_t>(argmax(logits.data(), static_cast<int64_t>(logits.size())));
    return draw(distribution(logits));
  }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
};

}  // namespace eaglerun::reference
