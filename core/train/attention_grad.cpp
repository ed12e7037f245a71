#include "core/train/attention_grad.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/train/gemm.h"
#include "core/train/row_ops.h"

namespace eaglerun::train {
namespace {

// Scores of query row i of head h against keys 0..i (scaled), into s[0..i].
template <typename T>
void scores(const AttentionShape& sh, const T* q, const T* k, int64_t h, int64_t i, T scale, T* s) {
  const int64_t hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  const int64_t g = h / (sh.heads / sh.kv_heads);
  const T* qi = q + i * Q + h * hd;
  for (int64_t j = 0; j <= i; ++j) s[j] = dot(qi, k + j * K + g * hd, hd) * scale;
}

}  // namespace

template <typename T>
void attention_forward(const AttentionShape& sh, const T* q, const T* k, const T* v, T* out, T* lse,
                       ThreadPool& pool) {
  const int64_t m = sh.m, hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  pool.parallel_for(sh.heads, [&](int64_t h0, int64_t h1) {
    std::vector<T> s(static_cast<std::size_t>(m));
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / (sh.heads / sh.kv_heads);
      for (int64_t i = 0; i < m; ++i) {
        scores(sh, q, k, h, i, scale, s.data());
        const T mx = *std::max_element(s.begin(), s.begin() + i + 1);
        T sum = 0;
        for (int64_t j = 0; j <= i; ++j) sum += (s[j] = std::exp(s[j] - mx));
        T* o = out + i * Q + h * hd;
        std::fill(o, o + hd, T(0));
        for (int64_t j = 0; j <= i; ++j) axpy(s[j] / sum, v + j * K + g * hd, o, hd);
        lse[h * m + i] = mx + std::log(sum);
      }
    }
  });
}

template <typename T>
void attention_backward(const AttentionShape& sh, const T* q, const T* k, const T* v, const T* out, const T* lse,
                        const T* dout, T* dq, T* dk, T* dv, ThreadPool& pool) {
  const int64_t m = sh.m, hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  const int64_t group = sh.heads / sh.kv_heads;
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  // Per query head: dk, dv partials [heads, m, hd].
  std::vector<T> dk_h(static_cast<std::size_t>(sh.heads * m * hd), T(0)), dv_h(dk_h.size(), T(0));
  pool.parallel_for(sh.heads, [&](int64_t h0, int64_t h1) {
    std::vector<T> p(static_cast<std::size_t>(m));
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / group;
      T* dkh = dk_h.data() + h * m * hd;
      T* dvh = dv_h.data() + h * m * hd;
      for (int64_t i = 0; i < m; ++i) {
        scores(sh, q, k, h, i, scale, p.data());
        const T* doi = dout + i * Q + h * hd;
        const T D = dot(doi, out + i * Q + h * hd, hd);  // sum_j p_ij dP_ij
        T* dqi = dq + i * Q + h * hd;
        for (int64_t j = 0; j <= i; ++j) {
          const T pij = std::exp(p[j] - lse[h * m + i]);
          const T ds = pij * (dot(doi, v + j * K + g * hd, hd) - D) * scale;
          axpy(pij, doi, dvh + j * hd, hd);
          axpy(ds, k + j * K + g * hd, dqi, hd);
          axpy(ds, q + i * Q + h * hd, dkh + j * hd, hd);
        }
      }
    }
  });
  add_head_partials(sh, dk_h.data(), dv_h.data(), dk, dv, pool);
}

template <typename T>
void add_head_partials(const AttentionShape& s, const T* dk_h, const T* dv_h, T* dk, T* dv, ThreadPool& pool) {
  const int64_t m = s.m, hd = s.head_dim, K = s.kv_heads * hd, group = s.heads / s.kv_heads;
  pool.parallel_for(m, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t h = 0; h < s.heads; ++h) {
        axpy(T(1), dk_h + (h * m + i) * hd, dk + i * K + (h / group) * hd, hd);
        axpy(T(1), dv_h + (h * m + i) * hd, dv + i * K + (h / group) * hd, hd);
      }
    }
  });
}

