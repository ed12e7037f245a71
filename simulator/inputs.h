#pragma once
// One simulated point as the user gives it (files and values), and its translation into a
// Deployment and a Scenario. Every check that can fail does so here, with one Error line.
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/deployment.h"
#include "simulator/simulation.h"

namespace eaglerun::sim {

struct AcceptanceInput {
  enum class Kind { Tau, NAlpha, Alpha, Cell } kind = Kind::Tau;
  double tau = 1.0;
  std::vector<double> n_alpha;
  double alpha = 0;
  std::string cell_path;  // an experiment cell (.h5)
};

struct SimulationInputs {
  std::string model_path;        // Hugging Face config.json of the target
  std::string head_config_path;  // optional: config.json of the draft head
  std::string hardware_path;
  std::string runtime_path;      // empty: the hardware profile's default_runtime
  int64_t tp = 1, pp = 1, ep = 1;
  bool pp_overlap = false;
  std::string weights = "fp16", lm_head, kv = "fp16", head = "fp16";  // lm_head empty: as weights
  std::string tree = "eagle1";
  AcceptanceInput acceptance;
  int64_t batch = 1;
  int64_t context = 512;
  int64_t draft_vocab = 0;       // 0: the target's vocabulary
};

Deployment make_deployment(const SimulationInputs& in);
Scenario make_scenario(const SimulationInputs& in);
AcceptanceModel make_acceptance(const AcceptanceInput& in);

}  // namespace eaglerun::sim
