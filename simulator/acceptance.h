#pragma once
// How many tokens one EAGLE step yields (tau, the bonus token included), for a tree.
//
// Positional model (as in Sequoia): p[d][k] = the probability that the draft token of sibling rank k
// (0 = the draft's best) at depth d+1 is accepted, given that its parent was accepted. Siblings are
// exclusive (at most one matches the target), so the expected tokens per step of a static tree are
//   tau = 1 + sum over draft nodes v of prod over the path root..v of p[depth-1][rank].
// Sources: an experiment cell's tree nodes (counted), the paper's n-alpha by depth, one i.i.d.
// alpha, or a tau given outright (for trees chosen at run time, and the paper's reported tau).
#include <string>
#include <vector>

#include "simulator/tree_shape.h"

namespace eaglerun::sim {

struct AcceptanceModel {
  enum class Kind { FixedTau, Positional };
  Kind kind = Kind::FixedTau;
  double fixed_tau = 1.0;                    // Kind::FixedTau
  std::vector<std::vector<double>> p;        // Kind::Positional: [depth - 1][rank]
  std::string source;                        // "--tau 3.94", "--n-alpha ...", "FILE.h5"
  int64_t head_hidden_size = 0;              // the draft head it was measured with (0: not known)

  // Throws Error when the tree is deeper or wider than p covers, or when a dynamic tree (no fixed
  // paths) meets a positional model.
  double tau(const TreeShape& tree) const;
  // p[d][k], throwing when (d, k) is outside the table.
  double at(int32_t depth_index, int32_t rank) const;
  int32_t max_depth() const { return static_cast<int32_t>(p.size()); }
};

// Throws Error when the acceptance was measured with a head of another hidden size than the
// target's (a head drafts features of its target's size).
void check_acceptance_matches(const AcceptanceModel& acceptance, int64_t target_hidden_size, const std::string& target);

AcceptanceModel fixed_tau(double tau);
// n-alpha by depth for rank 0; a sibling of rank k is accepted with a_d (1 - a_d)^k: each next
// sibling takes the same share alpha of the mass its elder siblings left (no per-rank data).
AcceptanceModel from_n_alpha(const std::vector<double>& n_alpha, int32_t max_rank = 16);
// The same alpha at every depth up to max_depth.
AcceptanceModel from_alpha(double alpha, int32_t max_depth = 64, int32_t max_rank = 16);

}  // namespace eaglerun::sim
