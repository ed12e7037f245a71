#include "simulator/acceptance.h"

#include <fmt/core.h>

#include <cmath>

#include "core/error.h"

namespace eaglerun::sim {

double AcceptanceModel::at(int32_t depth_index, int32_t rank) const {
  if (depth_index < 0 || depth_index >= max_depth())
    throw Error("the acceptance model (" + source + ") covers depths 1.." + std::to_string(max_depth()) +
                "; the tree reaches depth " + std::to_string(depth_index + 1));
  const auto& row = p[static_cast<std::size_t>(depth_index)];
  if (rank < 0 || rank >= static_cast<int32_t>(row.size()))
    throw Error("the acceptance model (" + source + ") covers sibling ranks 0.." +
                std::to_string(static_cast<int64_t>(row.size()) - 1) + " at depth " + std::to_string(depth_index + 1) +
                "; the tree uses rank " + std::to_string(rank));
  return row[static_cast<std::size_t>(rank)];
}

double AcceptanceModel::tau(const TreeShape& tree) const {
  if (kind == Kind::FixedTau) return fixed_tau;
  if (!tree.paths)
    throw Error("tree '" + tree.name + "' is chosen at run time: give its measured tau (--tau X) "
                "instead of a positional acceptance model");
  double sum = 1.0;
  for (const TreePath& path : tree.paths->paths) {
    double prob = 1.0;
    for (std::size_t d = 0; d < path.size(); ++d) prob *= at(static_cast<int32_t>(d), path[d]);
    sum += prob;
  }
  return sum;
}

void check_acceptance_matches(const AcceptanceModel& acceptance, int64_t target_hidden_size, const std::string& target) {
  if (acceptance.head_hidden_size > 0 && acceptance.head_hidden_size != target_hidden_size)
    throw Error(fmt::format("{} was measured with a draft head of hidden size {}; {} needs a head of hidden size {}",
                            acceptance.source, acceptance.head_hidden_size, target, target_hidden_size));
}

AcceptanceModel fixed_tau(double tau) {
  if (!(tau >= 1.0)) throw Error("--tau must be >= 1 (it counts the bonus token), got " + std::to_string(tau));
  AcceptanceModel m;
  m.kind = AcceptanceModel::Kind::FixedTau;
  m.fixed_tau = tau;
  m.source = fmt::format("tau {:.2f}", tau);
  return m;
}

AcceptanceModel from_n_alpha(const std::vector<double>& n_alpha, int32_t max_rank) {
  if (n_alpha.empty()) throw Error("--n-alpha needs at least one value");
  AcceptanceModel m;
  m.kind = AcceptanceModel::Kind::Positional;
  m.source = "n-alpha";
  for (double a : n_alpha) {
    if (!(a >= 0.0 && a <= 1.0)) throw Error("--n-alpha values must be in [0, 1], got " + std::to_string(a));
    std::vector<double> row;
    for (int32_t k = 0; k < max_rank; ++k) row.push_back(a * std::pow(1.0 - a, k));
    m.p.push_back(row);
  }
  return m;
}

AcceptanceModel from_alpha(double alpha, int32_t max_depth, int32_t max_rank) {
  AcceptanceModel m = from_n_alpha(std::vector<double>(static_cast<std::size_t>(max_depth), alpha), max_rank);
  m.source = "alpha";
  return m;
}

}  // namespace eaglerun::sim
