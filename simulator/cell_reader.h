#pragma once
// Reads what the simulator needs from an experiment cell (schema eaglerun.experiment, version 1,
// docs/HDF5_SCHEMA.md): the positional acceptance counted from its tree nodes, and its measured
// speeds for calibration.
#include <cstdint>
#include <string>

#include "simulator/acceptance.h"

namespace eaglerun::sim {

struct CellMeasurement {
  std::string path;
  std::string tree;             // the cell's --tree spec
  std::string model;            // the cell's model ("default" or a path)
  double temperature = 0;
  int64_t threads = 0;
  double tau = 0;               // summary/tau
  double mean_tree_nodes = 0;   // mean over steps of tree_size (root included)
  double mean_context = 0;      // tokens in the KV cache at each EAGLE-decoded token, averaged over them
  // New tokens over decode seconds (prefill excluded), summed over requests.
  double plain_decode_tokens_per_s = 0, eagle_decode_tokens_per_s = 0;
  double decode_speedup = 0;    // their ratio
  // Per speculative step, averaged over the steps: the drafter's time (advance and tree) and the
  // target's verification (forward, acceptance, keeping the accepted KV rows).
  double mean_draft_s = 0, mean_verify_s = 0;
  double load_average_start = -1, load_average_end = -1;  // -1: not recorded
};

CellMeasurement read_cell_measurement(const std::string& path);

// p[d][k] = accepted / seen over the nodes of depth d + 1 and sibling rank k whose parent was
// accepted; a depth's ranks end at the first rank never seen. Throws Error when the file is not
// an experiment cell or has no speculative steps.
AcceptanceModel acceptance_from_cell(const std::string& path);

}  // namespace eaglerun::sim
