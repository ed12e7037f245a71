#include "core/train/head_backprop.h"

#include <algorithm>

#include "core/error.h"
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

// la.in is the layer's input; fills the rest of la and adds the layer to x (in place: in -> out).
template <typename T>
void layer_forward(const DraftHeadConfig& c, const LayerTensors<const T>& w, int64_t m, LayerActivations<T>& la,
                   const EarlierDepths<T>* earlier, T* x, ThreadPool& pool) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.n_heads * c.head_dim, K = c.n_kv_heads * c.head_dim;
  if (w.input_norm) {
    la.a = zeros<T>(m * H), la.in_rstd = zeros<T>(m);
    rmsnorm_forward(la.in.data(), w.input_norm, m, H, c.rms_norm_eps, la.a.data(), la.in_rstd.data());
  }
  const T* a = w.input_norm ? la.a.data() : la.in.data();
  la.q = zeros<T>(m * Q), la.k = zeros<T>(m * K), la.v = zeros<T>(m * K);
  linear_forward(a, w.wq, m, Q, H, la.q.data(), false, pool);
  linear_forward(a, w.wk, m, K, H, la.k.data(), false, pool);
  linear_forward(a, w.wv, m, K, H, la.v.data(), false, pool);
  rope_forward(la.q.data(), m, c.n_heads, c.head_dim, c.rope_theta);
  rope_forward(la.k.data(), m, c.n_kv_heads, c.head_dim, c.rope_theta);
  la.attn = zeros<T>(m * Q), la.lse = zeros<T>(c.n_heads * m);
  if (earlier) {
    rollout_attention_forward(attention_shape(c, m), *earlier, la.q.data(), la.k.data(), la.v.data(), la.attn.data(),
                              la.lse.data(), pool);
  } else {
    attention_forward(attention_shape(c, m), la.q.data(), la.k.data(), la.v.data(), la.attn.data(), la.lse.data(),
                      pool);
  }
  la.x1 = la.in;
  linear_forward(la.attn.data(), w.wo, m, H, Q, la.x1.data(), true, pool);
  la.n = zeros<T>(m * H), la.rstd = zeros<T>(m);
  rmsnorm_forward(la.x1.data(), w.norm, m, H, c.rms_norm_eps, la.n.data(), la.rstd.data());
  la.gate = zeros<T>(m * I), la.up = zeros<T>(m * I), la.act = zeros<T>(m * I);
  linear_forward(la.n.data(), w.gate, m, I, H, la.gate.data(), false, pool);
  linear_forward(la.n.data(), w.up, m, I, H, la.up.data(), false, pool);
  silu_mul_forward(la.gate.data(), la.up.data(), m * I, la.act.data());
  std::copy(la.x1.begin(), la.x1.end(), x);
  linear_forward(la.act.data(), w.down, m, H, I, x, true, pool);
}

// d_x: [m, H] the gradient at the layer's output on entry, at its input on return; adds into g.
template <typename T>
void layer_backward(const DraftHeadConfig& c, const LayerTensors<const T>& w, const LayerActivations<T>& la, int64_t m,
                    const EarlierDepths<T>* earlier, std::vector<T>& d_x, const LayerTensors<T>& g, ThreadPool& pool) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.n_heads * c.head_dim, K = c.n_kv_heads * c.head_dim;
  // MLP: out = x1 + down(act)
  std::vector<T> d_act = zeros<T>(m * I), d_gate = zeros<T>(m * I), d_up = zeros<T>(m * I);
  linear_input_grad(d_x.data(), w.down, m, H, I, d_act.data(), false, pool);
  linear_weight_grad(d_x.data(), la.act.data(), m, H, I, g.down, true, pool);
  silu_mul_backward(la.gate.data(), la.up.data(), d_act.data(), m * I, d_gate.data(), d_up.data());
  std::vector<T> d_n = zeros<T>(m * H);
  linear_input_grad(d_gate.data(), w.gate, m, I, H, d_n.data(), false, pool);
  linear_input_grad(d_up.data(), w.up, m, I, H, d_n.data(), true, pool);
  linear_weight_grad(d_gate.data(), la.n.data(), m, I, H, g.gate, true, pool);
  linear_weight_grad(d_up.data(), la.n.data(), m, I, H, g.up, true, pool);
  rmsnorm_backward(la.x1.data(), w.norm, la.rstd.data(), d_n.data(), m, H, d_x.data(), g.norm);  // d_x is now d_x1
  // Attention: x1 = in + o(attn), attn from a
  std::vector<T> d_attn = zeros<T>(m * Q), d_q = zeros<T>(m * Q), d_k = zeros<T>(m * K), d_v = zeros<T>(m * K);
  linear_input_grad(d_x.data(), w.wo, m, H, Q, d_attn.data(), false, pool);
  linear_weight_grad(d_x.data(), la.attn.data(), m, H, Q, g.wo, true, pool);
  if (earlier) {
    rollout_attention_backward(attention_shape(c, m), *earlier, la.q.data(), la.k.data(), la.v.data(), la.attn.data(),
                               la.lse.data(), d_attn.data(), d_q.data(), d_k.data(), d_v.data(), pool);
  } else {
    attention_backward(attention_shape(c, m), la.q.data(), la.k.data(), la.v.data(), la.attn.data(), la.lse.data(),
                       d_attn.data(), d_q.data(), d_k.data(), d_v.data(), pool);
  }
  rope_backward(d_q.data(), m, c.n_heads, c.head_dim, c.rope_theta);
  rope_backward(d_k.data(), m, c.n_kv_heads, c.head_dim, c.rope_theta);
  const T* a = w.input_norm ? la.a.data() : la.in.data();
  // Layer 0 reads its input directly: the q/k/v input gradients add into d_x; later layers through the norm.
  std::vector<T> d_a = w.input_norm ? zeros<T>(m * H) : std::vector<T>();
  T* d_a_ptr = w.input_norm ? d_a.data() : d_x.data();
  linear_input_grad(d_q.data(), w.wq, m, Q, H, d_a_ptr, true, pool);
  linear_input_grad(d_k.data(), w.wk, m, K, H, d_a_ptr, true, pool);
  linear_input_grad(d_v.data(), w.wv, m, K, H, d_a_ptr, true, pool);
  linear_weight_grad(d_q.data(), a, m, Q, H, g.wq, true, pool);
  linear_weight_grad(d_k.data(), a, m, K, H, g.wk, true, pool);
  linear_weight_grad(d_v.data(), a, m, K, H, g.wv, true, pool);
  if (w.input_norm) {
    rmsnorm_backward(la.in.data(), w.input_norm, la.in_rstd.data(), d_a.data(), m, H, d_x.data(), g.input_norm);
  }
}

}  // namespace

