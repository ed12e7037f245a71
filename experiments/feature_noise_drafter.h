#pragma once
// The "robustness to feature errors" experiment's drafter: another drafter (the EAGLE head) whose
// target features get noise before it reads them, at the prefill and after every step. The noise of
// each feature row is scale x RMS(row) x e, with e standard Gaussian or uniform on [-sqrt 3, sqrt 3]
// (unit variance either way), from a seeded generator. Verification is untouched, so the output
// stays lossless; only acceptance changes.
#include <random>
#include <string>
#include <vector>

#include "core/eagle/drafter.h"

namespace eaglerun {

class FeatureNoiseDrafter final : public Drafter {
 public:
  // kind: "gaussian" or "uniform" (Error otherwise); hidden: the feature width H.
  FeatureNoiseDrafter(Drafter& inner, int64_t hidden, const std::string& kind, double scale, uint64_t seed);

  void begin(std::span<const int32_t> prompt, const float* features, int32_t root) override;
  void advance(const float* features, std::span<const int32_t> next_tokens) override;
  const std::vector<float>& root_logits() const override { return inner_.root_logits(); }
  std::vector<float> expand(std::span<const DraftNode> nodes) override { return inner_.expand(nodes); }
  void discard_tree() override { inner_.discard_tree(); }
  int64_t vocab_size() const override { return inner_.vocab_size(); }
  std::span<const int32_t> draft_vocabulary() const override { return inner_.draft_vocabulary(); }

  // rows x H features with the noise added (exposed for tests).
  std::vector<float> noisy(const float* features, int64_t rows);

 private:
  Drafter& inner_;
  int64_t hidden_;
  bool gaussian_;
  double scale_;
  std::mt19937_64 rng_;
};

}  // namespace eaglerun