// fp32: the same computation as products of whole [m, m] score matrices through the blocked gemm
// (the masked upper triangle is zero in P and dS, so it adds nothing), one head per task.
namespace {

using MR = MatrixRef;

// S = scale * Q_h K_g^T, then P = exp(S - lse) on j <= i, 0 above. Computes lse[m] into fresh_lse
// when that is not null, else reads it from lse.
void attention_probs(const AttentionShape& sh, const float* q, const float* k, int64_t h, float* p,
                     float* fresh_lse, const float* lse, ThreadPool& pool) {
  const int64_t m = sh.m, hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  const int64_t g = h / (sh.heads / sh.kv_heads);
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  gemm(MR{q + h * hd, m, hd, Q, 1}, MR{k + g * hd, hd, m, 1, K}, p, m, false, pool);
  for (int64_t i = 0; i < m; ++i) {
    float* row = p + i * m;
    if (fresh_lse) {
      float mx = -3.0e38f;
      for (int64_t j = 0; j <= i; ++j) mx = std::max(mx, row[j] *= scale);
      double sum = 0;
      for (int64_t j = 0; j <= i; ++j) sum += std::exp(row[j] - mx);
      fresh_lse[i] = mx + static_cast<float>(std::log(sum));
      for (int64_t j = 0; j <= i; ++j) row[j] = std::exp(row[j] - fresh_lse[i]);
    } else {
      for (int64_t j = 0; j <= i; ++j) row[j] = std::exp(row[j] * scale - lse[i]);
    }
    std::fill(row + i + 1, row + m, 0.f);
  }
}

}  // namespace

template <>
void attention_forward<float>(const AttentionShape& sh, const float* q, const float* k, const float* v, float* out,
                              float* lse, ThreadPool& pool) {
  const int64_t m = sh.m, hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  pool.parallel_for(sh.heads, [&](int64_t h0, int64_t h1) {
    std::vector<float> p(static_cast<std::size_t>(m * m));
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / (sh.heads / sh.kv_heads);
      attention_probs(sh, q, k, h, p.data(), lse + h * m, nullptr, pool);
      gemm(MR{p.data(), m, m, m, 1}, MR{v + g * hd, m, hd, K, 1}, out + h * hd, Q, false, pool);  // P V
    }
  });
}

template <>
void attention_backward<float>(const AttentionShape& sh, const float* q, const float* k, const float* v,
                               const float* out, const float* lse, const float* dout, float* dq, float* dk, float* dv,
                               ThreadPool& pool) {
  const int64_t m = sh.m, hd = sh.head_dim, Q = sh.heads * hd, K = sh.kv_heads * hd;
  const int64_t group = sh.heads / sh.kv_heads;
  const float scale = 1.f / std::sqrt(static_cast<float>(hd));
  std::vector<float> dk_h(static_cast<std::size_t>(sh.heads * m * hd)), dv_h(dk_h.size());
  pool.parallel_for(sh.heads, [&](int64_t h0, int64_t h1) {
    std::vector<float> p(static_cast<std::size_t>(m * m)), ds(p.size());
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / group;
      attention_probs(sh, q, k, h, p.data(), nullptr, lse + h * m, pool);
      const MR dout_h{dout + h * hd, m, hd, Q, 1};
      gemm(dout_h, MR{v + g * hd, hd, m, 1, K}, ds.data(), m, false, pool);  // dP = dO V^T
      for (int64_t i = 0; i < m; ++i) {  // dS = P (dP - D) scale,  D_i = dO_i . O_i
        const float D = dot(dout + i * Q + h * hd, out + i * Q + h * hd, hd);
        for (int64_t j = 0; j < m; ++j) ds[i * m + j] = p[i * m + j] * (ds[i * m + j] - D) * scale;
      }
      gemm(MR{ds.data(), m, m, m, 1}, MR{k + g * hd, m, hd, K, 1}, dq + h * hd, Q, true, pool);  // dQ += dS K
      gemm(MR{ds.data(), m, m, 1, m}, MR{q + h * hd, m, hd, Q, 1}, dk_h.data() + h * m * hd, hd, false,
           pool);                                                                                 // dS^T Q
      gemm(MR{p.data(), m, m, 1, m}, dout_h, dv_h.data() + h * m * hd, hd, false, pool);           // P^T dO
    }
  });
  add_head_partials(sh, dk_h.data(), dv_h.data(), dk, dv, pool);
}

template void add_head_partials<float>(const AttentionShape&, const float*, const float*, float*, float*, ThreadPool&);
template void add_head_partials<double>(const AttentionShape&, const double*, const double*, double*, double*,
                                        ThreadPool&);
template void attention_forward<double>(const AttentionShape&, const double*, const double*, const double*, double*,
                                        double*, ThreadPool&);
template void attention_backward<double>(const AttentionShape&, const double*, const double*, const double*,
                                         const double*, const double*, const double*, double*, double*, double*,
                                         ThreadPool&);

}  // namespace eaglerun::train