template <typename T>
void head_forward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const T* emb, const T* features, int64_t m,
                  HeadActivations<T>& a, ThreadPool& pool, std::span<const HeadActivations<T>* const> earlier_depths) {
  const int64_t H = c.hidden_size, F = c.feature_width(), W = H + F;
  const bool use_emb = c.inputs != DraftInputs::FeatureOnly, use_features = c.inputs != DraftInputs::TokenOnly;
  a.m = m;
  a.cat = zeros<T>(m * W);
  for (int64_t i = 0; i < m; ++i) {
    if (use_emb) std::copy_n(emb + i * H, H, a.cat.begin() + i * W);
    if (use_features) std::copy_n(features + i * F, F, a.cat.begin() + i * W + H);
  }
  a.out = zeros<T>(m * H);
  linear_forward(a.cat.data(), w.fc, m, H, W, a.out.data(), false, pool);
  if (w.fc_bias) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < H; ++j) a.out[i * H + j] += w.fc_bias[j];
    }
  }
  a.layers.resize(w.layers.size());
  a.earlier.assign(earlier_depths.empty() ? 0 : w.layers.size(), {});
  for (std::size_t l = 0; l < a.earlier.size(); ++l) {
    for (const HeadActivations<T>* depth : earlier_depths) {
      require(depth->m == m && depth->layers.size() == w.layers.size(), "head_forward: an earlier depth of another shape");
      a.earlier[l].k.push_back(depth->layers[l].k.data());
      a.earlier[l].v.push_back(depth->layers[l].v.data());
    }
  }
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    a.layers[l].in = a.out;
    layer_forward(c, w.layers[l], m, a.layers[l], a.earlier.empty() ? nullptr : &a.earlier[l], a.out.data(), pool);
  }
}

template <typename T>
void head_backward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const HeadActivations<T>& a,
                   const T* d_out, const HeadTensors<T>& g, ThreadPool& pool) {
  const int64_t m = a.m, H = c.hidden_size;
  std::vector<T> d_x(d_out, d_out + m * H);
  for (std::size_t l = w.layers.size(); l-- > 0;) {
    layer_backward(c, w.layers[l], a.layers[l], m, a.earlier.empty() ? nullptr : &a.earlier[l], d_x, g.layers[l], pool);
  }
  // fc: x0 = fc(cat) (+ bias)
  linear_weight_grad(d_x.data(), a.cat.data(), m, H, H + c.feature_width(), g.fc, true, pool);
  if (g.fc_bias) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < H; ++j) g.fc_bias[j] += d_x[i * H + j];
    }
  }
}

template void head_forward<float>(const DraftHeadConfig&, const HeadTensors<const float>&, const float*, const float*,
                                  int64_t, HeadActivations<float>&, ThreadPool&,
                                  std::span<const HeadActivations<float>* const>);
template void head_forward<double>(const DraftHeadConfig&, const HeadTensors<const double>&, const double*,
                                   const double*, int64_t, HeadActivations<double>&, ThreadPool&,
                                   std::span<const HeadActivations<double>* const>);
template void head_backward<float>(const DraftHeadConfig&, const HeadTensors<const float>&,
                                   const HeadActivations<float>&, const float*, const HeadTensors<float>&, ThreadPool&);
template void head_backward<double>(const DraftHeadConfig&, const HeadTensors<const double>&,
                                    const HeadActivations<double>&, const double*, const HeadTensors<double>&,
                                    ThreadPool&);

}  // namespace eaglerun::train
