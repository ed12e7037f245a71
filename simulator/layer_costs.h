#pragma once
// Device time of the pieces of one forward on one GPU, each a roofline:
//   t = max(bytes read / (bandwidth x share), FLOPs / (peak x GEMM efficiency at its row count)).
#include <cstdint>

#include "simulator/hardware_profile.h"
#include "simulator/precision.h"

namespace eaglerun::sim {

double roofline_s(double bytes, double flops, double bandwidth_Bps, double flops_per_s);

// Dense matmuls: `params` weights stored in `precision`, multiplied with `rows` token rows.
double dense_gemm_s(double params, Precision precision, double rows, const HardwareProfile& hw);

// Expected distinct experts that `tokens` tokens routed to k of E experts activate, each expert
// chosen uniformly and independently: E (1 - (1 - k/E)^tokens).
double expected_active_experts(double tokens, int64_t experts, int64_t experts_per_token);

// One MoE layer on one GPU holding experts / ep of them, each split over tp: the active experts'
// weights are read once each, and each multiplies the rows routed to it.
double moe_layer_s(double tokens, int64_t experts, int64_t experts_per_token, double expert_params, int64_t tp,
                   int64_t ep, Precision precision, const HardwareProfile& hw);

// Attention of `rows` new tokens per sequence of `batch` over `context` cached ones, one layer, one
// GPU holding kv_elements / tp per token: the KV cache is read once per sequence; QK^T and PV cost
// 4 x rows x context x q_dim / tp FLOPs per sequence.
double attention_layer_s(int64_t batch, double rows, double context, double kv_elements_per_token, double q_dim,
                         int64_t tp, Precision kv, Precision weights, const HardwareProfile& hw);

}  // namespace eaglerun::sim
