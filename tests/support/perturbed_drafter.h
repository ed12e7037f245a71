#pragma once
// A drafter whose draft distribution is close to the target's but not equal: another drafter
// (typically the target drafting for itself) whose logits are scaled (scale > 1: a sharper draft,
// as trained drafts tend to be) and get seeded Gaussian noise, in every row it returns. Sampling tests use it so that a large share of drafts is accepted and a large share
// rejected: both halves of the rejection rule then shape the output distribution.
#include <random>

#include "core/eagle/drafter.h"

namespace eaglerun::test {

class PerturbedDrafter final : public Drafter {
 public:
  PerturbedDrafter(Drafter& inner, float scale, float sigma, uint64_t seed)
      : inner_(inner), scale_(scale), noise_(0.f, sigma), rng_(seed) {}

  void begin(std::span<const int32_t> prompt, const float* features, int32_t root) override {
    inner_.begin(prompt, features, root);
    root_logits_ = perturbed(inner_.root_logits());
  }
  void advance(const float* features, std::span<const int32_t> next_tokens) override {
    inner_.advance(features, next_tokens);
    root_logits_ = perturbed(inner_.root_logits());
  }
  const std::vector<float>& root_logits() const override { return root_logits_; }
  std::vector<float> expand(std::span<const DraftNode> nodes) override { return perturbed(inner_.expand(nodes)); }
  void discard_tree() override { inner_.discard_tree(); }
  int64_t vocab_size() const override { return inner_.vocab_size(); }
  std::span<const int32_t> draft_vocabulary() const override { return inner_.draft_vocabulary(); }
  std::vector<int64_t> tap_layers() const override { return inner_.tap_layers(); }

 private:
  std::vector<float> perturbed(std::vector<float> logits) {
    for (float& v : logits) v = v * scale_ + noise_(rng_);
    return logits;
  }

  Drafter& inner_;
  float scale_;
  std::normal_distribution<float> noise_;
  std::mt19937_64 rng_;
  std::vector<float> root_logits_;  // [V]
};

}  // namespace eaglerun::test
