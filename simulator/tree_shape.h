#pragma once
// What a draft tree costs and where its nodes sit: the rows each draft pass runs and the nodes one
// verification forward checks, from the same specs as --tree (core/eagle/tree_spec.h).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/eagle/tree_spec.h"

namespace eaglerun::sim {

struct TreeShape {
  std::string name;
  int32_t depth = 0;                 // deepest draft token; also the number of draft passes
  int64_t verify_nodes = 1;          // tree nodes verified per step, the root included
  // Rows of draft passes 1..depth-1 (pass 0 runs the tokens accepted in the previous step): the
  // nodes of level i that get children.
  std::vector<int64_t> expansion_rows;
  std::optional<StaticTreeShape> paths;  // static trees: the paths, for positional acceptance
};

// Throws Error for `auto` (its tree is chosen at run time from measured costs).
TreeShape tree_shape(const TreeSpec& spec);
TreeShape tree_shape(const StaticTreeShape& paths, const std::string& name);

}  // namespace eaglerun::sim
