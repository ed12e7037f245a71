#pragma once
// Greedy EAGLE with the oracle drafter (tests/support/oracle_drafter.h) against plain greedy
// decoding on one target: token identity on every prompt, and the acceptance the trees really
// produced, for the caller to assert that deep and non-first-branch acceptance was exercised.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/eagle/auto_tree.h"
#include "core/eagle/speculative.h"
#include "tests/support/acceptance_counts.h"
#include "tests/support/oracle_drafter.h"

namespace eaglerun::test {

// The tree spec of `tree`, with --tree auto's policy on `cost` when given, else measured on `target`.
inline TreeSpec oracle_tree_spec(const Model& target, const std::string& tree, const CostCurve* cost = nullptr) {
  TreeSpec spec = parse_tree_spec(tree);
  if (spec.kind == TreeSpec::Kind::Auto) {
    spec.policy = std::make_shared<AutoTreePolicy>(cost ? *cost : CostCurve::measure(target, 32, 16), kAutoMaxDepth,
                                                   kAutoMaxTotal);
  }
  return spec;
}

// plain[i]: plain greedy output of prompts[i] (new_tokens tokens). EXPECTs identity per prompt.
// auto_cost: a fixed cost curve for --tree auto (its tree sizes then do not follow the machine's load).
inline AcceptanceCounts expect_oracle_lossless(const Model& target, const std::vector<std::vector<int32_t>>& prompts,
                                               const std::vector<std::vector<int32_t>>& plain,
                                               const std::string& tree, int64_t new_tokens, uint64_t seed,
                                               const CostCurve* auto_cost = nullptr) {
  const TreeSpec spec = oracle_tree_spec(target, tree, auto_cost);
  AcceptanceCounts counts;
  SpeculativeOptions options;
  options.on_step = counts.observer();
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    OracleDrafter drafter(plain[i], target.config().vocab_size, OracleSchedule::for_tree(spec, seed + i), seed * 31 + i);
    Sampler s({});
    const SpeculativeResult r = generate_speculative(target, drafter, spec, s, {prompts[i], new_tokens, {}, {}}, options);
    EXPECT_EQ(r.generation.output_tokens, plain[i]) << "tree " << tree << ", prompt " << i;
  }
  std::cout << "[ oracle ] " << tree << ": " << counts.summary() << "\n";
  return counts;
}

// Every accepted length 0..depth occurred, and (for trees with siblings) paths through non-first
// siblings, with 2 or more drafts among them.
inline void expect_acceptance_exercised(const AcceptanceCounts& c, int64_t depth, bool has_siblings,
                                        const std::string& tree) {
  for (int64_t a = 0; a <= depth; ++a) {
    EXPECT_GT(c.accepted(static_cast<std::size_t>(a)), 0) << tree << ": no step accepted " << a << " drafts; "
                                                          << c.summary();
  }
  if (has_siblings) {
    EXPECT_GT(c.deep_non_first, 0) << tree << ": no step accepted 2+ drafts through a non-first sibling; "
                                   << c.summary();
  } else {
    EXPECT_EQ(c.non_first, 0) << tree << ": a chain has no siblings; " << c.summary();
  }
}

}  // namespace eaglerun::test
