#include "core/eagle/tree_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <span>

#include "core/kernels/ops.h"

namespace eaglerun {
namespace {

// One node of a static shape, in breadth-first order; shape node 0 is the root.
struct ShapeNode {
  int32_t parent;
  int32_t rank;
  bool has_children;
};

std::vector<ShapeNode> shape_nodes(const StaticTreeShape& shape) {
  std::vector<ShapeNode> nodes = {{-1, 0, false}};
  std::map<TreePath, int32_t> index = {{TreePath{}, 0}};
  for (const TreePath& p : shape.paths) {  // sorted: parents first
    const int32_t parent = index.at(TreePath(p.begin(), p.end() - 1));
    nodes[parent].has_children = true;
    index[p] = static_cast<int32_t>(nodes.size());
    nodes.push_back({parent, p.back(), false});
  }
  return nodes;
}

// Draws up to k distinct tokens from q [V] without replacement (q itself is left unchanged).
std::vector<int32_t> draw_without_replacement(std::vector<float> q, int64_t k, Sampler& sampler) {
  std::vector<int32_t> drawn;
  for (int64_t i = 0; i < k; ++i) {
    if (!left_to_right_sum_exceeds(q, 1e-12)) break;  // the mass left, summed left to right
    const int32_t t = sampler.draw(q);
    drawn.push_back(t);
    q[t] = 0.f;
  }
  return drawn;
}

// The candidate children of a node from its draft logits [V]; `vocabulary`: the draft's (empty = all).
std::vector<int32_t> candidates(DraftTree& tree, int32_t node, std::span<const float> logits,
                                std::span<const int32_t> vocabulary, int64_t k, Sampler& sampler) {
  const auto V = static_cast<int64_t>(logits.size());
  if (sampler.params().greedy()) return top_k_among(logits.data(), V, vocabulary, std::min(k, V));
  tree.child_distribution[node] = sampler.distribution(logits, vocabulary);  // empty vocabulary: all V
  return draw_without_replacement(tree.child_distribution[node], k, sampler);
}

}  // namespace

std::vector<int32_t> top_k_indices(const float* logits, int64_t n, int64_t k) {
  return top_k_among(logits, n, {}, k);
}

std::vector<int32_t> top_k_among(const float* logits, int64_t n, std::span<const int32_t> among, int64_t k) {
  std::vector<int32_t> idx(among.begin(), among.end());
  if (among.empty()) {
    idx.resize(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
  }
  k = std::min<int64_t>(k, static_cast<int64_t>(idx.size()));
  auto better = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), better);
  idx.resize(static_cast<std::size_t>(k));
  return idx;
}

DraftTree build_static_tree(Drafter& drafter, const StaticTreeShape& shape, int32_t root, Sampler& sampler) {
  const std::vector<ShapeNode> nodes = shape_nodes(shape);
  const int64_t V = drafter.vocab_size(), k = shape.max_rank() + 1;
  DraftTree tree(root);
  std::vector<int32_t> tree_index(nodes.size(), -1);       // shape node -> tree node (-1: not drafted)
  std::vector<int32_t> drafter_id(nodes.size(), -1);       // shape node -> drafter node id
  std::vector<std::vector<int32_t>> cands(nodes.size());  // shape node -> candidate tokens
  tree_index[0] = 0;
  const std::span<const int32_t> vocabulary = drafter.draft_vocabulary();
  cands[0] = candidates(tree, 0, drafter.root_logits(), vocabulary, k, sampler);
  int32_t next_drafter_id = 0;
  for (std::size_t first = 1; first < nodes.size();) {
    // One level: shape nodes [first, last) share a depth.
    const int32_t level_depth = tree.depth[tree_index[nodes[first].parent]] + 1;
    std::size_t last = first;
    std::vector<DraftNode> to_expand;
    std::vector<std::size_t> expanded;
    for (; last < nodes.size() && tree_index[nodes[last].parent] >= 0 &&
           tree.depth[tree_index[nodes[last].parent]] + 1 == level_depth;
         ++last) {
      const ShapeNode& s = nodes[last];
      const auto& parent_cands = cands[s.parent];
      if (s.rank >= static_cast<int32_t>(parent_cands.size())) continue;  // the draft had fewer candidates
      tree_index[last] = tree.add(tree_index[s.parent], parent_cands[s.rank]);
      if (!s.has_children) continue;
      to_expand.push_back({parent_cands[s.rank], drafter_id[s.parent], level_depth});
      drafter_id[last] = next_drafter_id++;
      expanded.push_back(last);
    }
    // Skip shape nodes whose parent was not drafted (their whole subtree is absent).
    while (last < nodes.size() && tree_index[nodes[last].parent] < 0) ++last;
    if (!to_expand.empty()) {
      const std::vector<float> logits = drafter.expand(to_expand);
      for (std::size_t i = 0; i < expanded.size(); ++i) {
        cands[expanded[i]] =
            candidates(tree, tree_index[expanded[i]], std::span(logits).subspan(i * V, V), vocabulary, k, sampler);
      }
    }
    first = last;
  }
  return tree;
}

