#pragma once
// Wall time of one target forward and of one draft pass, by component.
#include <cstdint>

#include "simulator/deployment.h"

namespace eaglerun::sim {

struct ForwardTimes {
  double gemm_s = 0;           // dense matmuls of the decoder layers and the LM head
  double attention_s = 0;     // reading the KV cache, QK^T and PV
  double moe_s = 0;            // expert weights of the experts the tokens activate
  double communication_s = 0;  // tp all-reduces, pp activations, ep dispatch and combine
  double launch_s = 0;         // kernel launches on the device
  double host_s = 0;           // host time the device does not hide

  double total_s() const { return gemm_s + attention_s + moe_s + communication_s + launch_s + host_s; }
  ForwardTimes& operator+=(const ForwardTimes& o);
  ForwardTimes scaled(double f) const;
};

// The target's forward of `tokens_per_sequence` new tokens (1 for plain decoding, the tree's nodes
// for verification) for each of `batch` sequences holding `context` cached tokens; logits for
// every new row. With pipeline stages the batch runs as M = split.micro_batches(batch) micro-batches,
// each stage working through them in turn (decoding keeps the pipeline full in steady state):
//   wall = max(M, pp) x stage time of B/M sequences + (pp - 1) x activation hop,
// and the host (issuing kernels in eager frameworks) stalls the device when slower than it:
//   wall = max(device, host issue) + host time per forward;
// an eager MoE layer issues, on top of its layer's kernels, those of every expert its tokens visit.
// On a profile with a measured forward_time_ratio the matmul time of n rows is its 1-row roofline
// time x ratio(n).
ForwardTimes target_forward(const Deployment& d, int64_t batch, int64_t tokens_per_sequence, int64_t context);

// One pass of the draft head on one GPU over `rows` token rows of each of `batch` sequences: its
// decoder layer(s), fc and the LM head over the draft vocabulary.
ForwardTimes head_pass(const Deployment& d, int64_t batch, double rows, int64_t context);

}  // namespace eaglerun::sim
