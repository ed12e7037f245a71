#pragma once
// Turns logits into a token: greedy, or sampling with temperature, top-k and top-p (nucleus),
// applied in that order as Hugging Face's generate() applies them. Owns a seeded RNG, so the same
// seed and the same logits give the same tokens.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace eaglerun {

struct SamplingParams {
  float temperature = 0.f;  // 0 = greedy (argmax); otherwise logits / temperature
  int top_k = 0;            // keep the k largest logits; 0 = off
  float top_p = 1.f;        // keep the smallest set of most likely tokens with mass >= top_p; 1 = off
  uint64_t seed = 0;

  bool greedy() const { return temperature <= 0.f; }
  void validate() const;  // throws Error for negative temperature/top_k or top_p outside (0, 1]
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  const SamplingParams& params() const { return params_; }

  // The token for these logits [V].
  int32_t sample(std::span<const float> logits);

  // The distribution sample() draws from: softmax(logits / T) restricted to top-k and top-p and
  // renormalised [V]. Greedy gives a one-hot vector at the argmax. Speculative verification
  // compares draft and target through this same distribution, so both paths stay identical.
  std::vector<float> distribution(std::span<const float> logits) const;

  // Draws an index from probabilities p [n] (summing to ~1) with this sampler's RNG.
  int32_t draw(std::span<const float> p);
  // A uniform double in [0, 1) from this sampler's RNG.
  double uniform();

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
};

}  // namespace eaglerun
