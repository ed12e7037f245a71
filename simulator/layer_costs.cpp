#include "simulator/layer_costs.h"

#include <algorithm>
#include <cmath>

namespace eaglerun::sim {

double roofline_s(double bytes, double flops, double bandwidth_Bps, double flops_per_s) {
  return std::max(bytes / bandwidth_Bps, flops / flops_per_s);
}

double dense_gemm_s(double params, Precision precision, double rows, const HardwareProfile& hw) {
  const double bytes = params * bytes_per_element(precision);
  const double flops = 2.0 * params * rows;
  return roofline_s(bytes, flops, hw.memory_bandwidth_Bps * hw.share_for(precision),
                    hw.peak_for(precision) * hw.gemm_efficiency.at(rows));
}

double expected_active_experts(double tokens, int64_t experts, int64_t experts_per_token) {
  const double e = static_cast<double>(experts);
  return e * (1.0 - std::pow(1.0 - static_cast<double>(experts_per_token) / e, tokens));
}

double moe_layer_s(double tokens, int64_t experts, int64_t experts_per_token, double expert_params, int64_t tp,
                   int64_t ep, Precision precision, const HardwareProfile& hw) {
  const double active = expected_active_experts(tokens, experts, experts_per_token);
  const double active_here = active / static_cast<double>(ep);
  const double rows_per_expert = tokens * static_cast<double>(experts_per_token) / active;
  const double params_here = active_here * expert_params / static_cast<double>(tp);
  const double bytes = params_here * bytes_per_element(precision);
  const double flops = 2.0 * params_here * rows_per_expert;
  return roofline_s(bytes, flops, hw.memory_bandwidth_Bps * hw.share_for(precision),
                    hw.peak_for(precision) * hw.gemm_efficiency.at(rows_per_expert));
}

double attention_layer_s(int64_t batch, double rows, double context, double kv_elements_per_token, double q_dim,
                         int64_t tp, Precision kv, Precision weights, const HardwareProfile& hw) {
  const double b = static_cast<double>(batch), t = static_cast<double>(tp);
  const double bytes = b * (context + rows) * kv_elements_per_token / t * bytes_per_element(kv);
  const double flops = b * 4.0 * rows * (context + rows) * q_dim / t;
  return roofline_s(bytes, flops, hw.memory_bandwidth_Bps * hw.share_for(weights),
                    hw.peak_for(weights) * hw.gemm_efficiency.at(rows));
}

}  // namespace eaglerun::sim
