#include "core/train/frozen_lm_head.h"

#include "core/error.h"
#include "core/kernels/matmul.h"

namespace eaglerun::train {

FrozenLmHead FrozenLmHead::from_model(const Model& target, ThreadPool& pool, const std::vector<int32_t>& tokens) {
  const TensorView& w = target.weights().lm_head;  // [V, H], any dtype
  const int64_t V = w.shape.at(0), H = w.shape.at(1);
  for (int32_t t : tokens) require(t >= 0 && t < V, "LM head: token " + std::to_string(t) + " outside the vocabulary");
  const int64_t n = tokens.empty() ? V : static_cast<int64_t>(tokens.size());
  std::vector<float> rows(static_cast<std::size_t>(n * H));
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      dequantize_row(w, tokens.empty() ? r : tokens[static_cast<std::size_t>(r)], rows.data() + r * H);
    }
  });
  FrozenLmHead head = from_matrix(rows.data(), n, H, pool);
  head.tokens_ = tokens;
  return head;
}

FrozenLmHead FrozenLmHead::from_matrix(const float* w, int64_t vocab, int64_t hidden, ThreadPool& pool) {
  FrozenLmHead head;
  head.vocab_ = vocab;
  head.hidden_ = hidden;
  head.w_t_ = PackedMatrix::pack(MatrixRef::transposed(w, vocab, hidden), pool);
  head.w_ = PackedMatrix::pack(MatrixRef::row_major(w, vocab, hidden), pool);
  return head;
}

float FrozenLmHead::weight(int64_t v, int64_t h) const {
  return w_.panel(h / kGemmNr)[v * kGemmNr + h % kGemmNr];
}

void FrozenLmHead::logits(const float* x, int64_t m, float* out, ThreadPool& pool) const {
  gemm(MatrixRef::row_major(x, m, hidden_), w_t_, out, vocab_, false, pool);
}

void FrozenLmHead::input_grad(const float* dlogits, int64_t m, float* dx, ThreadPool& pool) const {
  gemm(MatrixRef::row_major(dlogits, m, vocab_), w_, dx, hidden_, true, pool);
}

void FrozenLmHead::logits(const double* x, int64_t m, double* out, ThreadPool&) const {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t v = 0; v < vocab_; ++v) {
      double s = 0;
      for (int64_t h = 0; h < hidden_; ++h) s += x[i * hidden_ + h] * static_cast<double>(weight(v, h));
      out[i * vocab_ + v] = s;
    }
  }
}

void FrozenLmHead::input_grad(const double* dlogits, int64_t m, double* dx, ThreadPool&) const {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t h = 0; h < hidden_; ++h) {
      double s = 0;
      for (int64_t v = 0; v < vocab_; ++v) s += dlogits[i * vocab_ + v] * static_cast<double>(weight(v, h));
      dx[i * hidden_ + h] += s;
    }
  }
}

}  // namespace eaglerun::train
