#pragma once
// --tree auto: picks the tree's size and depth at every step to maximise expected tokens per
// second on the machine it runs on, from
//   - the target's measured cost curve t(n): one forward over n tree tokens (CostCurve);
//   - the measured draft time per tree level, and the time of the head's advance over the tokens
//     a step accepts (one head forward over k + 1 rows: a cost per step, like the draft's);
//   - acceptance predicted by the draft's path probabilities, calibrated online against the
//     tokens actually accepted.
// Each step drafts a dynamic (EAGLE-2 style) tree of depth D, then keeps the N best nodes where N
// maximises E / (t_advance + t_draft + t(N + 1)), E = 1 + c * (sum of the N best path probabilities)
// the expected tokens of the step; c is the running ratio of accepted to predicted tokens. The
// head's per-step work makes steps that yield more tokens worth more. D follows the levels whose expected gain pays for their
// draft time; the width drafted per level (nodes expanded, children each) follows the nodes a level
// of the kept trees holds, so that a machine where only tiny trees pay drafts chains, not 8-wide
// levels it then throws away. Verification is one-hot per sibling, so the output stays lossless.
//
// The cost model reads minimum times and predicted acceptance; what a step really costs and yields
// differs (a machine's speed drifts, a wider draft costs more than its kept nodes). So each step also
// chooses, as a bandit over measured rates, between that dynamic tree and plain chains of 1..kChainArms
// drafts: each arm is tried kWarmupSteps steps in turn, then every kExploreEvery-th step tries the
// next arm in turn and the others take the arm with the best running rate (tokens emitted per second of
// the whole step: draft, verify, the head's advance). Auto is then at least as fast as the best of the
// chains up to the exploration's cost, and keeps the dynamic tree where large trees pay.
#include <array>
#include <cstdint>
#include <vector>

#include "core/eagle/draft_tree.h"
#include "core/eagle/tree_spec.h"
#include "core/model/model.h"
#include "core/runtime/target.h"

namespace eaglerun {

struct CostCurve {
  std::vector<int64_t> tokens;   // increasing
  std::vector<double> seconds;   // one forward of that many tokens
  double at(int64_t n) const;    // linear interpolation, linear extrapolation past the end

  // Times the target's forward of a tree step (greedy: each row's argmax) for a few sizes up to
  // max_tokens after a cached prefix of prefix_tokens (best of `repeats`), on the target as it is
  // placed: under a split this includes the communication. Well under a second for small models.
  static CostCurve measure(Target& target, int64_t max_tokens = 64, int64_t prefix_tokens = 64, int repeats = 2);
  static CostCurve measure(const Model& model, int64_t max_tokens = 64, int64_t prefix_tokens = 64, int repeats = 2);
};

class AutoTreePolicy {
 public:
  static constexpr int32_t kChainArms = 3;
  static constexpr int64_t kWarmupSteps = 8;
  static constexpr int64_t kExploreEvery = 16;

  AutoTreePolicy(CostCurve verify_cost, int32_t max_depth = kAutoMaxDepth, int32_t max_total = kAutoMaxTotal,
                 int32_t topk = kAutoMaxWidth);

  // The arm of the next step: a chain of that many drafts, or 0 for the dynamic tree below.
  int32_t choose_chain();
  const StaticTreeShape& chain_shape(int32_t chain) const { return chains_.at(static_cast<std::size_t>(chain)); }
  // That step as a whole: the tokens it emitted and its seconds (draft, verify, advance).
  void observe_step(int64_t tokens, double seconds);
  int32_t chain() const { return arm_; }  // the arm choose_chain() last picked
  // The running rate of an arm (tokens per second), 0 before it was tried; the steps it took.
  double arm_rate(int32_t chain) const;
  int64_t arm_steps(int32_t chain) const { return arms_.at(static_cast<std::size_t>(chain)).steps; }

  // The dynamic tree to draft this step (depth and width adapt; total = max_total).
  DynamicTreeShape draft_shape() const;
  // Keeps the best N nodes of a drafted tree; draft_seconds is what drafting it took; extra_nodes:
  // nodes verified beside them (tokens copied from the context), which move N along the cost curve.
  DraftTree choose(const DraftTree& drafted, double draft_seconds, int64_t extra_nodes = 0);
  // After verification of the tree `choose` returned (dynamic steps only).
  void observe(const DraftTree& verified, int64_t accepted_drafts);
  // The drafter's advance over the tokens the last step accepted took `seconds`.
  void observe_advance(double seconds);

  double calibration() const { return calibration_; }
  int32_t depth() const { return depth_; }
  int32_t width() const;

 private:
  CostCurve cost_;
  int32_t max_depth_, max_total_, topk_;
  int32_t depth_;
  double calibration_ = 1.0;          // accepted / predicted, running
  double seconds_per_level_ = 0.0;    // draft time per level, running
  double advance_seconds_ = 0.0;      // the drafter's advance per step, running
  std::vector<double> level_gain_;    // [depth]: expected accepted tokens contributed per level, running
  double tokens_per_second_ = 0.0;    // running estimate of the achieved rate
  double kept_nodes_ = 0.0;           // draft nodes choose() keeps, running
  struct Arm {
    double tokens = 0, seconds = 0;  // decaying sums
    int64_t steps = 0;
  };
  std::array<Arm, kChainArms + 1> arms_;  // [0]: the dynamic tree, [k]: chain:k
  std::array<StaticTreeShape, kChainArms + 1> chains_;  // [k]: chain:k's shape ([0] unused)
  int64_t steps_ = 0;
  int32_t arm_ = 0;                       // the arm of the step being taken
};

}  // namespace eaglerun
