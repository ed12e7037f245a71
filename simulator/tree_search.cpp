#include "simulator/tree_search.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "simulator/forward_cost.h"
#include "simulator/simulation.h"

namespace eaglerun::sim {

namespace {

constexpr double kImpossible = -std::numeric_limits<double>::infinity();

// The dynamic program's tables; choice[d][k][m] = subtree size s of the rank-k child (0: no child).
class TreeProgram {
 public:
  TreeProgram(const AcceptanceModel& a, const TreeSearchLimits& limits) : n_(limits.max_nodes) {
    depth_ = std::min<int32_t>(limits.max_depth, a.max_depth());
    for (int32_t d = 0; d < depth_; ++d)
      ranks_.push_back(std::min<int32_t>(limits.max_rank, static_cast<int32_t>(a.p[static_cast<std::size_t>(d)].size())));
    p_ = a.p;
    f_.assign(static_cast<std::size_t>(depth_) + 1, std::vector<double>(static_cast<std::size_t>(n_) + 1, kImpossible));
    f_[static_cast<std::size_t>(depth_)][0] = 0.0;
    g_.resize(static_cast<std::size_t>(depth_));
    choice_.resize(static_cast<std::size_t>(depth_));
    for (int32_t d = depth_ - 1; d >= 0; --d) fill_level(d);
  }

  double best_sum(int32_t n) const { return f_[0][static_cast<std::size_t>(n)]; }

  // The paths of the best subtree below a node at `prefix` (depth = prefix size) using m nodes.
  void collect(const TreePath& prefix, int32_t m, std::vector<TreePath>& out) const {
    const auto d = static_cast<std::size_t>(prefix.size());
    for (int32_t k = 0; m > 0 && k < ranks_[d]; ++k) {
      const int32_t s = choice_[d][static_cast<std::size_t>(k)][static_cast<std::size_t>(m)];
      if (s == 0) continue;
      TreePath child = prefix;
      child.push_back(k);
      out.push_back(child);
      collect(child, s - 1, out);
      m -= s;
    }
  }

 private:
  void fill_level(int32_t d) {
    const auto ud = static_cast<std::size_t>(d);
    const int32_t ranks = ranks_[ud];
    const std::size_t width = static_cast<std::size_t>(n_) + 1;
    g_[ud].assign(static_cast<std::size_t>(ranks) + 1, std::vector<double>(width, kImpossible));
    choice_[ud].assign(static_cast<std::size_t>(ranks) + 1, std::vector<int32_t>(width, 0));
    g_[ud][static_cast<std::size_t>(ranks)][0] = 0.0;
    const auto& below = f_[ud + 1];
    for (int32_t k = ranks - 1; k >= 0; --k) {
      const auto uk = static_cast<std::size_t>(k);
      const double p = p_[ud][uk];
      for (int32_t m = 0; m <= n_; ++m) {
        const auto um = static_cast<std::size_t>(m);
        double best = g_[ud][uk + 1][um];
        int32_t pick = 0;
        for (int32_t s = 1; s <= m; ++s) {
          const double rest = g_[ud][uk + 1][um - static_cast<std::size_t>(s)];
          const double sub = below[static_cast<std::size_t>(s - 1)];
          if (rest == kImpossible || sub == kImpossible) continue;
          const double v = p * (1.0 + sub) + rest;
          if (v > best) best = v, pick = s;
        }
        g_[ud][uk][um] = best;
        choice_[ud][uk][um] = pick;
      }
    }
    for (std::size_t m = 0; m < width; ++m) f_[ud][m] = g_[ud][0][m];
  }

