#include "simulator/tree_shape.h"

#include <set>

#include "core/error.h"

namespace eaglerun::sim {

TreeShape tree_shape(const StaticTreeShape& paths, const std::string& name) {
  TreeShape t;
  t.name = name;
  t.depth = paths.depth();
  t.verify_nodes = static_cast<int64_t>(paths.paths.size()) + 1;
  std::vector<std::set<TreePath>> parents(static_cast<std::size_t>(t.depth) + 1);
  for (const TreePath& p : paths.paths) {
    if (p.size() >= 2) parents[p.size() - 1].insert(TreePath(p.begin(), p.end() - 1));
  }
  for (int32_t level = 1; level < t.depth; ++level)
    t.expansion_rows.push_back(static_cast<int64_t>(parents[static_cast<std::size_t>(level)].size()));
  t.paths = paths;
  return t;
}

TreeShape tree_shape(const TreeSpec& spec) {
  require(spec.lookup == 0, "--tree " + spec.name + ": the simulator has no model of copies from the context "
                            "(+lookup:K); simulate the drafted tree alone");
  switch (spec.kind) {
    case TreeSpec::Kind::Static: return tree_shape(spec.shape, spec.name);
    case TreeSpec::Kind::Dynamic: {
      TreeShape t;
      t.name = spec.name;
      t.depth = spec.dynamic.depth;
      t.verify_nodes = spec.dynamic.total + 1;
      t.expansion_rows.assign(static_cast<std::size_t>(t.depth > 0 ? t.depth - 1 : 0), spec.dynamic.topk);
      return t;
    }
    case TreeSpec::Kind::Auto: break;
  }
  throw Error("--tree auto chooses its tree at run time from measured costs; simulate a fixed tree "
              "(eagle1, chain:K, dynamic:..., a .json file) or find one with --search-tree");
}

}  // namespace eaglerun::sim
