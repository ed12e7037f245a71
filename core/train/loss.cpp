#include "core/train/loss.h"

#include <algorithm>
#include <cmath>

#include "core/train/fast_exp.h"
#include "core/train/loss_kernels.h"

namespace eaglerun::train {
namespace {

inline float exp_of(float x) { return fast_exp(x); }
inline double exp_of(double x) { return std::exp(x); }

}  // namespace

template <typename T>
double smooth_l1_row(const T* pred, const T* target, int64_t h, T scale, T* grad) {
  double sum = 0.0;
  const T g = scale / static_cast<T>(h);
  for (int64_t d = 0; d < h; ++d) {
    const T e = pred[d] - target[d];
    const T a = std::abs(e);
    sum += a < T(1) ? 0.5 * static_cast<double>(e) * e : static_cast<double>(a) - 0.5;
    grad[d] += g * (a < T(1) ? e : (e > 0 ? T(1) : T(-1)));
  }
  return sum / static_cast<double>(h);
}

// softmax_row that also returns *pz = sum_i softmax(x)_i x_i (of the input x).
template <typename T>
double softmax_log_sum(T* x, int64_t n, double* pz) {
  const T mx = *std::max_element(x, x + n);
  double sum = 0.0, wsum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const T xi = x[i];
    x[i] = exp_of(xi - mx);
    sum += x[i];
    wsum += static_cast<double>(x[i]) * xi;
  }
  *pz = wsum / sum;
  const T inv = static_cast<T>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
  return std::log(sum) + static_cast<double>(mx);
}

template <typename T>
double softmax_row(T* x, int64_t n) {
  const T mx = *std::max_element(x, x + n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += (x[i] = exp_of(x[i] - mx));
  const T inv = static_cast<T>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
  return std::log(sum) + static_cast<double>(mx);
}

template <typename T>
double soft_cross_entropy_row(T* draft_logits, T* target_logits, int64_t v, T scale, double* entropy) {
  // -sum p log q = -sum p z^ + lse(z^);  H(p) = -sum p z + lse(z)   (sum p = 1)
  double pz_target = 0.0;
  const double lse_target = softmax_log_sum(target_logits, v, &pz_target);
  double pz = 0.0;
  for (int64_t i = 0; i < v; ++i) pz += static_cast<double>(target_logits[i]) * draft_logits[i];
  *entropy = lse_target - pz_target;
  const double lse = softmax_row(draft_logits, v);
  for (int64_t i = 0; i < v; ++i) draft_logits[i] = scale * (draft_logits[i] - target_logits[i]);
  return lse - pz;
}

namespace detail {

double soft_ce_row_generic(float* d, float* t, int64_t v, float scale, double* entropy) {
  float md = d[0], mt = t[0];
  for (int64_t i = 1; i < v; ++i) md = std::max(md, d[i]), mt = std::max(mt, t[i]);
  double st = 0, sd = 0, stz = 0, std_ = 0;  // sums of e_t, e_d, e_t z, e_t z^
  for (int64_t i = 0; i < v; ++i) {
    const float zt = t[i], zd = d[i];
    t[i] = fast_exp(zt - mt), d[i] = fast_exp(zd - md);
    st += t[i], sd += d[i], stz += static_cast<double>(t[i]) * zt, std_ += static_cast<double>(t[i]) * zd;
  }
  const auto inv_t = static_cast<float>(1.0 / st), inv_d = static_cast<float>(1.0 / sd);
  for (int64_t i = 0; i < v; ++i) {
    t[i] *= inv_t;
    d[i] = scale * (d[i] * inv_d - t[i]);
  }
  *entropy = std::log(st) + mt - stz / st;
  return std::log(sd) + md - std_ / st;
}

}  // namespace detail

template <>
double soft_cross_entropy_row<float>(float* d, float* t, int64_t v, float scale, double* entropy) {
  static const detail::SoftCeRow row =
      detail::soft_ce_row_avx512() ? detail::soft_ce_row_avx512() : detail::soft_ce_row_generic;
  return row(d, t, v, scale, entropy);
}

template double smooth_l1_row<float>(const float*, const float*, int64_t, float, float*);
template double smooth_l1_row<double>(const double*, const double*, int64_t, double, double*);
template double softmax_row<float>(float*, int64_t);
template double softmax_row<double>(double*, int64_t);
template double soft_cross_entropy_row<double>(double*, double*, int64_t, double, double*);

}  // namespace eaglerun::train
