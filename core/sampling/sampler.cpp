#include "core/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/kernels/ops.h"

namespace eaglerun {

void SamplingParams::validate() const {
  require(temperature >= 0.f && std::isfinite(temperature), "--temperature must be >= 0");
  require(top_k >= 0, "--top-k must be >= 0");
  require(top_p > 0.f && top_p <= 1.f, "--top-p must be in (0, 1]");
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) { params_.validate(); }

std::vector<float> Sampler::distribution(std::span<const float> logits) const {
  const auto V = static_cast<int64_t>(logits.size());
  std::vector<float> p(logits.begin(), logits.end());
  if (params_.greedy()) {
    const int64_t best = argmax(p.data(), V);
    std::fill(p.begin(), p.end(), 0.f);
    p[best] = 1.f;
    return p;
  }
  for (float& v : p) v /= params_.temperature;
  // Order by logit, highest first; the lower id wins ties so the kept set is deterministic.
  std::vector<int32_t> order(static_cast<std::size_t>(V));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[a] > p[b]; });
  int64_t keep = V;
  if (params_.top_k > 0) keep = std::min<int64_t>(keep, params_.top_k);
  softmax(p.data(), V);
  if (params_.top_p < 1.f) {
    // Renormalise over the top-k set first (HF applies top-p to the top-k-filtered logits).
    double mass_k = 0;
    for (int64_t r = 0; r < keep; ++r) mass_k += p[order[r]];
    double cum = 0;
    int64_t r = 0;
    for (; r < keep; ++r) {
      cum += p[order[r]] / mass_k;
      if (cum >= params_.top_p) break;
    }
    keep = std::min(keep, r + 1);
  }
  std::vector<float> q(static_cast<std::size_t>(V), 0.f);
  double mass = 0;
  for (int64_t r = 0; r < keep; ++r) mass += p[order[r]];
  for (int64_t r = 0; r < keep; ++r) q[order[r]] = static_cast<float>(p[order[r]] / mass);
  return q;
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

int32_t Sampler::draw(std::span<const float> p) {
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

int32_t Sampler::sample(std::span<const float> logits) {
  if (params_.greedy()) return static_cast<int32_t>(argmax(logits.data(), static_cast<int64_t>(logits.size())));
  return draw(distribution(logits));
}

}  // namespace eaglerun
