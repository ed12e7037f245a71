#pragma once
// The best draft tree for a deployment and a positional acceptance model, in the style of Sequoia
// (Chen et al. 2024): a dynamic program gives, for every size n, the tree of n draft nodes (depth
// <= D, sibling ranks < K) of largest expected tokens per step; the simulated step time of each
// such tree then picks the size:
//   f(d, m)    = best sum of path probabilities below a node at depth d using m nodes
//   g(d, k, m) = best over children of rank >= k:
//                max( g(d, k+1, m),  max_{s=1..m} p[d][k] (1 + f(d+1, s-1)) + g(d, k+1, m-s) )
//   f(d, m)    = g(d, 0, m);  f(D, 0) = 0;  tau(n) = 1 + f(0, n)
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/acceptance.h"
#include "simulator/deployment.h"
#include "simulator/tree_shape.h"

namespace eaglerun::sim {

struct TreeSearchLimits {
  int32_t max_nodes = 64;  // draft nodes, the root excluded
  int32_t max_depth = 8;
  int32_t max_rank = 8;    // children per node
};

struct TreeCandidate {
  StaticTreeShape paths;
  double tau = 1;
  double eagle_step_s = 0, speedup = 0;
};

struct TreeSearchResult {
  std::vector<TreeCandidate> by_size;  // [n - 1]: the best tree of n draft nodes
  TreeCandidate best;                  // the one of largest speedup
  double plain_step_s = 0;
};

// For every n in 1..limits.max_nodes, the tree of n draft nodes with the largest tau (ties: the
// first found). Throws Error when the acceptance model is not positional.
std::vector<TreeCandidate> best_trees_by_size(const AcceptanceModel& acceptance, const TreeSearchLimits& limits);

TreeSearchResult search_tree(const Deployment& d, const AcceptanceModel& acceptance, const TreeSearchLimits& limits,
                             int64_t batch, int64_t context);

std::string format_search_result(const TreeSearchResult& r, bool json);
// [[0],[1],[0,0],...]: the format parse_tree_spec reads for --tree FILE.json.
void write_tree_json(const StaticTreeShape& tree, const std::string& path);

}  // namespace eaglerun::sim
