#include "simulator/forward_cost.h"

#include <algorithm>

#include "simulator/communication.h"
#include "simulator/layer_costs.h"

namespace eaglerun::sim {

ForwardTimes& ForwardTimes::operator+=(const ForwardTimes& o) {
  gemm_s += o.gemm_s;
  attention_s += o.attention_s;
  moe_s += o.moe_s;
  communication_s += o.communication_s;
  launch_s += o.launch_s;
  host_s += o.host_s;
  return *this;
}

ForwardTimes ForwardTimes::scaled(double f) const {
  ForwardTimes t = *this;
  t.gemm_s *= f;
  t.attention_s *= f;
  t.moe_s *= f;
  t.communication_s *= f;
  t.launch_s *= f;
  t.host_s *= f;
  return t;
}

namespace {

const Link& link_for_group(int64_t group_size, const HardwareProfile& hw) {
  return group_size <= hw.gpus_per_node ? hw.intra_node : hw.inter_node;
}

// Experts a MoE layer visits for `tokens` tokens (0 for a dense model).
double active_experts(const ModelShape& m, double tokens) {
  return m.is_moe() ? expected_active_experts(tokens, m.experts, m.experts_per_token) : 0.0;
}

// Kernels one decoder layer launches for `tokens` tokens of a micro-batch.
double kernels_per_layer(const Deployment& d, double tokens) {
  return static_cast<double>(d.runtime.kernels_per_layer) +
         active_experts(d.target, tokens) * static_cast<double>(d.runtime.kernels_per_active_expert);
}

// Host time to issue one decoder layer eagerly for `tokens` tokens of a micro-batch.
double host_time_per_layer(const Deployment& d, double tokens) {
  return d.runtime.host_time_per_layer_s + active_experts(d.target, tokens) * d.runtime.host_time_per_active_expert_s;
}

// One pipeline stage's device time for one micro-batch of `batch` sequences, on one GPU.
ForwardTimes stage_device_time(const Deployment& d, int64_t batch, int64_t rows, int64_t context) {
  const ModelShape& m = d.target;
  const ParallelSplit& s = d.split;
  const HardwareProfile& hw = d.hw;
  const double layers = static_cast<double>(m.layers / s.pp);
  const double tokens = static_cast<double>(batch * rows);
  const double tp = static_cast<double>(s.tp);
  ForwardTimes t;
  // The LM head sits on the last stage; the stages are equal otherwise, so each stage is charged
  // 1/pp of it (the wall time of a sequential pipeline is the same).
  const double layer_params = (m.attention_params_per_layer + m.dense_params_per_layer + m.router_params_per_layer) / tp;
  const double lm_head_params = m.lm_head_params / tp / static_cast<double>(s.pp);
  auto gemm_time = [&](double rows_now) {
    return dense_gemm_s(layer_params * layers, d.precision.weights, rows_now, hw) +
           dense_gemm_s(lm_head_params, d.precision.lm_head, rows_now, hw);
  };
  t.gemm_s = hw.forward_time_ratio ? gemm_time(1.0) * hw.forward_time_ratio->at(tokens) : gemm_time(tokens);
  if (m.is_moe()) {
    t.moe_s = layers * moe_layer_s(tokens, m.experts, m.experts_per_token, m.expert_params, s.tp, s.ep,
                                   d.precision.weights, hw);
    t.communication_s += layers * 2.0 *
                         all_to_all_s(tokens * m.experts_per_token * m.config.hidden_size *
                                          bytes_per_element(d.precision.activations),
                                      s.ep, link_for_group(s.tp * s.ep, hw));
  }
  t.attention_s = layers * attention_layer_s(batch, static_cast<double>(rows), static_cast<double>(context),
                                             m.kv_elements_per_token_per_layer, static_cast<double>(m.config.q_dim()),
                                             s.tp, d.precision.kv, d.precision.weights, hw);
  const double activation_bytes = tokens * m.config.hidden_size * bytes_per_element(d.precision.activations);
  t.communication_s += layers * 2.0 * all_reduce_s(activation_bytes, s.tp, link_for_group(s.tp, hw));
  const double kernels = d.runtime.cuda_graphs ? 1.0 : layers * kernels_per_layer(d, tokens);
  t.launch_s = kernels * hw.kernel_launch_s;
  return t;
}

// Time of the (pp - 1) activation hops: those between nodes use the inter-node link.
double pipeline_hops_s(const Deployment& d, double bytes) {
  const int64_t hops = d.split.pp - 1;
  if (hops <= 0) return 0.0;
  const int64_t inter = std::min(hops, d.split.nodes(d.hw) - 1);
  return static_cast<double>(inter) * point_to_point_s(bytes, d.hw.inter_node) +
         static_cast<double>(hops - inter) * point_to_point_s(bytes, d.hw.intra_node);
}

// Adds the host time the device does not hide: issuing kernels (eager) and the per-forward work.
void add_host_time(ForwardTimes& t, double host_issue_s, double host_fixed_s) {
  const double device = t.total_s();
  t.host_s += std::max(0.0, host_issue_s - device) + host_fixed_s;
}

}  // namespace

ForwardTimes target_forward(const Deployment& d, int64_t batch, int64_t tokens_per_sequence, int64_t context) {
  const int64_t micro = d.split.micro_batches(batch);
  const int64_t micro_size = (batch + micro - 1) / micro;
  // Steady state: a stage works through every micro-batch in turn, and a micro-batch waits for the
  // other stages when there are fewer micro-batches than stages.
  const double slots = static_cast<double>(std::max(micro, d.split.pp));
  ForwardTimes t = stage_device_time(d, micro_size, tokens_per_sequence, context).scaled(slots);
  const double hop_bytes = static_cast<double>(micro_size * tokens_per_sequence) * d.target.config.hidden_size *
                           bytes_per_element(d.precision.activations);
  t.communication_s += pipeline_hops_s(d, hop_bytes);
  const double stage_layers = static_cast<double>(d.target.layers / d.split.pp);
  const double micro_tokens = static_cast<double>(micro_size * tokens_per_sequence);
  const double host_issue = d.runtime.cuda_graphs ? 0.0 : host_time_per_layer(d, micro_tokens) * stage_layers * slots;
  add_host_time(t, host_issue, d.runtime.host_time_per_forward_s);
  return t;
}

ForwardTimes head_pass(const Deployment& d, int64_t batch, double rows, int64_t context) {
  const ModelShape& h = d.head;
  const HardwareProfile& hw = d.hw;
  const double tokens = static_cast<double>(batch) * rows;
  ForwardTimes t;
  const double layers = static_cast<double>(h.layers);  // released heads: 1
  const double params = (h.attention_params_per_layer + h.dense_params_per_layer) * layers + h.extra_params;
  t.gemm_s = dense_gemm_s(params, d.precision.head, tokens, hw) +
             dense_gemm_s(h.lm_head_params, d.precision.lm_head, tokens, hw);
  t.attention_s = layers * attention_layer_s(batch, rows, static_cast<double>(context),
                                             h.kv_elements_per_token_per_layer, static_cast<double>(h.config.q_dim()),
                                             1, d.precision.kv, d.precision.head, hw);
  const bool graphs = d.runtime.draft_cuda_graphs;
  const double kernels = graphs ? 1.0 : layers * static_cast<double>(d.runtime.kernels_per_layer);
  t.launch_s = kernels * hw.kernel_launch_s;
  add_host_time(t, graphs ? 0.0 : layers * d.runtime.host_time_per_layer_s, d.runtime.host_time_per_draft_pass_s);
  return t;
}

}  // namespace eaglerun::sim
