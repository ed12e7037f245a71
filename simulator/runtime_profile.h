#pragma once
// The software that drives the accelerator (Hugging Face eager PyTorch, a compiled runtime with CUDA
// graphs, eaglerun on the CPU): what the host costs per forward, read from data/runtimes/*.json.
#include <cstdint>
#include <string>

namespace eaglerun::sim {

struct RuntimeProfile {
  std::string name, path;
  bool cuda_graphs = false;          // the target: one graph launch per forward instead of one per kernel
  bool draft_cuda_graphs = false;    // the same for the draft head's passes
  int64_t kernels_per_layer = 1;     // device kernels one decoder layer launches
  double host_time_per_layer_s = 0;  // host time to issue one decoder layer (eager frameworks); the
                                     // device waits when this exceeds the layer's device time
  // A MoE layer run eagerly visits each expert its tokens route to: per visited expert, its kernels
  // and the host time to issue them (gather its tokens, its three matmuls, scatter the result back).
  int64_t kernels_per_active_expert = 0;
  double host_time_per_active_expert_s = 0;
  double host_time_per_forward_s = 0;     // per target forward: logits to token, loop, synchronisation
  double host_time_per_draft_pass_s = 0;  // per draft pass beyond the head's layer: fc, top-k, tree buffers
  double eagle_host_time_per_step_s = 0;  // per EAGLE step: acceptance, copying the accepted path's KV
};

RuntimeProfile load_runtime_profile(const std::string& path);

}  // namespace eaglerun::sim
