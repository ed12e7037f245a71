// The tree search's dynamic program against brute force over every tree of a few nodes.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "simulator/tree_search.h"
#include "tests/simulator/simulator_test_support.h"

namespace eaglerun::sim {
namespace {

// Every candidate path of depth <= max_depth with ranks < max_rank, parents before children.
std::vector<TreePath> candidate_paths(int32_t max_depth, int32_t max_rank) {
  std::vector<TreePath> out, level{{}};
  for (int32_t d = 0; d < max_depth; ++d) {
    std::vector<TreePath> next;
    for (const TreePath& p : level)
      for (int32_t k = 0; k < max_rank; ++k) {
        TreePath c = p;
        c.push_back(k);
        next.push_back(c);
      }
    out.insert(out.end(), next.begin(), next.end());
    level = next;
  }
  return out;
}

// The largest tau over all prefix-closed sets of exactly n candidate paths.
double brute_force_best_tau(const AcceptanceModel& a, int32_t n, int32_t max_depth, int32_t max_rank) {
  const std::vector<TreePath> all = candidate_paths(max_depth, max_rank);
  double best = -1;
  std::vector<TreePath> chosen;
  std::set<TreePath> present;
  std::function<void(std::size_t)> pick = [&](std::size_t from) {
    if (static_cast<int32_t>(chosen.size()) == n) {
      best = std::max(best, a.tau(tree_shape(make_static_tree(chosen, "brute"), "brute")));
      return;
    }
    for (std::size_t i = from; i < all.size(); ++i) {
      const TreePath& p = all[i];
      if (p.size() > 1 && !present.count(TreePath(p.begin(), p.end() - 1))) continue;
      chosen.push_back(p);
      present.insert(p);
      pick(i + 1);
      present.erase(p);
      chosen.pop_back();
    }
  };
  pick(0);
  return best;
}

AcceptanceModel uneven_acceptance() {
  AcceptanceModel a;
  a.kind = AcceptanceModel::Kind::Positional;
  a.source = "test";
  a.p = {{0.6, 0.2, 0.1}, {0.7, 0.15, 0.05}, {0.5, 0.3, 0.1}};  // depth 2 prefers depth, depth 3 a wider rank 1
  return a;
}

TEST(SimulatorTreeSearch, MatchesBruteForceOnSmallTrees) {
  const TreeSearchLimits limits{6, 3, 3};
  for (const AcceptanceModel& a : {uneven_acceptance(), from_n_alpha({0.8, 0.5, 0.3}, 3), from_alpha(0.35, 3, 3)}) {
    const std::vector<TreeCandidate> best = best_trees_by_size(a, limits);
    ASSERT_EQ(best.size(), 6u);
    for (int32_t n = 1; n <= 6; ++n) {
      const TreeCandidate& c = best[static_cast<std::size_t>(n - 1)];
      EXPECT_EQ(static_cast<int32_t>(c.paths.paths.size()), n);
      EXPECT_NEAR(c.tau, a.tau(tree_shape(c.paths, "dp")), 1e-12);  // the tree it returns has the tau it claims
      EXPECT_NEAR(c.tau, brute_force_best_tau(a, n, 3, 3), 1e-12) << "n = " << n;
    }
  }
}

TEST(SimulatorTreeSearch, StopsWhereNoTreeFits) {
  // depth 1, two ranks: at most 2 nodes
  EXPECT_EQ(best_trees_by_size(from_alpha(0.5, 1, 2), {10, 1, 2}).size(), 2u);
  EXPECT_THROW(best_trees_by_size(fixed_tau(2.0), {4, 2, 2}), Error);
}

TEST(SimulatorTreeSearch, PicksTheSizeOfBestSpeedup) {
  const Deployment d = testing::round_deployment("llama2-7b-chat.json");
  const TreeSearchResult r = search_tree(d, from_n_alpha({0.79, 0.74, 0.72, 0.73, 0.67}), {40, 5, 4}, 1, 512);
  for (const TreeCandidate& c : r.by_size) EXPECT_LE(c.speedup, r.best.speedup);
  EXPECT_GT(r.best.speedup, 1.0);
}

}  // namespace
}  // namespace eaglerun::sim
