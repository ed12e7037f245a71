#pragma once
// The attention of a rolled-out draft depth d >= 1 in training (EAGLE-3's "training-time test"),
// forward and backward, for float and double. At depth d, row i stands for the head's own
// prediction d steps past the real prefix (its input feature is depth d-1's output at row i - 1),
// and reads what the head reads when decoding, d steps into a draft chain:
//   the real prefix's keys at rows 0 .. i - d   depth 0:     earlier.k[0], earlier.v[0]
//   the chain's key at row i - d + e            depth e:     earlier.k[e], earlier.v[e]   (0 < e < d)
//   its own key at row i                        this depth:  k, v
// Rows below 0 do not exist (row i < d reads fewer keys). core/train/validation.cpp builds the same
// mask for its rollouts through KV offsets. The earlier depths are constants: the gradient flows into
// q, and into k and v of this depth (each row's own key) only.
//   q: [m, heads * hd]   k, v and each earlier one: [m, kv_heads * hd]   out: [m, heads * hd]   lse: [heads, m]
// Work is split over query heads; per-head partial dk / dv are summed in head order, so results do not
// depend on the thread count. The [m, m] products against depth 0 run through the blocked gemm for
// float, as plain loops for double (the reference).
#include <cstdint>
#include <vector>

#include "core/kernels/thread_pool.h"
#include "core/train/attention_grad.h"

namespace eaglerun::train {

template <typename T>
struct EarlierDepths {
  std::vector<const T*> k, v;  // [d]: depths 0 .. d - 1, each [m, kv_heads * hd]
  int64_t depth() const { return static_cast<int64_t>(k.size()); }
};

// out, lse <- the attention of depth earlier.depth() (>= 1).
template <typename T>
void rollout_attention_forward(const AttentionShape& s, const EarlierDepths<T>& earlier, const T* q, const T* k,
                               const T* v, T* out, T* lse, ThreadPool& pool);

// dq, dk, dv += gradients of sum(dout * out). out and lse are the forward's.
template <typename T>
void rollout_attention_backward(const AttentionShape& s, const EarlierDepths<T>& earlier, const T* q, const T* k,
                                const T* v, const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv,
                                ThreadPool& pool);

}  // namespace eaglerun::train
