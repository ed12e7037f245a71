#pragma once
// The three products of a linear layer y = x W^T, for float (the fast blocked gemm) and double
// (plain loops: the reference path the gradient tests run in).
//   x [m, k], W [n, k] row-major, y [m, n].
#include <cstdint>

#include "core/kernels/thread_pool.h"
#include "core/train/gemm.h"

namespace eaglerun::train {

// y[m, n] (+)= x[m, k] · W[n, k]^T
inline void linear_forward(const float* x, const float* w, int64_t m, int64_t n, int64_t k, float* y, bool acc,
                           ThreadPool& pool) {
  gemm_xwt(x, w, m, n, k, y, acc, pool);
}
// dx[m, k] (+)= dy[m, n] · W[n, k]
inline void linear_input_grad(const float* dy, const float* w, int64_t m, int64_t n, int64_t k, float* dx, bool acc,
                              ThreadPool& pool) {
  gemm_dyw(dy, w, m, n, k, dx, acc, pool);
}
// dW[n, k] (+)= dy[m, n]^T · x[m, k]
inline void linear_weight_grad(const float* dy, const float* x, int64_t m, int64_t n, int64_t k, float* dw, bool acc,
                               ThreadPool& pool) {
  gemm_dytx(dy, x, m, n, k, dw, acc, pool);
}

inline void linear_forward(const double* x, const double* w, int64_t m, int64_t n, int64_t k, double* y, bool acc,
                           ThreadPool&) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += x[i * k + t] * w[j * k + t];
      y[i * n + j] = acc ? y[i * n + j] + s : s;
    }
  }
}
inline void linear_input_grad(const double* dy, const double* w, int64_t m, int64_t n, int64_t k, double* dx,
                              bool acc, ThreadPool&) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t t = 0; t < k; ++t) {
      double s = 0;
      for (int64_t j = 0; j < n; ++j) s += dy[i * n + j] * w[j * k + t];
      dx[i * k + t] = acc ? dx[i * k + t] + s : s;
    }
  }
}
inline void linear_weight_grad(const double* dy, const double* x, int64_t m, int64_t n, int64_t k, double* dw,
                               bool acc, ThreadPool&) {
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t t = 0; t < k; ++t) {
      double s = 0;
      for (int64_t i = 0; i < m; ++i) s += dy[i * n + j] * x[i * k + t];
      dw[j * k + t] = acc ? dw[j * k + t] + s : s;
    }
  }
}

}  // namespace eaglerun::train
