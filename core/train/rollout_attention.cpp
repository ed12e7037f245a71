#include "core/train/rollout_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/train/gemm.h"
#include "core/train/row_ops.h"

namespace eaglerun::train {
namespace {

// A strided read-only view, element (r, c) at data[r * rs + c * cs] (MatrixRef for either type).
template <typename T>
struct View {
  const T* data;
  int64_t rows, cols, rs, cs;
  T at(int64_t r, int64_t c) const { return data[r * rs + c * cs]; }
};

// C [a.rows, b.cols] (+)= A B: the blocked gemm for float, plain loops for double (the reference).
void product(const View<float>& a, const View<float>& b, float* c, int64_t ldc, bool accumulate, ThreadPool& pool) {
  gemm(MatrixRef{a.data, a.rows, a.cols, a.rs, a.cs}, MatrixRef{b.data, b.rows, b.cols, b.rs, b.cs}, c, ldc,
       accumulate, pool);
}
void product(const View<double>& a, const View<double>& b, double* c, int64_t ldc, bool accumulate, ThreadPool&) {
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < b.cols; ++j) {
      double s = 0;
      for (int64_t t = 0; t < a.cols; ++t) s += a.at(i, t) * b.at(t, j);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
  }
}

// One query head's view of the keys of depth d: depth 0's rows 0..i-d ("prefix", [m, m] products),
// then one "chain" key per depth e = 1..d at row i - d + e (depth d: this depth's own k, v).
template <typename T>
class HeadKeys {
 public:
  HeadKeys(const AttentionShape& s, const EarlierDepths<T>& earlier, const T* k, const T* v, int64_t h)
      : s_(s), earlier_(earlier), k_(k), v_(v), d_(earlier.depth()),
        offset_((h / (s.heads / s.kv_heads)) * s.head_dim) {}

  int64_t depth() const { return d_; }
  int64_t kv_stride() const { return s_.kv_heads * s_.head_dim; }
  // Depth 0's keys / values of this head's KV group: [m, hd] with row stride kv_stride().
  const T* prefix_keys() const { return earlier_.k[0] + offset_; }
  const T* prefix_values() const { return earlier_.v[0] + offset_; }
  // Query i reads depth-0 rows j <= last_prefix_row(i) (none when negative).
  int64_t last_prefix_row(int64_t i) const { return i - d_; }
  // Chain key e (1..d) of query i, or null where its row is below 0.
  const T* chain_key(int64_t i, int64_t e) const { return chain(e == d_ ? k_ : earlier_.k[e], i, e); }
  const T* chain_value(int64_t i, int64_t e) const { return chain(e == d_ ? v_ : earlier_.v[e], i, e); }

 private:
  const T* chain(const T* base, int64_t i, int64_t e) const {
    const int64_t row = i - d_ + e;
    return row < 0 ? nullptr : base + row * kv_stride() + offset_;
  }

  const AttentionShape& s_;
  const EarlierDepths<T>& earlier_;
  const T *k_, *v_;
  int64_t d_, offset_;
};

// Probabilities of head h: p0 [m, m] over the prefix (0 past each row's last prefix row) and
// pc [m, d] over the chain keys (0 where a key does not exist). Computes lse [m] into fresh_lse
// when that is not null, else reads it from lse.
template <typename T>
void probabilities(const AttentionShape& s, const HeadKeys<T>& keys, const T* q, int64_t h, T* p0, T* pc,
                   T* fresh_lse, const T* lse, ThreadPool& pool) {
  const int64_t m = s.m, hd = s.head_dim, Q = s.heads * hd, d = keys.depth();
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  product(View<T>{q + h * hd, m, hd, Q, 1}, View<T>{keys.prefix_keys(), hd, m, 1, keys.kv_stride()}, p0, m, false,
          pool);
  constexpr T kMissing = -std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < m; ++i) {
    T* row = p0 + i * m;
    T* chain = pc + i * d;
    const int64_t last = keys.last_prefix_row(i);
    for (int64_t j = 0; j <= last; ++j) row[j] *= scale;
    for (int64_t e = 1; e <= d; ++e) {
      const T* key = keys.chain_key(i, e);
      chain[e - 1] = key ? dot(q + i * Q + h * hd, key, hd) * scale : kMissing;
    }
    T row_lse;
    if (fresh_lse) {
      T mx = *std::max_element(chain, chain + d);  // the own key (e = d) always exists
      for (int64_t j = 0; j <= last; ++j) mx = std::max(mx, row[j]);
      double sum = 0;
      for (int64_t j = 0; j <= last; ++j) sum += std::exp(static_cast<double>(row[j] - mx));
      for (int64_t e = 0; e < d; ++e) sum += chain[e] == kMissing ? 0.0 : std::exp(static_cast<double>(chain[e] - mx));
      row_lse = fresh_lse[i] = mx + static_cast<T>(std::log(sum));
    } else {
      row_lse = lse[i];
    }
    for (int64_t j = 0; j <= last; ++j) row[j] = std::exp(row[j] - row_lse);
    std::fill(row + std::max<int64_t>(last + 1, 0), row + m, T(0));
    for (int64_t e = 0; e < d; ++e) chain[e] = chain[e] == kMissing ? T(0) : std::exp(chain[e] - row_lse);
  }
}

}  // namespace

