#pragma once
// The speculative decoding loop: draft a tree, verify it in one target forward, accept, commit.
// Output equals plain decoding (greedy: token for token; sampling: in distribution). One loop for
// every placement of the target (core/runtime/target.h); the drafter runs in this process.
#include <cstdint>
#include <functional>
#include <vector>

#include "core/eagle/drafter.h"
#include "core/eagle/tree_builder.h"
#include "core/eagle/tree_spec.h"
#include "core/eagle/verifier.h"
#include "core/runtime/generator.h"

namespace eaglerun {

// Per-request statistics of the speculative steps.
struct SpeculativeStats {
  int64_t steps = 0;                      // draft + verify rounds
  int64_t tree_tokens = 0;                // tree nodes verified in all steps (root included)
  std::vector<int64_t> accepted_per_step; // accepted draft tokens of each step (bonus excluded)
  std::vector<int64_t> depth_tries;       // [d]: steps where a draft token at depth d+1 could be tried
  std::vector<int64_t> depth_accepts;     // [d]: ... and one was accepted
  int64_t lookup_verified = 0;            // tokens copied from the context into trees (tree+lookup:K)
  int64_t lookup_accepted = 0;            // accepted tokens that only the copy proposed (not the drafter)
  double draft_seconds = 0;               // building trees (drafter forwards)
  double verify_seconds = 0;              // the target's tree forward and acceptance

  // Mean tokens per step, counting the bonus token (the paper's tau).
  double tau() const;
  // n-alpha: acceptance rate of the (n+1)-th draft token given the first n were accepted.
  std::vector<double> accepted_by_depth() const;
  void record(int64_t accepted, int64_t tree_depth);
  void merge(const SpeculativeStats& other);
};

struct SpeculativeResult {
  GenerationResult generation;
  SpeculativeStats stats;
};

// One speculative step as the loop saw it: the tree the target verified, what it accepted, and
// the step's times. Recorders (experiments/) and tests read it.
struct StepRecord {
  const DraftTree& tree;
  const Acceptance& acceptance;
  double draft_seconds;   // the drafter's advance after the previous step + building this tree
  double verify_seconds;  // the target's forward over the tree, acceptance, keeping the path
};

// What a caller may attach to the loop; neither changes which tokens a correct loop emits.
struct SpeculativeOptions {
  // Called after every verification (tests count accepted depths and sibling ranks from it; the
  // experiment recorder stores it). May be empty.
  std::function<void(const StepRecord& step)> on_step;
  // The sampling rule per tree node (see verifier.h); tests swap in wrong rules.
  ChildAcceptRule accept_rule = accept_among_children;
  // How a sampled dynamic tree keeps its nodes (see tree_builder.h); tests swap in the biased rule.
  SampledKeepRule sampled_keep = SampledKeepRule::Prior;
};

// Throws Error when the prompt plus max_new_tokens plus the tree's depth exceed the context.
SpeculativeResult generate_speculative(Target& target, Drafter& drafter, const TreeSpec& tree, Sampler& sampler,
                                       const GenerationRequest& request, const SpeculativeOptions& options = {});
// The same on a model in this process (a LocalTarget).
SpeculativeResult generate_speculative(const Model& target, Drafter& drafter, const TreeSpec& tree, Sampler& sampler,
                                       const GenerationRequest& request, const SpeculativeOptions& options = {});

}  // namespace eaglerun
