#include "core/model/feed_forward.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/kernels/ops.h"  // softmax of the router logits

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

void swiglu(const FeedForwardWeights& w, const float* x, int64_t n, float* out, Backend& backend) {
  const int64_t I = w.gate.rows();
  const DeviceBuffer gate = allocate_floats(backend, n * I), up = allocate_floats(backend, n * I);
  const MatmulTarget gate_up[] = {{&w.gate, gate.as<float>()}, {&w.up, up.as<float>()}};
  backend.matmul_many(gate_up, x, n);
  backend.silu_mul(gate.as<float>(), up.as<float>(), n * I, gate.as<float>());
  backend.matmul(w.down, gate.as<float>(), n, out);
}

void sparse_moe(const LayerWeights& w, const ModelConfig& c, const float* x, int64_t n, float* out, Backend& backend) {
  const int64_t H = c.hidden_size, E = c.n_experts;
  const DeviceBuffer router = allocate_floats(backend, n * E);
  backend.matmul(w.router, x, n, router.as<float>());
  std::vector<float> router_logits(static_cast<std::size_t>(n * E));  // [n, E] on the host: routing is a few values
  backend.download(router_logits.data(), router.data(), router.bytes());
  const auto routes = route_tokens(router_logits.data(), n, E, c.n_experts_per_token);
  backend.zero(out, n * H * static_cast<int64_t>(sizeof(float)));
  std::vector<int64_t> tokens;
  std::vector<float> weights;
  for (int64_t e = 0; e < E; ++e) {
    const auto& r = routes[e];
    if (r.empty() || w.experts[e].gate.data == nullptr) continue;  // unrouted, or held by another rank
    const auto m = static_cast<int64_t>(r.size());
    tokens.clear();
    weights.clear();
    for (const Route& route : r) tokens.push_back(route.token), weights.push_back(route.weight);
    const DeviceBuffer xs = allocate_floats(backend, m * H), ys = allocate_floats(backend, m * H);
    backend.gather_rows(x, tokens, H, xs.as<float>());
    swiglu(w.experts[e], xs.as<float>(), m, ys.as<float>(), backend);
    backend.add_weighted_rows(out, tokens, weights, ys.as<float>(), H);
  }
}

}  // namespace eaglerun
