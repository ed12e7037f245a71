#include "core/eagle/tree_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <queue>
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
  double value;     // sum of draft log-probabilities of the path's tokens
  double prior;     // sampling: what the final selection reads (see select_sampled)
  int32_t drafter_id = -1;
  int32_t first_child = -1, children = 0;  // pool range of its candidate children, once expanded
  int32_t distribution = -1;               // sampling: its children's draft distribution, once expanded
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

// The dynamic tree's candidates and, when sampling, the draft distributions their children were
// drawn from.
struct Pool {
  std::vector<Candidate> nodes;
  std::vector<std::vector<float>> distributions;
  std::vector<float> root_distribution;
};

// Adds the children of one node (candidate `parent`, -1 = root) to the pool. Greedy: its top-k draft
// tokens. Sampling: k distinct draws from its draft distribution q, in draw order, q kept for
// verification; child i's prior is the parent's value plus the log of q's i-th largest probability
// (at the draft's i-th top token), which depends on q alone, not on what was drawn.
void add_children(Pool& pool, std::span<const float> logits, std::span<const int32_t> vocabulary, int32_t parent,
                  int32_t depth, double parent_value, int64_t k, Sampler& sampler) {
  const auto V = static_cast<int64_t>(logits.size());
  const std::vector<int32_t> top = top_k_among(logits.data(), V, vocabulary, k);
  std::vector<int32_t> chosen = top;
  std::vector<double> lp, prior_lp;  // per chosen child: log q of its token; log q of the i-th top token
  if (sampler.params().greedy()) {
    lp = log_probs(logits, vocabulary, top);
    prior_lp = lp;
  } else {
    std::vector<float> q = sampler.distribution(logits, vocabulary);  // empty vocabulary: all V
    chosen = draw_without_replacement(q, k, sampler);
    for (int32_t t : chosen) lp.push_back(std::log(static_cast<double>(q[t])));
    for (int32_t t : top) prior_lp.push_back(std::log(static_cast<double>(q[t])));
    if (parent < 0) {
      pool.root_distribution = std::move(q);
    } else {
      pool.nodes[parent].distribution = static_cast<int32_t>(pool.distributions.size());
      pool.distributions.push_back(std::move(q));
    }
  }
  if (parent >= 0) {
    pool.nodes[parent].first_child = static_cast<int32_t>(pool.nodes.size());
    pool.nodes[parent].children = static_cast<int32_t>(chosen.size());
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    pool.nodes.push_back({chosen[i], parent, depth, parent_value + lp[i], parent_value + prior_lp[i]});
  }
}

// Greedy: the best `total` candidates by value (parents before children on equal values keeps the
// tree connected), in depth order.
std::vector<int32_t> select_best(const std::vector<Candidate>& pool, int64_t total) {
  std::vector<int32_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pool[a].value != pool[b].value ? pool[a].value > pool[b].value : pool[a].depth < pool[b].depth;
  });
  order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(total)));
  return order;
}

// Sampling: best first by prior, a candidate eligible once its parent is kept, ties in the order the
// candidates were added (so a node's children in draw order). A candidate's prior depends on its
// parent's path and its draw rank, never on its own token or on a later sibling's, and a later
// sibling never ranks before it: the kept children of every node are the first draws from its q,
// each kept or not before anything about it is known, which is what exact verification of drawn
// children assumes (verifier.h). Choosing by a child's own drawn token would bias the proposals.
std::vector<int32_t> select_sampled(const std::vector<Candidate>& pool, int32_t root_children, int64_t total,
                                    SampledKeepRule keep) {
  using Entry = std::pair<double, int32_t>;  // (prior, -index)
  const auto key = [&](int32_t c) { return keep == SampledKeepRule::Prior ? pool[c].prior : pool[c].value; };
  std::priority_queue<Entry> eligible;
  for (int32_t c = 0; c < root_children; ++c) eligible.push({key(c), -c});
  std::vector<int32_t> kept;
  while (!eligible.empty() && static_cast<int64_t>(kept.size()) < total) {
    const int32_t c = -eligible.top().second;
    eligible.pop();
    kept.push_back(c);
    for (int32_t i = 0; i < pool[c].children; ++i) {
      eligible.push({key(pool[c].first_child + i), -(pool[c].first_child + i)});
    }
  }
  return kept;
}

}  // namespace

DraftTree build_dynamic_tree(Drafter& drafter, const DynamicTreeShape& shape, int32_t root, Sampler& sampler,
                             SampledKeepRule keep) {
  const int64_t V = drafter.vocab_size(), k = std::min<int64_t>(shape.topk, V);
  Pool pool;
  const std::span<const int32_t> vocabulary = drafter.draft_vocabulary();
  add_children(pool, drafter.root_logits(), vocabulary, -1, 1, 0.0, k, sampler);
  const auto root_children = static_cast<int32_t>(pool.nodes.size());
  std::vector<int32_t> level(pool.nodes.size());
  std::iota(level.begin(), level.end(), 0);
  int32_t next_drafter_id = 0;
  for (int32_t d = 1; d < shape.depth; ++d) {
    // Expand the best k nodes of this level.
    std::sort(level.begin(), level.end(),
              [&](int32_t a, int32_t b) { return pool.nodes[a].value > pool.nodes[b].value; });
    level.resize(std::min<std::size_t>(level.size(), static_cast<std::size_t>(k)));
    std::vector<DraftNode> to_expand;
    for (int32_t c : level) {
      Candidate& n = pool.nodes[c];
      const int32_t parent_id = n.parent < 0 ? -1 : pool.nodes[n.parent].drafter_id;
      to_expand.push_back({n.token, parent_id, d});
      n.drafter_id = next_drafter_id++;
    }
    const std::vector<float> logits = drafter.expand(to_expand);
    std::vector<int32_t> next_level;
    for (std::size_t i = 0; i < level.size(); ++i) {
      const auto first_child = static_cast<int32_t>(pool.nodes.size());
      add_children(pool, std::span(logits).subspan(i * V, V), vocabulary, level[i], d + 1,
                   pool.nodes[level[i]].value, k, sampler);
      for (auto c = first_child; c < static_cast<int32_t>(pool.nodes.size()); ++c) next_level.push_back(c);
    }
    level = std::move(next_level);
  }
  const bool greedy = sampler.params().greedy();
  std::vector<int32_t> order =
      greedy ? select_best(pool.nodes, shape.total) : select_sampled(pool.nodes, root_children, shape.total, keep);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return pool.nodes[a].depth < pool.nodes[b].depth; });
  DraftTree tree(root);
  if (!greedy) tree.child_distribution[0] = std::move(pool.root_distribution);
  std::vector<int32_t> tree_index(pool.nodes.size(), -1);
  for (int32_t c : order) {
    const Candidate& n = pool.nodes[c];
    const int32_t parent = n.parent < 0 ? 0 : tree_index[n.parent];
    if (parent < 0) continue;  // parent not kept: only possible with NaN values
    tree_index[c] = tree.add(parent, n.token, greedy ? n.value : n.prior);
    if (n.distribution >= 0) tree.child_distribution[tree_index[c]] = std::move(pool.distributions[n.distribution]);
  }
  return tree;
}

}  // namespace eaglerun
