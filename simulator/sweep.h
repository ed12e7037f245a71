#pragma once
// Sweeps: every input that may be a list (models, hardware, runtimes, splits, weight precisions,
// trees, tau, batch, context) expands into the Cartesian product of points, in a fixed order (the last axis fastest).
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/inputs.h"

namespace eaglerun::sim {

struct SweepAxes {
  SimulationInputs base;  // everything not swept
  std::vector<std::string> models, hardware, runtimes, weights, trees;
  std::vector<int64_t> tp, pp, ep, batch, context;
  std::vector<double> tau;  // empty: base.acceptance as given

  int64_t size() const;
};

std::vector<SimulationInputs> expand(const SweepAxes& axes);

// One evaluated point: its inputs and the result, or the error line that stopped it (a split that
// does not divide, a model that does not fit); a sweep records it and goes on.
struct SweepPoint {
  SimulationInputs inputs;
  std::string error;
  double tau = 0, plain_tokens_per_s = 0, eagle_tokens_per_s = 0, speedup = 0;
  double draft_s = 0, verify_s = 0, plain_step_s = 0, eagle_step_s = 0;
  double gemm_s = 0, attention_s = 0, moe_s = 0, communication_s = 0, launch_s = 0, host_s = 0;  // of the EAGLE step
  double memory_per_gpu_bytes = 0;  // with EAGLE at this batch
  int64_t gpus = 0, tree_nodes = 0, max_batch_plain = 0, max_batch_eagle = 0;
};

SweepPoint evaluate(const SimulationInputs& inputs);

}  // namespace eaglerun::sim
