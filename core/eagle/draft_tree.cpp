#include "core/eagle/draft_tree.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace eaglerun {

DraftTree::DraftTree(int32_t root_token)
    : tokens{root_token}, parent{-1}, depth{0}, value{0.0}, child_distribution(1) {}

int32_t DraftTree::add(int32_t parent_node, int32_t token, double path_value) {
  require(parent_node >= 0 && parent_node < size(), "DraftTree::add: parent out of range");
  const int32_t d = depth[parent_node] + 1;
  require(d >= depth.back(), "DraftTree::add: nodes must be added in breadth-first order");
  tokens.push_back(token);
  parent.push_back(parent_node);
  depth.push_back(d);
  value.push_back(path_value);
  child_distribution.emplace_back();
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
