#pragma once
// The draft head's forward pass with saved activations, and its backward pass, over one sequence
// of m rows at positions 0..m-1 (causal attention), for float (training) and double (reference).
//   x0  = fc([emb, f]) (+ bias), f: the feature and its taps ([H] or [(k + 1) H])
//   then per decoder layer, from x = x0 (a layer's output is the next one's input):
//   a   = x in layer 0, else rmsnorm(x) * input_norm
//   x1  = x + o(attention(rope(q(a)), rope(k(a)), v(a)))
//   out = x1 + down(silu(gate(n)) * up(n)),  n = rmsnorm(x1) * norm
// Same function as DraftHead::forward on the same inputs (up to the order of fp32 summation).
// A rolled-out depth d >= 1 (EAGLE-3's training-time test) runs the same layers with the attention
// of rollout_attention.h: each row reads the real prefix and its chain through depths 0..d-1 (whose
// activations are passed in and held constant), then its own key.
#include <cstdint>
#include <span>
#include <vector>

#include "core/eagle/draft_head.h"
#include "core/kernels/thread_pool.h"
#include "core/train/param_layout.h"
#include "core/train/rollout_attention.h"

namespace eaglerun::train {

template <typename T>
struct LayerActivations {
  std::vector<T> in;        // [m, H] the layer's input x
  std::vector<T> in_rstd;   // [m] input RMSNorm 1/rms (layers after the first)
  std::vector<T> a;         // [m, H] attention input: in, or its input RMSNorm (layers after the first)
  std::vector<T> q;         // [m, Q] after RoPE
  std::vector<T> k;         // [m, K] after RoPE
  std::vector<T> v;         // [m, K]
  std::vector<T> lse;       // [heads, m] attention log-sum-exp
  std::vector<T> attn;      // [m, Q] attention output
  std::vector<T> x1;        // [m, H]
  std::vector<T> rstd;      // [m] post-attention RMSNorm 1/rms
  std::vector<T> n;         // [m, H] post-attention RMSNorm output
  std::vector<T> gate;      // [m, I]
  std::vector<T> up;        // [m, I]
  std::vector<T> act;       // [m, I] silu(gate) * up
};

template <typename T>
struct HeadActivations {
  int64_t m = 0;
  std::vector<T> cat;   // [m, H + F] fc input: embedding, feature (+ taps), F = c.feature_width() (an unused one zero)
  std::vector<LayerActivations<T>> layers;
  std::vector<T> out;   // [m, H] predicted features f^ (the last layer's output)
  std::vector<EarlierDepths<T>> earlier;  // [layers]: what a rolled-out depth's attention reads (empty at depth 0)
};

// emb: [m, H], features: [m, c.feature_width()]; the one config.inputs leaves unused may be null (read as zeros).
// earlier_depths: empty for depth 0 (causal attention); for a rolled-out depth d, the activations of
// depths 0..d-1 of the same sequence, which must outlive `a` (its backward reads their keys too).
template <typename T>
void head_forward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const T* emb, const T* features, int64_t m,
                  HeadActivations<T>& a, ThreadPool& pool,
                  std::span<const HeadActivations<T>* const> earlier_depths = {});

// Adds d(sum(d_out * out))/d(parameter) into g. d_out: [m, H].
template <typename T>
void head_backward(const DraftHeadConfig& c, const HeadTensors<const T>& w, const HeadActivations<T>& a,
                   const T* d_out, const HeadTensors<T>& g, ThreadPool& pool);

}  // namespace eaglerun::train