template <typename T>
void rollout_attention_forward(const AttentionShape& s, const EarlierDepths<T>& earlier, const T* q, const T* k,
                               const T* v, T* out, T* lse, ThreadPool& pool) {
  require(earlier.depth() >= 1 && earlier.v.size() == earlier.k.size(),
          "rollout attention: needs the keys and values of depths 0 .. d - 1 (got " + std::to_string(earlier.depth()) +
              ")");
  const int64_t m = s.m, hd = s.head_dim, Q = s.heads * hd, d = earlier.depth();
  pool.parallel_for(s.heads, [&](int64_t h0, int64_t h1) {
    std::vector<T> p0(static_cast<std::size_t>(m * m)), pc(static_cast<std::size_t>(m * d));
    for (int64_t h = h0; h < h1; ++h) {
      const HeadKeys<T> keys(s, earlier, k, v, h);
      probabilities(s, keys, q, h, p0.data(), pc.data(), lse + h * m, static_cast<const T*>(nullptr), pool);
      product(View<T>{p0.data(), m, m, m, 1}, View<T>{keys.prefix_values(), m, hd, keys.kv_stride(), 1}, out + h * hd,
              Q, false, pool);  // P0 V0
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t e = 1; e <= d; ++e) {
          if (const T* value = keys.chain_value(i, e)) axpy(pc[i * d + e - 1], value, out + i * Q + h * hd, hd);
        }
      }
    }
  });
}

template <typename T>
void rollout_attention_backward(const AttentionShape& s, const EarlierDepths<T>& earlier, const T* q, const T* k,
                                const T* v, const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv,
                                ThreadPool& pool) {
  const int64_t m = s.m, hd = s.head_dim, Q = s.heads * hd, d = earlier.depth();
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  // Per query head: the own keys' dk, dv partials [heads, m, hd].
  std::vector<T> dk_h(static_cast<std::size_t>(s.heads * m * hd), T(0)), dv_h(dk_h.size(), T(0));
  pool.parallel_for(s.heads, [&](int64_t h0, int64_t h1) {
    std::vector<T> p0(static_cast<std::size_t>(m * m)), ds0(p0.size()), pc(static_cast<std::size_t>(m * d));
    for (int64_t h = h0; h < h1; ++h) {
      const HeadKeys<T> keys(s, earlier, k, v, h);
      probabilities(s, keys, q, h, p0.data(), pc.data(), static_cast<T*>(nullptr), lse + h * m, pool);
      product(View<T>{dout + h * hd, m, hd, Q, 1}, View<T>{keys.prefix_values(), hd, m, 1, keys.kv_stride()},
              ds0.data(), m, false, pool);  // dP0 = dO V0^T
      for (int64_t i = 0; i < m; ++i) {
        const T* doi = dout + i * Q + h * hd;
        const T D = dot(doi, out + i * Q + h * hd, hd);  // sum over keys of p dP
        for (int64_t j = 0; j < m; ++j) ds0[i * m + j] = p0[i * m + j] * (ds0[i * m + j] - D) * scale;
        T* dqi = dq + i * Q + h * hd;
        for (int64_t e = 1; e <= d; ++e) {
          const T* value = keys.chain_value(i, e);
          if (!value) continue;
          const T p = pc[i * d + e - 1];
          const T ds = p * (dot(doi, value, hd) - D) * scale;
          axpy(ds, keys.chain_key(i, e), dqi, hd);
          if (e == d) {  // this depth's own key: the only one with a gradient
            axpy(ds, q + i * Q + h * hd, dk_h.data() + (h * m + i) * hd, hd);
            axpy(p, doi, dv_h.data() + (h * m + i) * hd, hd);
          }
        }
      }
      product(View<T>{ds0.data(), m, m, m, 1}, View<T>{keys.prefix_keys(), m, hd, keys.kv_stride(), 1}, dq + h * hd, Q,
              true, pool);  // dQ += dS0 K0
    }
  });
  add_head_partials(s, dk_h.data(), dv_h.data(), dk, dv, pool);
}

template void rollout_attention_forward<float>(const AttentionShape&, const EarlierDepths<float>&, const float*,
                                               const float*, const float*, float*, float*, ThreadPool&);
template void rollout_attention_forward<double>(const AttentionShape&, const EarlierDepths<double>&, const double*,
                                                const double*, const double*, double*, double*, ThreadPool&);
template void rollout_attention_backward<float>(const AttentionShape&, const EarlierDepths<float>&, const float*,
                                                const float*, const float*, const float*, const float*, const float*,
                                                float*, float*, float*, ThreadPool&);
template void rollout_attention_backward<double>(const AttentionShape&, const EarlierDepths<double>&, const double*,
                                                 const double*, const double*, const double*, const double*,
                                                 const double*, double*, double*, double*, ThreadPool&);

}  // namespace eaglerun::train
