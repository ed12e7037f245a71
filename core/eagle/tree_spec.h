#pragma once
// Which draft tree to build, as the --tree flag names it:
//   eagle1                          the EAGLE-1 static tree (25 draft nodes, depth 5)
//   chain:K                         one chain of K draft tokens
//   dynamic:total=N,depth=D,topk=K  EAGLE-2: expand the best K nodes per level, keep the best N overall
//   auto                            total and depth chosen from measured costs and acceptance
//   FILE.json                       a JSON list of paths, e.g. [[0],[1],[0,0]]
//   any of these +lookup:K          plus up to K tokens copied from the context each step, as one more
//                                   branch (core/eagle/context_lookup.h), e.g. chain:2+lookup:8
// A static tree is a list of paths of child ranks: [0,1] is the second most likely child of the
// most likely child of the root. Every prefix of a path is itself a path.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace eaglerun {

using TreePath = std::vector<int32_t>;

struct StaticTreeShape {
  std::vector<TreePath> paths;  // sorted by length then lexicographically (parents before children)
  int32_t depth() const;
  int32_t max_rank() const;     // largest child rank used (+1 = candidates needed per expansion)
};

struct DynamicTreeShape {
  int32_t total = 59;  // draft nodes verified (the root excluded)
  int32_t depth = 5;   // levels expanded
  int32_t topk = 10;   // nodes expanded per level, children per node
};

class AutoTreePolicy;
class LookupLength;

// Bounds of the trees --tree auto may build.
inline constexpr int32_t kAutoMaxDepth = 7;
inline constexpr int32_t kAutoMaxTotal = 63;
inline constexpr int32_t kAutoMaxWidth = 8;  // nodes expanded per level, children per node

struct TreeSpec {
  enum class Kind { Static, Dynamic, Auto } kind = Kind::Static;
  std::string name;          // as given, for reports
  StaticTreeShape shape;     // Kind::Static
  DynamicTreeShape dynamic;  // Kind::Dynamic
  std::shared_ptr<AutoTreePolicy> policy;  // Kind::Auto: set up with the machine's cost curve
  int32_t lookup = 0;                          // most tokens copied from the context per step (0: none)
  std::shared_ptr<LookupLength> lookup_length;  // with lookup: how many of them to verify, learnt as it runs

  int32_t max_depth() const;  // deepest draft token, copied ones included
  int64_t max_nodes() const;  // tree nodes verified per step, the root and copied tokens included
  // Rows a drafter runs while drafting one tree, past its committed context: each expanded node
  // once. A dynamic tree expands up to topk nodes at each of its depth - 1 levels, more than the
  // total it keeps when (depth - 1) topk > total.
  int64_t max_draft_rows() const;
};

// The EAGLE-1 tree (mc_sim_7b_63 of the reference code).
StaticTreeShape eagle1_tree();
StaticTreeShape chain_tree(int32_t k);
// Validates: non-empty, ranks >= 0, depth <= 64, no duplicates, every proper prefix present.
StaticTreeShape make_static_tree(std::vector<TreePath> paths, const std::string& source);

// Throws Error with the accepted forms for anything it cannot parse.
TreeSpec parse_tree_spec(const std::string& spec);

}  // namespace eaglerun
