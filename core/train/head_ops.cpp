#include "core/train/head_ops.h"

#include <cmath>
#include <vector>

namespace eaglerun::train {
namespace {

// cos/sin [m, half] of pos * theta^(-2i/head_dim), in double, then rounded to T (as the inference rope).
template <typename T>
void rope_tables(int64_t m, int64_t half, double theta, std::vector<T>& c, std::vector<T>& s) {
  c.resize(static_cast<std::size_t>(m * half));
  s.resize(c.size());
  for (int64_t i = 0; i < half; ++i) {
    const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(2 * half));
    for (int64_t p = 0; p < m; ++p) {
      c[p * half + i] = static_cast<T>(std::cos(static_cast<double>(p) * inv_freq));
      s[p * half + i] = static_cast<T>(std::sin(static_cast<double>(p) * inv_freq));
    }
  }
}

// sign = +1: forward rotation; -1: the inverse.
template <typename T>
void rope_apply(T* x, int64_t m, int64_t heads, int64_t head_dim, double theta, T sign) {
  const int64_t half = head_dim / 2;
  std::vector<T> c, s;
  rope_tables(m, half, theta, c, s);
  for (int64_t p = 0; p < m; ++p) {
    const T* cp = c.data() + p * half;
    const T* sp = s.data() + p * half;
    for (int64_t h = 0; h < heads; ++h) {
      T* a = x + (p * heads + h) * head_dim;
      T* b = a + half;
      for (int64_t i = 0; i < half; ++i) {
        const T a0 = a[i], b0 = b[i], sn = sign * sp[i];
        a[i] = a0 * cp[i] - b0 * sn;
        b[i] = b0 * cp[i] + a0 * sn;
      }
    }
  }
}

template <typename T>
T sigmoid(T g) {
  return T(1) / (T(1) + std::exp(-g));
}

}  // namespace

template <typename T>
void rmsnorm_forward(const T* x, const T* w, int64_t m, int64_t d, double eps, T* y, T* rstd) {
  for (int64_t i = 0; i < m; ++i) {
    const T* xi = x + i * d;
    double sum_sq = 0.0;
    for (int64_t j = 0; j < d; ++j) sum_sq += static_cast<double>(xi[j]) * xi[j];
    const T r = static_cast<T>(1.0 / std::sqrt(sum_sq / static_cast<double>(d) + eps));
    rstd[i] = r;
    for (int64_t j = 0; j < d; ++j) y[i * d + j] = w[j] * (xi[j] * r);
  }
}

template <typename T>
void rmsnorm_backward(const T* x, const T* w, const T* rstd, const T* dy, int64_t m, int64_t d, T* dx, T* dw) {
  for (int64_t i = 0; i < m; ++i) {
    const T* xi = x + i * d;
    const T* dyi = dy + i * d;
    const T r = rstd[i];
    double dot = 0.0;  // sum_j w_j dy_j x_j
    for (int64_t j = 0; j < d; ++j) dot += static_cast<double>(w[j]) * dyi[j] * xi[j];
    const T k = static_cast<T>(dot * static_cast<double>(r) * r * r / static_cast<double>(d));
    for (int64_t j = 0; j < d; ++j) {
      dx[i * d + j] += w[j] * dyi[j] * r - xi[j] * k;
      dw[j] += dyi[j] * xi[j] * r;
    }
  }
}

template <typename T>
void rope_forward(T* x, int64_t m, int64_t heads, int64_t head_dim, double theta) {
  rope_apply(x, m, heads, head_dim, theta, T(1));
}

template <typename T>
void rope_backward(T* dx, int64_t m, int64_t heads, int64_t head_dim, double theta) {
  rope_apply(dx, m, heads, head_dim, theta, T(-1));
}

template <typename T>
void silu_mul_forward(const T* g, const T* u, int64_t n, T* h) {
  for (int64_t i = 0; i < n; ++i) h[i] = g[i] * sigmoid(g[i]) * u[i];
}

template <typename T>
void silu_mul_backward(const T* g, const T* u, const T* dh, int64_t n, T* dg, T* du) {
  for (int64_t i = 0; i < n; ++i) {
    const T s = sigmoid(g[i]);
    dg[i] += dh[i] * u[i] * s * (T(1) + g[i] * (T(1) - s));
    du[i] += dh[i] * g[i] * s;
  }
}

#define EAGLERUN_INSTANTIATE(T)                                                                           \
  template void rmsnorm_forward<T>(const T*, const T*, int64_t, int64_t, double, T*, T*);                \
  template void rmsnorm_backward<T>(const T*, const T*, const T*, const T*, int64_t, int64_t, T*, T*);   \
  template void rope_forward<T>(T*, int64_t, int64_t, int64_t, double);                                  \
  template void rope_backward<T>(T*, int64_t, int64_t, int64_t, double);                                 \
  template void silu_mul_forward<T>(const T*, const T*, int64_t, T*);                                    \
  template void silu_mul_backward<T>(const T*, const T*, const T*, int64_t, T*, T*);
EAGLERUN_INSTANTIATE(float)
EAGLERUN_INSTANTIATE(double)
#undef EAGLERUN_INSTANTIATE

}  // namespace eaglerun::train
