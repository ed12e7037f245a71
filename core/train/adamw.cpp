#include "core/train/adamw.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace eaglerun::train {

double learning_rate(const TrainerConfig& c, int64_t step) {
  if (step < c.warmup_steps) return c.lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  if (c.schedule == "constant") return c.lr;
  const double span = static_cast<double>(std::max<int64_t>(1, c.total_steps - c.warmup_steps));
  const double progress = std::clamp(static_cast<double>(step - c.warmup_steps) / span, 0.0, 1.0);
  if (c.schedule == "cosine") return c.lr * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return c.lr * (1.0 - progress);
}

ClipStats clip_gradients(float* g, int64_t n, double clip_value, double clip_norm) {
  ClipStats stats;
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(g[i]) * g[i];
  stats.norm = std::sqrt(sum_sq);
  if (clip_value > 0) {
    const auto v = static_cast<float>(clip_value);
    for (int64_t i = 0; i < n; ++i) {
      if (g[i] > v || g[i] < -v) {
        g[i] = std::clamp(g[i], -v, v);
        ++stats.clipped;
      }
    }
  }
  if (clip_norm > 0) {
    double clipped_sq = 0.0;
    for (int64_t i = 0; i < n; ++i) clipped_sq += static_cast<double>(g[i]) * g[i];
    const double norm = std::sqrt(clipped_sq);
    if (norm > clip_norm) {
      const auto scale = static_cast<float>(clip_norm / (norm + 1e-6));  // as torch.nn.utils.clip_grad_norm_
      for (int64_t i = 0; i < n; ++i) g[i] *= scale;
    }
  }
  return stats;
}

void adamw_update(const TrainerConfig& c, double lr, const ParamLayout& layout, float* params, const float* grads,
                  OptimizerState& s) {
  const auto n = static_cast<std::size_t>(layout.total());
  if (s.exp_avg.size() != n) s.exp_avg.assign(n, 0.f);
  if (s.exp_avg_sq.size() != n) s.exp_avg_sq.assign(n, 0.f);
  ++s.step;
  const double t = static_cast<double>(s.step);
  const auto b1 = static_cast<float>(c.beta1), b2 = static_cast<float>(c.beta2), eps = static_cast<float>(c.eps);
  const auto step_size = static_cast<float>(lr / (1.0 - std::pow(c.beta1, t)));
  const auto bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(c.beta2, t)));
  const auto decay = static_cast<float>(1.0 - lr * c.weight_decay);
  for (const ParamSlice& slice : layout.slices()) {
    const bool decays = slice.shape.size() == 2 && c.weight_decay > 0;
    for (int64_t i = slice.offset; i < slice.offset + slice.size; ++i) {
      if (decays) params[i] *= decay;
      const float g = grads[i];
      s.exp_avg[i] = b1 * s.exp_avg[i] + (1.f - b1) * g;
      s.exp_avg_sq[i] = b2 * s.exp_avg_sq[i] + (1.f - b2) * g * g;
      params[i] -= step_size * s.exp_avg[i] / (std::sqrt(s.exp_avg_sq[i]) / bc2_sqrt + eps);
    }
  }
}

}  // namespace eaglerun::train
