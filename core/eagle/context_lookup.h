#pragma once
// Drafts copied from the context (prompt lookup decoding): the tokens that followed the latest
// earlier occurrence of the context's longest suffix (up to kMaxMatch tokens). Answers quote their
// prompt and repeat themselves (a small model's greedy answers loop), and there a copy is often right
// for many tokens at once, where a draft head's acceptance decays with depth. The speculative loop
// adds the copy to the head's tree as one more branch (`--tree chain:2+lookup:8`); verification
// treats it as any other draft (greedy: the target's argmax; sampling: a one-hot draft), so the
// output stays exactly the target's.
//
// LookupLength decides how much of a copy is worth verifying: it keeps, per match length, the
// running rate at which the k-th copied token was accepted after the k - 1 before it, and verifies
// the first k tokens while their estimated chance of all being accepted stays at or above a minimum:
// kMinChance, or with `cost_aware` (--tree auto+lookup:K, which adapts to the machine anyway) the
// chance at which a copied token pays for the tree row it adds: chance x (seconds per emitted token)
// >= (seconds per verified row), both measured as the loop runs (a running least-squares fit of
// verify time on tree size; kMinChance until kMinSteps steps of at least two sizes). Without it the
// trees depend only on the tokens, so a seeded run repeats itself exactly (sampling included).
#include <array>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace eaglerun {

class ContextLookup {
 public:
  static constexpr int32_t kMaxMatch = 6;  // longest suffix matched

  struct Match {
    int32_t length = 0;                 // tokens of the suffix matched (0: none)
    std::vector<int32_t> continuation;  // what followed the match, up to max_tokens
  };

  // Starts over with `context` (a prompt and anything already emitted).
  void reset(std::span<const int32_t> context);
  void append(int32_t token);
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }

  // The longest suffix of the context (kMaxMatch tokens at most) that occurred earlier with a token
  // after it, at its latest such occurrence, and up to max_tokens of what followed it there.
  Match find(int32_t max_tokens) const;

 private:
  // [L - 1]: hash of an L-token run -> the index of its last token at its latest occurrence that a
  // token follows.
  std::array<std::unordered_map<uint64_t, int32_t>, kMaxMatch> latest_end_;
  std::vector<int32_t> tokens_;
};

class LookupLength {
 public:
  static constexpr double kMinChance = 0.1;
  static constexpr int64_t kMinSteps = 50;

  explicit LookupLength(int32_t max_tokens, bool cost_aware = false);
  // How many of a match's first tokens to verify (at most available).
  int32_t choose(int32_t match_length, int32_t available) const;
  // After verification: of `verified` copied tokens, the first `accepted` were accepted.
  void observe(int32_t match_length, int32_t verified, int32_t accepted);
  // A whole step: its tree's nodes and verify seconds, the tokens it emitted and its seconds.
  void observe_step(int64_t nodes, double verify_seconds, int64_t tokens, double step_seconds);
  // The chance a copied token must have of being accepted to be verified.
  double min_chance() const;

 private:
  struct Rate {
    double tries = 0, accepts = 0;
    double value() const { return (accepts + 1.0) / (tries + 2.0); }  // Laplace's rule: 0.5 untried
  };
  int32_t max_tokens_;
  bool cost_aware_;
  std::vector<std::vector<Rate>> rates_;  // [match length - 1][k - 1]: P(k-th accepted | k - 1 were)
  // Decaying sums over steps: for the fit t = a + b n of verify seconds t on tree nodes n, and the
  // emitted tokens and seconds of whole steps.
  double w_ = 0, n_ = 0, t_ = 0, nn_ = 0, nt_ = 0, tokens_ = 0, seconds_ = 0;
  int64_t steps_ = 0;
};

}  // namespace eaglerun
