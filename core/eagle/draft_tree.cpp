#include "core/eagle/draft_tree.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace eaglerun {

DraftTree::DraftTree(int32_t root_token)
    : tokens{root_token}, parent{-1}, depth{0}, value{0.0}, child_distribution(1), from_lookup{false} {}

int32_t DraftTree::add(int32_t parent_node, int32_t token, double path_value) {
  require(parent_node >= 0 && parent_node < size(), "DraftTree::add: parent out of range");
  const int32_t d = depth[parent_node] + 1;
  require(d >= depth.back(), "DraftTree::add: nodes must be added in breadth-first order");
  tokens.push_back(token);
  parent.push_back(parent_node);
  depth.push_back(d);
  value.push_back(path_value);
  child_distribution.emplace_back();
  from_lookup.push_back(false);
  return size() - 1;
}

int32_t DraftTree::max_depth() const { return depth.back(); }

std::vector<std::vector<int32_t>> DraftTree::children() const {
  std::vector<std::vector<int32_t>> c(tokens.size());
  for (int32_t i = 1; i < size(); ++i) c[parent[i]].push_back(i);
  return c;
}

std::vector<int32_t> DraftTree::path_to(int32_t node) const {
  std::vector<int32_t> path;
  for (int32_t n = node; n >= 0; n = parent[n]) path.push_back(n);
  std::reverse(path.begin(), path.end());
  return path;
}

Step DraftTree::verification_step(bool full_logits) const {
  Step s;
  s.tokens = tokens;
  s.parents = parent;
  s.rows = LogitRows::All;
  s.full_logits = full_logits;
  return s;
}

DraftTree DraftTree::with_path(std::span<const int32_t> path_tokens) const {
  // Follow the existing nodes while they carry the path's tokens.
  const auto kids = children();
  int32_t node = 0;
  std::size_t i = 0;
  for (; i < path_tokens.size(); ++i) {
    const auto& c = kids[node];
    const auto it = std::find_if(c.begin(), c.end(), [&](int32_t k) { return tokens[k] == path_tokens[i]; });
    if (it == c.end()) break;
    node = *it;
  }
  if (i == path_tokens.size()) return *this;
  // One pass in breadth-first order: the new node of depth d goes after the existing nodes of depth d.
  DraftTree out(tokens[0]);
  out.child_distribution[0] = child_distribution[0];
  std::vector<int32_t> index(tokens.size(), -1);
  index[0] = 0;
  int32_t last_new = -1;  // in `out`: the last new node added, -1 before the first
  // Adds the path's next new nodes while their depth is below `limit_depth`.
  auto add_new_nodes_above = [&](int32_t limit_depth) {
    while (i < path_tokens.size()) {
      const int32_t new_depth = (last_new < 0 ? depth[node] : out.depth[last_new]) + 1;
      if (new_depth >= limit_depth) return;  // (so `node`, shallower still, is already in `out`)
      last_new = out.add(last_new < 0 ? index[node] : last_new, path_tokens[i++], -std::numeric_limits<double>::infinity());
      out.from_lookup[last_new] = true;
    }
  };
  for (int32_t n = 1; n < size(); ++n) {
    add_new_nodes_above(depth[n]);
    index[n] = out.add(index[parent[n]], tokens[n], value[n]);
    out.child_distribution[index[n]] = child_distribution[n];
    out.from_lookup[index[n]] = from_lookup[n];
  }
  add_new_nodes_above(std::numeric_limits<int32_t>::max());
  return out;
}

int32_t DraftTree::accepted_along(std::span<const int32_t> path_tokens, const std::vector<int32_t>& path) const {
  int32_t n = 0;
  while (static_cast<std::size_t>(n) < path_tokens.size() && static_cast<std::size_t>(n) + 1 < path.size() &&
         tokens[path[static_cast<std::size_t>(n) + 1]] == path_tokens[static_cast<std::size_t>(n)]) {
    ++n;
  }
  return n;
}

DraftTree DraftTree::keep_best(int64_t n) const {
  std::vector<int32_t> order(tokens.size() - 1);
  std::iota(order.begin(), order.end(), 1);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return value[a] != value[b] ? value[a] > value[b] : depth[a] < depth[b];
  });
  order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max<int64_t>(n, 0))));
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return depth[a] < depth[b]; });
  DraftTree kept(tokens[0]);
  std::vector<int32_t> index(tokens.size(), -1);
  index[0] = 0;
  for (int32_t node : order) {
    if (index[parent[node]] < 0) continue;  // parent dropped (only with NaN values)
    // Pruned children are verified one-hot (lossless for any choice of children); a distribution
    // they were drawn from no longer describes the kept subset.
    index[node] = kept.add(index[parent[node]], tokens[node], value[node]);
  }
  return kept;
}

}  // namespace eaglerun
