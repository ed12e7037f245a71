#include "experiments/feature_noise_drafter.h"

#include <cmath>

#include "core/error.h"

namespace eaglerun {

FeatureNoiseDrafter::FeatureNoiseDrafter(Drafter& inner, int64_t hidden, const std::string& kind, double scale,
                                         uint64_t seed)
    : inner_(inner), hidden_(hidden), gaussian_(kind == "gaussian"), scale_(scale), rng_(seed) {
  require(kind == "gaussian" || kind == "uniform", "feature noise: kind is gaussian or uniform, not '" + kind + "'");
  require(scale >= 0, "feature noise: the scale must be >= 0");
  require(inner.tap_layers().empty(), "feature noise is defined on the top feature: use a head without tap layers");
}

std::vector<float> FeatureNoiseDrafter::noisy(const float* features, int64_t rows) {
  std::vector<float> out(features, features + rows * hidden_);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(-std::sqrt(3.0), std::sqrt(3.0));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out.data() + r * hidden_;
    double sum = 0;
    for (int64_t i = 0; i < hidden_; ++i) sum += static_cast<double>(row[i]) * row[i];
    const double sigma = scale_ * std::sqrt(sum / static_cast<double>(hidden_));
    for (int64_t i = 0; i < hidden_; ++i) {
      row[i] += static_cast<float>(sigma * (gaussian_ ? normal(rng_) : uniform(rng_)));
    }
  }
  return out;
}

void FeatureNoiseDrafter::begin(std::span<const int32_t> prompt, const float* features, int32_t root) {
  inner_.begin(prompt, noisy(features, static_cast<int64_t>(prompt.size())).data(), root);
}

void FeatureNoiseDrafter::advance(const float* features, std::span<const int32_t> next_tokens) {
  inner_.advance(noisy(features, static_cast<int64_t>(next_tokens.size())).data(), next_tokens);
}

}  // namespace eaglerun
