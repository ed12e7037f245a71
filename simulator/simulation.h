#pragma once
// One simulated point: plain decoding and EAGLE on the same deployment, per decode step.
//   plain step   = target forward of 1 token per sequence
//   EAGLE step   = draft (one head pass per tree level) + target forward of the tree's nodes
//                  + the runtime's per-step EAGLE host work
//   tokens/s     = batch / plain step,  batch x tau / EAGLE step;  speedup = their ratio
#include <cstdint>
#include <vector>

#include "simulator/acceptance.h"
#include "simulator/forward_cost.h"
#include "simulator/memory_model.h"
#include "simulator/tree_shape.h"

namespace eaglerun::sim {

struct Scenario {
  TreeShape tree;
  AcceptanceModel acceptance;
  int64_t batch = 1;
  int64_t context = 512;  // tokens in each sequence's KV cache (prompt + generated so far)
};

struct BatchPoint {
  int64_t batch = 0;
  double plain_tokens_per_s = 0, eagle_tokens_per_s = 0, speedup = 0;
  bool eagle_fits = true;
};

struct SimulationResult {
  ForwardTimes plain;            // one plain step
  double draft_s = 0;            // the draft passes of one EAGLE step
  ForwardTimes verify;           // the verification forward of one EAGLE step
  double eagle_host_s = 0;       // the runtime's EAGLE work per step
  double plain_step_s = 0, eagle_step_s = 0;
  double tau = 0;
  double plain_tokens_per_s = 0, eagle_tokens_per_s = 0, speedup = 0;
  MemoryUse plain_memory, eagle_memory;
  int64_t max_batch_plain = 0, max_batch_eagle = 0;
  std::vector<BatchPoint> over_batch;  // batch 1, 2, 4, ... up to the plain maximum
};

// Draft passes of one EAGLE step: pass 0 over the tau tokens accepted last step, then one pass over
// each level's nodes that get children.
double draft_s(const Deployment& d, const TreeShape& tree, double tau, int64_t batch, int64_t context);
double eagle_step_s(const Deployment& d, const TreeShape& tree, double tau, int64_t batch, int64_t context);

// Throws Error when the split or the memory does not fit.
SimulationResult simulate(const Deployment& d, const Scenario& s);

}  // namespace eaglerun::sim
