// Verification with a dummy network whose accepted paths are known by construction, and the
// statistical check that multi-round rejection sampling preserves the target distribution (and
// that a wrong rule does not).
#include "core/eagle/verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>

namespace eaglerun {
namespace {

constexpr int64_t V = 6;

// Logits [nodes, V] whose argmax at node i is choice[i].
std::vector<float> logits_with_argmax(const std::vector<int32_t>& choice) {
  std::vector<float> l(choice.size() * V, 0.f);
  for (std::size_t i = 0; i < choice.size(); ++i) l[i * V + choice[i]] = 5.f;
  return l;
}

TEST(VerifyGreedy, AcceptsTheLongestMatchingPathAndTheBonus) {
  DraftTree t(0);
  t.add(0, 1);  // 1
  t.add(0, 2);  // 2
  t.add(1, 3);  // 3
  t.add(2, 4);  // 4
  t.add(4, 5);  // 5
  // Target: after root -> 2, after node 2 -> 4, after node 4 -> 1 (not 5), so path 0,2,4 + bonus 1.
  const auto l = logits_with_argmax({2, 0, 4, 0, 1, 0});
  const Acceptance a = verify_greedy(t, l.data(), V);
  EXPECT_EQ(a.path, (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(a.bonus_token, 1);
}

TEST(VerifyGreedy, RejectsEverythingWhenTheFirstTokenDiffers) {
  DraftTree t(0);
  t.add(0, 1);
  const auto l = logits_with_argmax({3, 0});
  const Acceptance a = verify_greedy(t, l.data(), V);
  EXPECT_EQ(a.path, (std::vector<int32_t>{0}));
  EXPECT_EQ(a.bonus_token, 3);
}

// Empirical distribution of the first emitted token over `trials`, when the draft proposes
// k children drawn without replacement from q and `rule` picks the output token.
using Rule = std::function<int32_t(std::vector<float> p, const std::vector<int32_t>& children,
                                   const std::vector<float>& q, Sampler& s)>;

double chi_square_statistic(const std::vector<float>& p, const std::vector<float>& q, int k, const Rule& rule,
                            int trials, uint64_t seed) {
  Sampler s({.temperature = 1.f, .seed = seed});
  std::vector<int> counts(V, 0);
  for (int i = 0; i < trials; ++i) {
    std::vector<float> left = q;
    std::vector<int32_t> children;
    for (int c = 0; c < k; ++c) {
      const int32_t t = s.draw(left);
      children.push_back(t);
      left[t] = 0.f;
    }
    ++counts[rule(p, children, q, s)];
  }
  double chi2 = 0;
  for (int64_t v = 0; v < V; ++v) {
    const double expected = p[v] * trials;
    if (expected > 0) chi2 += (counts[v] - expected) * (counts[v] - expected) / expected;
    else if (counts[v] > 0) chi2 += 1e9;  // a token the target never produces
  }
  return chi2;
}

int32_t correct_rule(std::vector<float> p, const std::vector<int32_t>& children, const std::vector<float>& q,
                     Sampler& s) {
  const int32_t i = accept_among_children(p, children, q, s);
  return i >= 0 ? children[i] : s.draw(p);
}

// Wrong: on rejection, resample from the unchanged target distribution (no residual).
int32_t no_residual_rule(std::vector<float> p, const std::vector<int32_t>& children, const std::vector<float>& q,
                         Sampler& s) {
  for (int32_t x : children) {
    if (s.uniform() < std::min(1.0, double(p[x]) / q[x])) return x;
  }
  return s.draw(p);
}

// Wrong: accept the first draft token whenever the target gives it any probability.
int32_t greedy_accept_rule(std::vector<float> p, const std::vector<int32_t>& children, const std::vector<float>&,
                           Sampler& s) {
  return p[children[0]] > 0 ? children[0] : s.draw(p);
}

// 5 degrees of freedom: the 99.99th percentile of chi-square is 25.7.
constexpr double kChi2Limit = 25.7;
const std::vector<float> kTarget = {0.35f, 0.25f, 0.2f, 0.1f, 0.07f, 0.03f};
const std::vector<float> kDraft = {0.1f, 0.4f, 0.05f, 0.3f, 0.1f, 0.05f};

TEST(VerifySampling, RecursiveRejectionPreservesTheTargetDistribution) {
  for (int k : {1, 2, 3}) {
    EXPECT_LT(chi_square_statistic(kTarget, kDraft, k, correct_rule, 60000, 11 + k), kChi2Limit) << "k=" << k;
  }
}

TEST(VerifySampling, OneHotDraftsArePreservedToo) {
  // Deterministic proposals (dynamic trees) are verified against a one-hot q.
  Rule one_hot = [](std::vector<float> p, const std::vector<int32_t>& children, const std::vector<float>&,
                    Sampler& s) {
    const int32_t i = accept_among_children(p, children, {}, s);
    return i >= 0 ? children[i] : s.draw(p);
  };
  EXPECT_LT(chi_square_statistic(kTarget, kDraft, 3, one_hot, 60000, 5), kChi2Limit);
}

TEST(VerifySampling, TheStatisticalTestCatchesWrongRules) {
  EXPECT_GT(chi_square_statistic(kTarget, kDraft, 2, no_residual_rule, 60000, 3), kChi2Limit);
  EXPECT_GT(chi_square_statistic(kTarget, kDraft, 1, greedy_accept_rule, 60000, 4), kChi2Limit);
}

TEST(VerifySampling, WholeTreeWithKnownTargetDistributions) {
  // Root with children drawn from the draft; the first emitted token must follow the target.
  const std::vector<float> target_logits = {1.2f, 0.9f, 0.6f, -0.1f, -0.5f, -1.5f};
  Sampler s({.temperature = 1.f, .seed = 99});
  const std::vector<float> p = s.distribution(target_logits);
  std::vector<int> counts(V, 0);
  const int trials = 40000;
  for (int i = 0; i < trials; ++i) {
    DraftTree t(0);
    t.child_distribution[0] = kDraft;
    std::vector<float> left = kDraft;
    for (int c = 0; c < 2; ++c) {
      const int32_t x = s.draw(left);
      left[x] = 0.f;
      t.add(0, x);
    }
    std::vector<float> logits;
    for (int n = 0; n < t.size(); ++n) logits.insert(logits.end(), target_logits.begin(), target_logits.end());
    const Acceptance a = verify_sampling(t, logits.data(), V, s);
    ++counts[a.path.size() > 1 ? t.tokens[a.path[1]] : a.bonus_token];
  }
  double chi2 = 0;
  for (int64_t v = 0; v < V; ++v) chi2 += std::pow(counts[v] - p[v] * trials, 2) / (p[v] * trials);
  EXPECT_LT(chi2, kChi2Limit);
}

// The first token emitted from a root with one child drawn from kDraft and, after it, a child copied
// from the context (DraftTree::with_path): chi-square against the target's distribution. With
// `judged_as_drawn` the copy is verified against kDraft as if it had been drawn from it (wrong).
double copied_child_chi_square(int32_t copied_token, bool judged_as_drawn, int trials, uint64_t seed) {
  const std::vector<float> target_logits = {1.2f, 0.9f, 0.6f, -0.1f, -0.5f, -1.5f};
  Sampler s({.temperature = 1.f, .seed = seed});
  const std::vector<float> p = s.distribution(target_logits);
  std::vector<int> counts(V, 0);
  int copies_tried = 0;
  for (int i = 0; i < trials; ++i) {
    DraftTree drawn(0);
    drawn.child_distribution[0] = kDraft;
    drawn.add(0, s.draw(kDraft));
    DraftTree t = drawn.with_path(std::vector<int32_t>{copied_token});
    if (t.size() == 3) {
      ++copies_tried;
      EXPECT_TRUE(t.from_lookup[2]);
      if (judged_as_drawn) t.from_lookup[2] = false;
    }
    std::vector<float> logits;
    for (int n = 0; n < t.size(); ++n) logits.insert(logits.end(), target_logits.begin(), target_logits.end());
    const Acceptance a = verify_sampling(t, logits.data(), V, s);
    ++counts[a.path.size() > 1 ? t.tokens[a.path[1]] : a.bonus_token];
  }
  EXPECT_GT(copies_tried, trials / 2);  // the drawn child rarely carries the copied token already
  double chi2 = 0;
  for (int64_t v = 0; v < V; ++v) chi2 += std::pow(counts[v] - p[v] * trials, 2) / (p[v] * trials);
  return chi2;
}

TEST(VerifySampling, ACopiedChildAfterDrawnOnesPreservesTheTargetDistribution) {
  for (int32_t copied : {0, 2, 5}) {
    EXPECT_LT(copied_child_chi_square(copied, false, 60000, 21 + copied), kChi2Limit) << "copied token " << copied;
  }
}

TEST(VerifySampling, JudgingACopiedChildAsDrawnIsCaught) {
  // Token 0: the target's likeliest, the draft's 0.1: p/q overstates it when the copy was not drawn.
  EXPECT_GT(copied_child_chi_square(0, true, 60000, 31), kChi2Limit);
}

}  // namespace
}  // namespace eaglerun