namespace {

struct Candidate {
  int32_t token;
  int32_t parent;   // candidate index, -1 = root
  int32_t depth;
  double value;     // sum of draft log-probabilities along the path
  int32_t drafter_id = -1;
};

// log-softmax of logits [V] at the given tokens; the sum runs over `vocabulary` (empty = all V),
// outside which the logits are -inf.
std::vector<double> log_probs(std::span<const float> logits, std::span<const int32_t> vocabulary,
                              const std::vector<int32_t>& tokens) {
  float mx = -std::numeric_limits<float>::infinity();
  double sum = 0;
  if (vocabulary.empty()) {
    mx = *std::max_element(logits.begin(), logits.end());
    for (float v : logits) sum += std::exp(static_cast<double>(v - mx));
  } else {
    for (int32_t t : vocabulary) mx = std::max(mx, logits[t]);
    for (int32_t t : vocabulary) sum += std::exp(static_cast<double>(logits[t] - mx));
  }
  std::vector<double> lp;
  for (int32_t t : tokens) lp.push_back(static_cast<double>(logits[t] - mx) - std::log(sum));
  return lp;
}

// Adds the top-k children of one node (candidate `parent`, -1 = root) to the pool.
void add_children(std::vector<Candidate>& pool, std::span<const float> logits, std::span<const int32_t> vocabulary,
                  int32_t parent, int32_t depth, double parent_value, int64_t k) {
  const std::vector<int32_t> top = top_k_among(logits.data(), static_cast<int64_t>(logits.size()), vocabulary, k);
  const std::vector<double> lp = log_probs(logits, vocabulary, top);
  for (std::size_t i = 0; i < top.size(); ++i) pool.push_back({top[i], parent, depth, parent_value + lp[i]});
}

}  // namespace

DraftTree build_dynamic_tree(Drafter& drafter, const DynamicTreeShape& shape, int32_t root) {
  const int64_t V = drafter.vocab_size(), k = std::min<int64_t>(shape.topk, V);
  std::vector<Candidate> pool;
  const std::span<const int32_t> vocabulary = drafter.draft_vocabulary();
  add_children(pool, drafter.root_logits(), vocabulary, -1, 1, 0.0, k);
  std::vector<int32_t> level(pool.size());
  std::iota(level.begin(), level.end(), 0);
  int32_t next_drafter_id = 0;
  for (int32_t d = 1; d < shape.depth; ++d) {
    // Expand the best k nodes of this level.
    std::sort(level.begin(), level.end(), [&](int32_t a, int32_t b) { return pool[a].value > pool[b].value; });
    level.resize(std::min<std::size_t>(level.size(), static_cast<std::size_t>(k)));
    std::vector<DraftNode> to_expand;
    for (int32_t c : level) {
      const int32_t parent_id = pool[c].parent < 0 ? -1 : pool[pool[c].parent].drafter_id;
      to_expand.push_back({pool[c].token, parent_id, d});
      pool[c].drafter_id = next_drafter_id++;
    }
    const std::vector<float> logits = drafter.expand(to_expand);
    std::vector<int32_t> next_level;
    for (std::size_t i = 0; i < level.size(); ++i) {
      const auto first_child = static_cast<int32_t>(pool.size());
      add_children(pool, std::span(logits).subspan(i * V, V), vocabulary, level[i], d + 1, pool[level[i]].value, k);
      for (auto c = first_child; c < static_cast<int32_t>(pool.size()); ++c) next_level.push_back(c);
    }
    level = std::move(next_level);
  }
  // Keep the best `total` candidates; parents before children on equal values keeps the tree connected.
  std::vector<int32_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pool[a].value != pool[b].value ? pool[a].value > pool[b].value : pool[a].depth < pool[b].depth;
  });
  order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(shape.total)));
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return pool[a].depth < pool[b].depth; });
  DraftTree tree(root);
  std::vector<int32_t> tree_index(pool.size(), -1);
  for (int32_t c : order) {
    const int32_t parent = pool[c].parent < 0 ? 0 : tree_index[pool[c].parent];
    if (parent < 0) continue;  // parent not kept: only possible with NaN values
    tree_index[c] = tree.add(parent, pool[c].token, pool[c].value);
  }
  return tree;
}

}  // namespace eaglerun
