#pragma once
// Causal grouped-query attention over one sequence, forward and backward, for float and double.
//   q: [m, heads * hd]   k, v: [m, kv_heads * hd]   out: [m, heads * hd]
//   query head h reads KV head h / (heads / kv_heads);  s_ij = q_i . k_j / sqrt(hd) for j <= i,
//   p_i = softmax(s_i), out_i = sum_j p_ij v_j.
// The forward saves lse[h, i] = log sum_j exp(s_ij); the backward recomputes p from it (no [m, m]
// matrix is kept between the passes). Work is split over query heads; per-head partial dk/dv are
// summed in head order, so results do not depend on the thread count. double runs plain loops over
// j <= i (the reference); float runs each head as gemm products of whole [m, m] score matrices
// (the masked triangle is zero), which is some 2x the flops but runs at gemm speed.
#include <cstdint>

#include "core/kernels/thread_pool.h"

namespace eaglerun::train {

struct AttentionShape {
  int64_t m = 0;         // tokens
  int64_t heads = 0;     // query heads
  int64_t kv_heads = 0;  // key/value heads
  int64_t head_dim = 0;
};

// out [m, heads * hd], lse [heads, m]
template <typename T>
void attention_forward(const AttentionShape& s, const T* q, const T* k, const T* v, T* out, T* lse, ThreadPool& pool);

// dq, dk, dv += gradients of sum(dout * out). out and lse are the forward's.
template <typename T>
void attention_backward(const AttentionShape& s, const T* q, const T* k, const T* v, const T* out, const T* lse,
                        const T* dout, T* dq, T* dk, T* dv, ThreadPool& pool);

// dk, dv += per-query-head partials dk_h, dv_h [heads, m, hd], each added into its head's KV group in
// head order (so the sums do not depend on how heads were split over threads). The backward passes' last step.
template <typename T>
void add_head_partials(const AttentionShape& s, const T* dk_h, const T* dv_h, T* dk, T* dv, ThreadPool& pool);

template <>
void attention_forward<float>(const AttentionShape& s, const float* q, const float* k, const float* v, float* out,
                              float* lse, ThreadPool& pool);
template <>
void attention_backward<float>(const AttentionShape& s, const float* q, const float* k, const float* v,
                               const float* out, const float* lse, const float* dout, float* dq, float* dk, float* dv,
                               ThreadPool& pool);

}  // namespace eaglerun::train
