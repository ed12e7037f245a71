#include "core/eagle/verifier.h"

#include <algorithm>

#include "core/error.h"
#include "core/kernels/ops.h"

namespace eaglerun {
namespace {

// p <- normalise(max(0, p - q)); q given as a full vector, or one-hot at `token` when q is empty.
void subtract_and_normalise(std::vector<float>& p, const std::vector<float>& q, int32_t token) {
  if (q.empty()) {
    p[token] = 0.f;
  } else {
    for (std::size_t v = 0; v < p.size(); ++v) p[v] = std::max(0.f, p[v] - q[v]);
  }
  double sum = 0;
  for (float v : p) sum += v;
  if (sum <= 0) return;  // cannot happen after a rejection (p(x) < q(x) leaves mass elsewhere)
  for (float& v : p) v = static_cast<float>(v / sum);
}

// q without `token`, renormalised (the draft drew children without replacement).
void remove_and_normalise(std::vector<float>& q, int32_t token) {
  const float removed = q[token];
  q[token] = 0.f;
  if (removed >= 1.f) return;
  for (float& v : q) v /= (1.f - removed);
}

}  // namespace

int32_t accept_among_children(std::vector<float>& p, const std::vector<int32_t>& child_tokens,
                              const std::vector<float>& draft_distribution, Sampler& sampler) {
  std::vector<float> q = draft_distribution;
  for (std::size_t i = 0; i < child_tokens.size(); ++i) {
    const int32_t x = child_tokens[i];
    const double qx = q.empty() ? 1.0 : q[x];
    const double ratio = qx > 0 ? p[x] / qx : 0.0;
    if (sampler.uniform() < ratio) return static_cast<int32_t>(i);
    subtract_and_normalise(p, q, x);
    if (!q.empty()) remove_and_normalise(q, x);
  }
  return -1;
}

namespace {

// Walks from the root: at node u the target's token is y = target_token(u); a child of u carrying y
// is accepted and the walk continues from it, else y is the bonus token.
template <class TargetToken>
Acceptance walk_greedy(const DraftTree& tree, TargetToken target_token) {
  const auto children = tree.children();
  Acceptance a{{0}, -1};
  for (int32_t u = 0;;) {
    const int32_t y = target_token(u);
    int32_t next = -1;
    for (int32_t c : children[u]) {
      if (tree.tokens[c] == y) {
        next = c;
        break;
      }
    }
    if (next < 0) {
      a.bonus_token = y;
      return a;
    }
    a.path.push_back(next);
    u = next;
  }
}

}  // namespace

Acceptance verify_greedy(const DraftTree& tree, const float* logits, int64_t vocab) {
  return walk_greedy(tree, [&](int32_t u) { return static_cast<int32_t>(argmax(logits + u * vocab, vocab)); });
}

Acceptance verify_greedy_argmax(const DraftTree& tree, const std::vector<int32_t>& argmax) {
  require(static_cast<int32_t>(argmax.size()) == tree.size(), "one target token per tree node is needed");
  return walk_greedy(tree, [&](int32_t u) { return argmax[u]; });
}

Acceptance verify_sampling(const DraftTree& tree, const float* logits, int64_t vocab, Sampler& sampler,
                           ChildAcceptRule rule) {
  const auto children = tree.children();
  Acceptance a{{0}, -1};
  for (int32_t u = 0;;) {
    const auto row = std::span(logits + u * vocab, static_cast<std::size_t>(vocab));
    if (children[u].empty()) {
      // A leaf (every draft on its path accepted): the bonus token is a plain draw from the target's
      // distribution, which sample() makes with the same uniform and token as draw(distribution())
      // but without the exact rank-order mass.
      a.bonus_token = sampler.sample(row);
      return a;
    }
    // The exact distribution to within one ulp (sampler.h): the rank-order mass would cost more
    // than the rest of a small model's verification step.
    std::vector<float> p(row.size());
    sampler.distribution_within_ulp(row, p);
    // The drafter's children first (drawn from the node's draft distribution, or one-hot), then a
    // copy from the context (one-hot) against what the drafter's rejections left of p.
    std::vector<int32_t> drafted, copied;
    for (int32_t c : children[u]) (tree.from_lookup[c] ? copied : drafted).push_back(c);
    auto try_children = [&](const std::vector<int32_t>& nodes, const std::vector<float>& q) {
      if (nodes.empty()) return -1;
      std::vector<int32_t> child_tokens;
      for (int32_t c : nodes) child_tokens.push_back(tree.tokens[c]);
      const int32_t chosen = rule(p, child_tokens, q, sampler);
      return chosen < 0 ? -1 : nodes[chosen];
    };
    int32_t next = try_children(drafted, tree.child_distribution[u]);
    if (next < 0) next = try_children(copied, {});
    if (next < 0) {
      a.bonus_token = sampler.draw(p);
      return a;
    }
    u = next;
    a.path.push_back(u);
  }
}

}  // namespace eaglerun
