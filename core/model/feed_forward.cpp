#include "core/model/feed_forward.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/kernels/ops.h"

namespace eaglerun {
namespace {

struct Route {
  int64_t token;
  float weight;
};

// routes[e] = the tokens sent to expert e with their renormalised routing weights.
std::vector<std::vector<Route>> route_tokens(const float* router_logits, int64_t n, int64_t E, int64_t k) {
  std::vector<std::vector<Route>> routes(static_cast<std::size_t>(E));
  std::vector<float> p(static_cast<std::size_t>(E));
  std::vector<int64_t> order(static_cast<std::size_t>(E));
  for (int64_t t = 0; t < n; ++t) {
    std::copy_n(router_logits + t * E, E, p.begin());
    softmax(p.data(), E);
    std::iota(order.begin(), order.end(), 0);
    // Highest probability first; the lower expert index wins ties (as torch.topk does on CPU).
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    float sum = 0.f;
    for (int64_t r = 0; r < k; ++r) sum += p[order[r]];
    for (int64_t r = 0; r < k; ++r) routes[order[r]].push_back({t, p[order[r]] / sum});
  }
  return routes;
}

}  // namespace

void swiglu(const FeedForwardWeights& w, const float* x, int64_t n, float* out, Precision precision, ThreadPool& pool) {
  const int64_t I = w.gate.rows();
  std::vector<float> gate(static_cast<std::size_t>(n * I)), up(static_cast<std::size_t>(n * I));
  matmul(w.gate, x, n, gate.data(), precision, pool);
  matmul(w.up, x, n, up.data(), precision, pool);
  silu_mul(gate.data(), up.data(), n * I, gate.data());
  matmul(w.down, gate.data(), n, out, precision, pool);
}

void sparse_moe(const LayerWeights& w, const ModelConfig& c, const float* x, int64_t n, float* out,
                Precision precision, ThreadPool& pool) {
  const int64_t H = c.hidden_size, E = c.n_experts;
  std::vector<float> router_logits(static_cast<std::size_t>(n * E));
  matmul(w.router, x, n, router_logits.data(), precision, pool);
  const auto routes = route_tokens(router_logits.data(), n, E, c.n_experts_per_token);
  std::fill(out, out + n * H, 0.f);
  std::vector<float> xs, ys;
  for (int64_t e = 0; e < E; ++e) {
    const auto& r = routes[e];
    if (r.empty() || w.experts[e].gate.data == nullptr) continue;  // unrouted, or held by another rank
    const auto m = static_cast<int64_t>(r.size());
    xs.resize(static_cast<std::size_t>(m * H));
    ys.resize(static_cast<std::size_t>(m * H));
    for (int64_t i = 0; i < m; ++i) std::copy_n(x + r[i].token * H, H, xs.begin() + i * H);
    swiglu(w.experts[e], xs.data(), m, ys.data(), precision, pool);
    for (int64_t i = 0; i < m; ++i) {
      float* o = out + r[i].token * H;
      for (int64_t d = 0; d < H; ++d) o[d] += r[i].weight * ys[i * H + d];
    }
  }
}

}  // namespace eaglerun
