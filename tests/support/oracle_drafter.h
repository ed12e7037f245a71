#pragma once
// A drafter for lossless tests whose accepted paths are known by construction (the dummy EAGLE
// network idea). It is given the target's plain greedy continuation and, each step, a plan drawn
// from a seeded schedule: the sibling rank at which the right next token sits at depths 1..a, and
// a miss at depth a+1 (the right token is then nowhere among that node's candidates). Every
// other candidate is a plausible wrong token: a token of the continuation from elsewhere (so that
// a verifier matching the wrong depth would accept it) or a random one.
//
// Logits it returns for a node's children [V]:
//   on the right path, before the miss: the right token at rank r; ranks 0..r share one high
//     logit level (the right token's draft probability ~1/(r+1)), lower ranks a second level,
//     every other token far below;
//   on the right path at the miss: wrong tokens only, the same two levels;
//   off the right path: nearly flat over the whole vocabulary (each child's log-probability is
//     ~ -log V), so dynamic (EAGLE-2) trees, which expand and keep the best cumulative values,
//     keep the right path's nodes over everything below a wrong node.
// Static trees then hold exactly the planned path; dynamic trees do when `total` leaves room for
// the nodes ranked above the right ones. Tests count what was really accepted (AcceptanceCounts),
// never what was planned.
#include <cstdint>
#include <random>
#include <vector>

#include "core/eagle/drafter.h"
#include "core/eagle/tree_spec.h"

namespace eaglerun::test {

// Each step's plan: ranks [a] of the right tokens at depths 1..a; depth a+1 misses.
class OracleSchedule {
 public:
  // Rank paths this tree can hold: a static shape's own paths, or for dynamic / auto trees every
  // rank sequence with ranks < min(topk, max_rank + 1) up to the tree's depth.
  static OracleSchedule for_tree(const TreeSpec& spec, uint64_t seed, int32_t max_rank = 3);
  // The accepted lengths 0..depth come in shuffled rounds (each length once per depth + 1 steps);
  // the path of that length is drawn uniformly.
  std::vector<int32_t> next();
  int32_t depth() const { return static_cast<int32_t>(by_length_.size()) - 1; }
  // Candidates per node the paths need (largest rank + 1).
  int32_t width() const { return width_; }

 private:
  std::vector<std::vector<std::vector<int32_t>>> by_length_;  // [a] -> paths of length a
  int32_t width_ = 1;
  std::vector<std::size_t> round_;  // lengths still to come in this round
  std::mt19937_64 rng_;
};

class OracleDrafter final : public Drafter {
 public:
  // continuation: the target's plain greedy output tokens (continuation[0] is the prefill's).
  OracleDrafter(std::vector<int32_t> continuation, int64_t vocab, OracleSchedule schedule, uint64_t seed);

  void begin(std::span<const int32_t> prompt, const float* features, int32_t root) override;
  void advance(const float* features, std::span<const int32_t> next_tokens) override;
  const std::vector<float>& root_logits() const override { return root_logits_; }
  std::vector<float> expand(std::span<const DraftNode> nodes) override;
  void discard_tree() override { on_path_depth_.clear(); }
  int64_t vocab_size() const override { return vocab_; }

  int64_t planned_steps() const { return planned_steps_; }

 private:
  void plan_step();
  // The right token `ahead` positions after the root, or -1 past the continuation's end.
  int32_t right_token(int32_t ahead) const;
  // Logits [V] for the children of a node at `depth` (0 = root), on the right path or not.
  std::vector<float> child_logits(bool on_path, int32_t depth, uint64_t node_key);

  std::vector<int32_t> continuation_;
  int64_t vocab_;
  OracleSchedule schedule_;
  uint64_t seed_;
  int64_t root_index_ = 0;             // index of this step's root in continuation_
  std::vector<int32_t> plan_;          // this step's ranks
  std::vector<int32_t> on_path_depth_; // drafter node id -> its depth if on the right path, else -1
  std::vector<float> root_logits_;     // [V]
  int64_t planned_steps_ = 0;
};

}  // namespace eaglerun::test
