#pragma once
// The target's LM head, frozen, as the trainer uses it: dequantised once to fp32 and packed twice
// for the blocked gemm (W^T for logits, W for the input gradient), 2 x V x H x 4 bytes
// (SmolLM2-135M: 2 x 113 MB). It gets no gradient. It may hold a subset of the vocabulary (the
// draft vocabulary): row r is then token tokens[r], and every product spans those rows only.
#include <cstdint>
#include <vector>

#include "core/kernels/thread_pool.h"
#include "core/model/model.h"
#include "core/train/gemm.h"

namespace eaglerun::train {

class FrozenLmHead {
 public:
  // tokens: the rows to keep, in this order (each a token id of the target); empty = all, in id order.
  static FrozenLmHead from_model(const Model& target, ThreadPool& pool, const std::vector<int32_t>& tokens = {});
  // w: [V, H] row-major fp32.
  static FrozenLmHead from_matrix(const float* w, int64_t vocab, int64_t hidden, ThreadPool& pool);

  int64_t vocab() const { return vocab_; }  // rows (V, or the subset's size)
  int64_t hidden() const { return hidden_; }
  float weight(int64_t v, int64_t h) const;  // W[v, h] (v a row)
  int64_t token(int64_t row) const { return tokens_.empty() ? row : tokens_[static_cast<std::size_t>(row)]; }

  // logits[m, V] = x[m, H] · W^T
  void logits(const float* x, int64_t m, float* out, ThreadPool& pool) const;
  void logits(const double* x, int64_t m, double* out, ThreadPool& pool) const;
  // dx[m, H] += dlogits[m, V] · W
  void input_grad(const float* dlogits, int64_t m, float* dx, ThreadPool& pool) const;
  void input_grad(const double* dlogits, int64_t m, double* dx, ThreadPool& pool) const;

 private:
  int64_t vocab_ = 0;
  int64_t hidden_ = 0;
  std::vector<int32_t> tokens_;  // [vocab_] token of each row; empty: row = token
  PackedMatrix w_t_;  // B = W^T [H, V]
  PackedMatrix w_;    // B = W [V, H]
};

}  // namespace eaglerun::train
