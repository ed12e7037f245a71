#pragma once
// Turns logits into a token: greedy, or sampling with temperature, top-k and top-p (nucleus),
// applied in that order as Hugging Face's generate() applies them. Owns a seeded RNG, so the same
// seed and the same logits give the same tokens.
//
// The draws are defined by a simple procedure (tests/sampling/reference_sampler.h keeps it as code):
// x = logits / T; rank tokens by x, highest first, the lower id first among equal x; p = softmax(x)
// with std::exp and a left-to-right double sum; keep the first top_k of the ranking, then the shortest
// ranked prefix whose left-to-right cumulative share reaches top_p; renormalise by the kept mass summed
// in rank order; draw with one 53-bit uniform u: the first token whose left-to-right cumulative
// probability exceeds u * total. The implementation computes exactly the same floats without sorting
// the vocabulary (see sampler.cpp): a vectorised exp equal to std::exp bit for bit, selections
// instead of sorts, and fast sums with error bounds that fall back to the left-to-right sum whenever
// the bound cannot prove the result the same.
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
  // The same into out [V] (no allocation once the per-thread scratch has grown).
  void distribution(std::span<const float> logits, std::span<float> out) const;
  // The same for logits that are -inf outside `vocabulary` (distinct token ids, as a draft LM head
  // restricted to a draft vocabulary writes them), computed from the vocabulary's logits alone.
  // Logits finite outside it, or an empty vocabulary, take the whole computation; the result is the
  // same either way.
  std::vector<float> distribution(std::span<const float> logits, std::span<const int32_t> vocabulary) const;
  // distribution() to within one ulp per entry, for tree verification at T > 0: without truncation
  // the softmax is divided by a fast sum of its terms instead of their rank-order sum (the costly
  // part, a radix sort on a language model's logits). The two sums differ by at most a relative
  // 2 (V + 16) 2^-53, so an entry differs only where its quotient lies that close to a rounding
  // boundary, and then by one ulp. With top-k or top-p: distribution() itself.
  void distribution_within_ulp(std::span<const float> logits, std::span<float> out) const;

  // Draws an index from probabilities p [n] (summing to ~1) with this sampler's RNG: one uniform u,
  // then the first i with p[i] > 0 whose left-to-right double cumulative sum exceeds u * (the
  // left-to-right double sum of p); the last positive index if rounding leaves none.
  int32_t draw(std::span<const float> p);
  // A uniform double in [0, 1) from this sampler's RNG.
  double uniform();

 private:
  bool truncates_top_k(int64_t V) const;  // top-k keeps fewer than all V tokens

  SamplingParams params_;
  std::mt19937_64 rng_;
};

// The left-to-right double sum of p (the order draw() defines its total in), computed from a fast
// blocked sum whenever its error bound decides the comparison: always the same answer as the loop.
bool left_to_right_sum_exceeds(std::span<const float> p, double threshold);

namespace sampling_detail {
// Counters of the slow fallbacks (for tests and bench/bench_sampling): how often a fast path could
// not prove its result equal to the left-to-right / sorted-order computation and redid it that way.
struct FallbackCounts {
  uint64_t softmax_sum = 0;  // the softmax normaliser 1/sum
  uint64_t ranked_sum = 0;   // a kept mass summed in rank order: a full sort was needed
  uint64_t ranked_indexed = 0;  // the whole vocabulary's mass needed the index-list path (ties, crossing)
  uint64_t nucleus = 0;      // the top-p cut: the ranked prefix sorted
  uint64_t draw = 0;         // draw(): the left-to-right scan
  uint64_t small_radix = 0;  // the whole vocabulary's small terms radix-sorted into rank order
  uint64_t approximate_mass = 0;  // sample(): q from a bounded mass could not decide the draw
};
FallbackCounts& fallback_counts();  // this thread's
}  // namespace sampling_detail

}  // namespace eaglerun
