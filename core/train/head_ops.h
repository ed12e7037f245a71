#pragma once
// Forward and backward of the head's element-wise and row-wise ops, templated on float (training)
// and double (the reference the gradient tests check against finite differences). Row-major.
// Backward functions ADD into their gradient outputs (dx, dw), so callers zero them first.
#include <cstdint>

namespace eaglerun::train {

// y[i, :] = w * x[i, :] * rstd[i],  rstd[i] = 1 / sqrt(mean(x[i, :]^2) + eps).   x, y: [m, d]; rstd: [m]
template <typename T>
void rmsnorm_forward(const T* x, const T* w, int64_t m, int64_t d, double eps, T* y, T* rstd);
// dx += d/dx, dw += d/dw of sum(dy * y); rows summed into dw in order 0..m-1.
template <typename T>
void rmsnorm_backward(const T* x, const T* w, const T* rstd, const T* dy, int64_t m, int64_t d, T* dx, T* dw);

// Rotary embedding, "rotate half" pairing (dim i with i + head_dim/2), positions 0..m-1:
//   (a, b) -> (a cos - b sin, b cos + a sin),  angle = pos * theta^(-2i/head_dim).
// x: [m, heads * head_dim], in place. The backward rotates the gradient by -angle (the inverse).
template <typename T>
void rope_forward(T* x, int64_t m, int64_t heads, int64_t head_dim, double theta);
template <typename T>
void rope_backward(T* dx, int64_t m, int64_t heads, int64_t head_dim, double theta);

// h = silu(g) * u, silu(g) = g * sigmoid(g).   n elements.
template <typename T>
void silu_mul_forward(const T* g, const T* u, int64_t n, T* h);
// dg += dh * u * silu'(g), du += dh * silu(g); silu'(g) = s (1 + g (1 - s)), s = sigmoid(g).
template <typename T>
void silu_mul_backward(const T* g, const T* u, const T* dh, int64_t n, T* dg, T* du);

}  // namespace eaglerun::train
