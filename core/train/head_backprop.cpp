#include "core/train/head_backprop.h"

#include <algorithm>

#include "core/train/attention_grad.h"
#include "core/train/head_ops.h"
#include "core/train/linear.h"

namespace eaglerun::train {
namespace {

template <typename T>
std::vector<T> zeros(int64_t n) {
  return std::vector<T>(static_cast<std::size_t>(n), T(0));
}

AttentionShape attention_shape(const DraftHeadConfig& c, int64_t m) { return {m, c.n_heads, c.n_kv_heads, c.head_dim}; }

}  // namespace

template <typename T>
void head_forward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const T* emb, const T* features, int64_t m,
                  HeadActivations<T>& a, ThreadPool& pool) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.n_heads * c.head_dim, K = c.n_kv_heads * c.head_dim;
  const bool use_emb = c.inputs != DraftInputs::FeatureOnly, use_features = c.inputs != DraftInputs::TokenOnly;
  a.m = m;
  a.cat = zeros<T>(m * 2 * H);
  for (int64_t i = 0; i < m; ++i) {
    if (use_emb) std::copy_n(emb + i * H, H, a.cat.begin() + i * 2 * H);
    if (use_features) std::copy_n(features + i * H, H, a.cat.begin() + i * 2 * H + H);
  }
  a.x0 = zeros<T>(m * H);
  linear_forward(a.cat.data(), w.fc, m, H, 2 * H, a.x0.data(), false, pool);
  if (w.fc_bias) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < H; ++j) a.x0[i * H + j] += w.fc_bias[j];
    }
  }
  a.q = zeros<T>(m * Q), a.k = zeros<T>(m * K), a.v = zeros<T>(m * K);
  linear_forward(a.x0.data(), w.wq, m, Q, H, a.q.data(), false, pool);
  linear_forward(a.x0.data(), w.wk, m, K, H, a.k.data(), false, pool);
  linear_forward(a.x0.data(), w.wv, m, K, H, a.v.data(), false, pool);
  rope_forward(a.q.data(), m, c.n_heads, c.head_dim, c.rope_theta);
  rope_forward(a.k.data(), m, c.n_kv_heads, c.head_dim, c.rope_theta);
  a.attn = zeros<T>(m * Q), a.lse = zeros<T>(c.n_heads * m);
  attention_forward(attention_shape(c, m), a.q.data(), a.k.data(), a.v.data(), a.attn.data(), a.lse.data(), pool);
  a.x1 = a.x0;
  linear_forward(a.attn.data(), w.wo, m, H, Q, a.x1.data(), true, pool);
  a.n = zeros<T>(m * H), a.rstd = zeros<T>(m);
  rmsnorm_forward(a.x1.data(), w.norm, m, H, c.rms_norm_eps, a.n.data(), a.rstd.data());
  a.gate = zeros<T>(m * I), a.up = zeros<T>(m * I), a.act = zeros<T>(m * I);
  linear_forward(a.n.data(), w.gate, m, I, H, a.gate.data(), false, pool);
  linear_forward(a.n.data(), w.up, m, I, H, a.up.data(), false, pool);
  silu_mul_forward(a.gate.data(), a.up.data(), m * I, a.act.data());
  a.out = a.x1;
  linear_forward(a.act.data(), w.down, m, H, I, a.out.data(), true, pool);
}

template <typename T>
void head_backward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const HeadActivations<T>& a,
                   const T* d_out, const HeadTensors<T>& g, ThreadPool& pool) {
  const int64_t m = a.m, H = c.hidden_size, I = c.intermediate_size;
  const int64_t Q = c.n_heads * c.head_dim, K = c.n_kv_heads * c.head_dim;
  // MLP: out = x1 + down(act)
  std::vector<T> d_act = zeros<T>(m * I), d_gate = zeros<T>(m * I), d_up = zeros<T>(m * I);
  linear_input_grad(d_out, w.down, m, H, I, d_act.data(), false, pool);
  linear_weight_grad(d_out, a.act.data(), m, H, I, g.down, true, pool);
  silu_mul_backward(a.gate.data(), a.up.data(), d_act.data(), m * I, d_gate.data(), d_up.data());
  std::vector<T> d_n = zeros<T>(m * H);
  linear_input_grad(d_gate.data(), w.gate, m, I, H, d_n.data(), false, pool);
  linear_input_grad(d_up.data(), w.up, m, I, H, d_n.data(), true, pool);
  linear_weight_grad(d_gate.data(), a.n.data(), m, I, H, g.gate, true, pool);
  linear_weight_grad(d_up.data(), a.n.data(), m, I, H, g.up, true, pool);
  std::vector<T> d_x1(d_out, d_out + m * H);
  rmsnorm_backward(a.x1.data(), w.norm, a.rstd.data(), d_n.data(), m, H, d_x1.data(), g.norm);
  // Attention: x1 = x0 + o(attn)
  std::vector<T> d_attn = zeros<T>(m * Q), d_q = zeros<T>(m * Q), d_k = zeros<T>(m * K), d_v = zeros<T>(m * K);
  linear_input_grad(d_x1.data(), w.wo, m, H, Q, d_attn.data(), false, pool);
  linear_weight_grad(d_x1.data(), a.attn.data(), m, H, Q, g.wo, true, pool);
  attention_backward(attention_shape(c, m), a.q.data(), a.k.data(), a.v.data(), a.attn.data(), a.lse.data(),
                     d_attn.data(), d_q.data(), d_k.data(), d_v.data(), pool);
  rope_backward(d_q.data(), m, c.n_heads, c.head_dim, c.rope_theta);
  rope_backward(d_k.data(), m, c.n_kv_heads, c.head_dim, c.rope_theta);
  std::vector<T> d_x0 = d_x1;
  linear_input_grad(d_q.data(), w.wq, m, Q, H, d_x0.data(), true, pool);
  linear_input_grad(d_k.data(), w.wk, m, K, H, d_x0.data(), true, pool);
  linear_input_grad(d_v.data(), w.wv, m, K, H, d_x0.data(), true, pool);
  linear_weight_grad(d_q.data(), a.x0.data(), m, Q, H, g.wq, true, pool);
  linear_weight_grad(d_k.data(), a.x0.data(), m, K, H, g.wk, true, pool);
  linear_weight_grad(d_v.data(), a.x0.data(), m, K, H, g.wv, true, pool);
  // fc
  linear_weight_grad(d_x0.data(), a.cat.data(), m, H, 2 * H, g.fc, true, pool);
  if (g.fc_bias) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < H; ++j) g.fc_bias[j] += d_x0[i * H + j];
    }
  }
}

template void head_forward<float>(const DraftHeadConfig&, const HeadTensors<const float>&, const float*, const float*,
                                  int64_t, HeadActivations<float>&, ThreadPool&);
template void head_forward<double>(const DraftHeadConfig&, const HeadTensors<const double>&, const double*,
                                   const double*, int64_t, HeadActivations<double>&, ThreadPool&);
template void head_backward<float>(const DraftHeadConfig&, const HeadTensors<const float>&,
                                   const HeadActivations<float>&, const float*, const HeadTensors<float>&, ThreadPool&);
template void head_backward<double>(const DraftHeadConfig&, const HeadTensors<const double>&,
                                    const HeadActivations<double>&, const double*, const HeadTensors<double>&,
                                    ThreadPool&);

}  // namespace eaglerun::train
