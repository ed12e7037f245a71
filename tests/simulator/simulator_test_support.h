#pragma once
// Small fixtures for the simulator's tests: a profile with round numbers, the repository's files.
#include <string>

#include "core/error.h"
#include "simulator/deployment.h"

namespace eaglerun::sim::testing {

inline std::string repo_file(const std::string& relative) { return std::string(EAGLERUN_SOURCE_DIR) + "/" + relative; }

// 1 TB/s at share 0.5 for every precision, 100 TFLOP/s at efficiency 0.5, no launches or host time.
inline HardwareProfile round_profile() {
  HardwareProfile hw;
  hw.name = "round";
  hw.path = "round.json";
  hw.memory_bytes = 80e9;
  hw.reserved_bytes = 0;
  hw.memory_bandwidth_Bps = 1e12;
  for (Precision p : {Precision::FP32, Precision::BF16, Precision::FP16, Precision::INT8, Precision::INT4}) {
    hw.bandwidth_share[p] = 0.5;
    hw.peak_flops[p] = 100e12;
  }
  hw.gemm_efficiency.tokens = {1};
  hw.gemm_efficiency.values = {0.5};
  hw.gpus_per_node = 8;
  hw.intra_node = Link{"fast", 10e-6, 100e9};
  hw.inter_node = Link{"slow", 20e-6, 10e9};
  return hw;
}

// The round profile, an eager-free runtime and a target read from data/model-configs/.
inline Deployment round_deployment(const std::string& model_config) {
  Deployment d;
  const ModelConfig c = load_model_config(repo_file("data/model-configs/" + model_config));
  d.target = target_shape(c);
  d.head = head_shape(c, nullptr, c.vocab_size);
  d.hw = round_profile();
  d.runtime.cuda_graphs = true;
  d.runtime.draft_cuda_graphs = true;
  return d;
}

}  // namespace eaglerun::sim::testing