  int32_t n_, depth_ = 0;
  std::vector<int32_t> ranks_;
  std::vector<std::vector<double>> p_, f_;
  std::vector<std::vector<std::vector<double>>> g_;
  std::vector<std::vector<std::vector<int32_t>>> choice_;
};

}  // namespace

std::vector<TreeCandidate> best_trees_by_size(const AcceptanceModel& acceptance, const TreeSearchLimits& limits) {
  if (acceptance.kind != AcceptanceModel::Kind::Positional)
    throw Error("--search-tree needs acceptance by depth and sibling rank: --acceptance CELL.h5, --n-alpha or --alpha (not --tau)");
  if (limits.max_nodes < 1 || limits.max_depth < 1 || limits.max_rank < 1)
    throw Error("--max-nodes, --max-depth and --max-rank must be >= 1");
  const TreeProgram program(acceptance, limits);
  std::vector<TreeCandidate> out;
  for (int32_t n = 1; n <= limits.max_nodes; ++n) {
    if (program.best_sum(n) == kImpossible) break;  // no tree of n nodes within the limits
    std::vector<TreePath> paths;
    program.collect({}, n, paths);
    TreeCandidate c;
    c.paths = make_static_tree(paths, "tree search");
    c.tau = 1.0 + program.best_sum(n);
    out.push_back(c);
  }
  return out;
}

TreeSearchResult search_tree(const Deployment& d, const AcceptanceModel& acceptance, const TreeSearchLimits& limits,
                             int64_t batch, int64_t context) {
  check_split(d.split, d.target);
  check_acceptance_matches(acceptance, d.target.config.hidden_size, d.target.name);
  check_context(d, context);
  TreeSearchResult r;
  r.by_size = best_trees_by_size(acceptance, limits);
  r.plain_step_s = target_forward(d, batch, 1, context).total_s();
  for (TreeCandidate& c : r.by_size) {
    const TreeShape shape = tree_shape(c.paths, "search");
    c.eagle_step_s = eagle_step_s(d, shape, c.tau, batch, context);
    c.speedup = c.tau * r.plain_step_s / c.eagle_step_s;
    if (c.speedup > r.best.speedup) r.best = c;
  }
  return r;
}

std::string format_search_result(const TreeSearchResult& r, bool json) {
  if (json) {
    nlohmann::json sizes = nlohmann::json::array();
    for (const TreeCandidate& c : r.by_size)
      sizes.push_back({{"draft_nodes", c.paths.paths.size()}, {"depth", c.paths.depth()}, {"tau", c.tau},
                       {"eagle_step_s", c.eagle_step_s}, {"speedup", c.speedup}});
    nlohmann::json paths = r.best.paths.paths;
    return nlohmann::json{{"best", {{"paths", paths}, {"tau", r.best.tau}, {"speedup", r.best.speedup},
                                    {"eagle_step_s", r.best.eagle_step_s}}},
                          {"plain_step_s", r.plain_step_s},
                          {"by_size", sizes}}
               .dump() +
           "\n";
  }
  std::string out = fmt::format("  {:>6}{:>7}{:>9}{:>14}{:>10}\n", "nodes", "depth", "tau", "step (ms)", "speedup");
  for (const TreeCandidate& c : r.by_size)
    out += fmt::format("  {:>6}{:>7}{:>9.3f}{:>14.3f}{:>9.3f}x{}\n", c.paths.paths.size(), c.paths.depth(), c.tau,
                       c.eagle_step_s * 1e3, c.speedup, "");
  out += fmt::format("\nbest: {} draft nodes, depth {}, tau {:.3f}, speedup {:.3f}x (plain step {:.3f} ms)\n",
                     r.best.paths.paths.size(), r.best.paths.depth(), r.best.tau, r.best.speedup, r.plain_step_s * 1e3);
  out += "paths: " + nlohmann::json(r.best.paths.paths).dump() + "\n";
  return out;
}

void write_tree_json(const StaticTreeShape& tree, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("--tree-out " + path + ": cannot write");
  out << nlohmann::json(tree.paths).dump() << "\n";
  if (!out) throw Error("--tree-out " + path + ": write failed");
}

}  // namespace eaglerun::sim
