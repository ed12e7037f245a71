// The rolled-out depths' attention (rollout_attention.h): with every depth's keys equal it is causal
// attention; each query reads exactly the keys of its chain (a brute-force reference with explicit
// key lists); its backward against central finite differences in double; fp32 against double; fp32
// bit-identical for 1 and 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/train/attention_grad.h"
#include "core/train/rollout_attention.h"
#include "tests/train/grad_check.h"

namespace eaglerun::train {
namespace {

using test::dot;
using test::expect_gradient;
using test::random_doubles;

// depth d's inputs: q, own k and v, and the earlier depths' k and v, all random.
struct Inputs {
  AttentionShape s;
  std::vector<double> q, k, v;
  std::vector<std::vector<double>> earlier_k, earlier_v;  // [d]

  Inputs(const AttentionShape& shape, int64_t d, uint64_t seed) : s(shape) {
    const int64_t Q = s.heads * s.head_dim, K = s.kv_heads * s.head_dim;
    q = random_doubles(s.m * Q, seed);
    k = random_doubles(s.m * K, seed + 1);
    v = random_doubles(s.m * K, seed + 2);
    for (int64_t e = 0; e < d; ++e) {
      earlier_k.push_back(random_doubles(s.m * K, seed + 10 + e));
      earlier_v.push_back(random_doubles(s.m * K, seed + 20 + e));
    }
  }
  EarlierDepths<double> earlier() const {
    EarlierDepths<double> out;
    for (std::size_t e = 0; e < earlier_k.size(); ++e) {
      out.k.push_back(earlier_k[e].data());
      out.v.push_back(earlier_v[e].data());
    }
    return out;
  }
};

// The definition, query by query: the list of (key, value) rows it reads, softmax, weighted sum.
std::vector<double> brute_force(const Inputs& in) {
  const AttentionShape& s = in.s;
  const int64_t hd = s.head_dim, Q = s.heads * hd, K = s.kv_heads * hd;
  const auto d = static_cast<int64_t>(in.earlier_k.size());
  std::vector<double> out(static_cast<std::size_t>(s.m * Q), 0.0);
  for (int64_t h = 0; h < s.heads; ++h) {
    const int64_t off = (h / (s.heads / s.kv_heads)) * hd;
    for (int64_t i = 0; i < s.m; ++i) {
      std::vector<std::pair<const double*, const double*>> reads;
      for (int64_t j = 0; j <= i - d; ++j) reads.push_back({&in.earlier_k[0][j * K + off], &in.earlier_v[0][j * K + off]});
      for (int64_t e = 1; e < d; ++e) {
        const int64_t row = i - d + e;
        if (row >= 0) reads.push_back({&in.earlier_k[e][row * K + off], &in.earlier_v[e][row * K + off]});
      }
      reads.push_back({&in.k[i * K + off], &in.v[i * K + off]});
      std::vector<double> score;
      double mx = -1e300, sum = 0;
      for (const auto& [key, value] : reads) {
        double sc = 0;
        for (int64_t t = 0; t < hd; ++t) sc += in.q[i * Q + h * hd + t] * key[t];
        score.push_back(sc / std::sqrt(static_cast<double>(hd)));
        mx = std::max(mx, score.back());
      }
      for (double& sc : score) sum += (sc = std::exp(sc - mx));
      for (std::size_t r = 0; r < reads.size(); ++r) {
        for (int64_t t = 0; t < hd; ++t) out[i * Q + h * hd + t] += score[r] / sum * reads[r].second[t];
      }
    }
  }
  return out;
}

TEST(RolloutAttention, EachQueryReadsThePrefixItsChainAndItsOwnKey) {
  ThreadPool pool(2);
  for (const int64_t d : {1, 2, 4}) {
    const Inputs in({7, 4, 2, 4}, d, 100 + d);
    std::vector<double> out(in.q.size()), lse(in.s.heads * in.s.m);
    rollout_attention_forward(in.s, in.earlier(), in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data(), pool);
    const std::vector<double> want = brute_force(in);
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], want[i], 1e-12) << "depth " << d << " [" << i << "]";
  }
}

TEST(RolloutAttention, EveryDepthWithTheSameKeysIsCausalAttention) {
  // Query i reads rows 0..i-d of depth 0, i-d+1..i-1 of the chain and i of its own: with one k, v for
  // all depths, every row 0..i once, as causal attention does; so are the query gradients.
  ThreadPool pool(2);
  for (const int64_t d : {1, 3}) {
    const Inputs in({9, 6, 2, 4}, 0, 7);
    EarlierDepths<double> same;
    for (int64_t e = 0; e < d; ++e) same.k.push_back(in.k.data()), same.v.push_back(in.v.data());
    const auto r = random_doubles(static_cast<int64_t>(in.q.size()), 8);
    std::vector<double> out(in.q.size()), lse(in.s.heads * in.s.m), causal(out.size()), causal_lse(lse.size());
    rollout_attention_forward(in.s, same, in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data(), pool);
    attention_forward(in.s, in.q.data(), in.k.data(), in.v.data(), causal.data(), causal_lse.data(), pool);
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], causal[i], 1e-12) << "depth " << d;
    for (std::size_t i = 0; i < lse.size(); ++i) ASSERT_NEAR(lse[i], causal_lse[i], 1e-12) << "depth " << d;
    std::vector<double> dq(in.q.size(), 0.0), dk(in.k.size(), 0.0), dv(in.v.size(), 0.0);
    std::vector<double> cdq(dq), cdk(dk), cdv(dv);
    rollout_attention_backward(in.s, same, in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data(), r.data(),
                               dq.data(), dk.data(), dv.data(), pool);
    attention_backward(in.s, in.q.data(), in.k.data(), in.v.data(), causal.data(), causal_lse.data(), r.data(),
                       cdq.data(), cdk.data(), cdv.data(), pool);
    for (std::size_t i = 0; i < dq.size(); ++i) ASSERT_NEAR(dq[i], cdq[i], 1e-12) << "depth " << d;
  }
}

TEST(RolloutAttention, BackwardMatchesFiniteDifferences) {
  ThreadPool pool(2);
  for (const int64_t d : {1, 3}) {
    Inputs in({6, 4, 2, 4}, d, 30 + d);
    const auto r = random_doubles(static_cast<int64_t>(in.q.size()), 40 + d);
    std::vector<double> out(in.q.size()), lse(in.s.heads * in.s.m);
    auto loss = [&] {
      rollout_attention_forward(in.s, in.earlier(), in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data(),
                                pool);
      return dot(out, r);
    };
    loss();
    std::vector<double> dq(in.q.size(), 0.0), dk(in.k.size(), 0.0), dv(in.v.size(), 0.0);
    rollout_attention_backward(in.s, in.earlier(), in.q.data(), in.k.data(), in.v.data(), out.data(), lse.data(),
                               r.data(), dq.data(), dk.data(), dv.data(), pool);
    expect_gradient("dq", in.q, dq, loss);
    expect_gradient("dk", in.k, dk, loss);
    expect_gradient("dv", in.v, dv, loss);
  }
}

TEST(RolloutAttention, FloatMatchesDoubleAndIgnoresTheThreadCount) {
  const Inputs in({45, 6, 2, 8}, 3, 50);
  ThreadPool one(1), two(2);
  const auto rd = random_doubles(static_cast<int64_t>(in.q.size()), 60);
  std::vector<double> od(in.q.size()), ld(in.s.heads * in.s.m), dqd(in.q.size(), 0.0), dkd(in.k.size(), 0.0),
      dvd(in.v.size(), 0.0);
  rollout_attention_forward(in.s, in.earlier(), in.q.data(), in.k.data(), in.v.data(), od.data(), ld.data(), two);
  rollout_attention_backward(in.s, in.earlier(), in.q.data(), in.k.data(), in.v.data(), od.data(), ld.data(),
                             rd.data(), dqd.data(), dkd.data(), dvd.data(), two);
  auto f = [](const std::vector<double>& x) { return std::vector<float>(x.begin(), x.end()); };
  const auto q = f(in.q), k = f(in.k), v = f(in.v), r = f(rd);
  std::vector<std::vector<float>> ek, ev;
  EarlierDepths<float> earlier;
  for (std::size_t e = 0; e < in.earlier_k.size(); ++e) ek.push_back(f(in.earlier_k[e])), ev.push_back(f(in.earlier_v[e]));
  for (std::size_t e = 0; e < ek.size(); ++e) earlier.k.push_back(ek[e].data()), earlier.v.push_back(ev[e].data());
  std::vector<float> results[2][5];  // per thread count: out, lse, dq, dk, dv
  for (int t = 0; t < 2; ++t) {
    ThreadPool& pool = t == 0 ? one : two;
    auto& [o, l, dq, dk, dv] = results[t];
    o.resize(od.size()), l.resize(ld.size()), dq.assign(q.size(), 0.f), dk.assign(k.size(), 0.f), dv.assign(v.size(), 0.f);
    rollout_attention_forward(in.s, earlier, q.data(), k.data(), v.data(), o.data(), l.data(), pool);
    rollout_attention_backward(in.s, earlier, q.data(), k.data(), v.data(), o.data(), l.data(), r.data(), dq.data(),
                               dk.data(), dv.data(), pool);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[0][i], results[1][i]) << "output " << i << ": 1 vs 2 threads";
  const std::vector<double>* want[5] = {&od, &ld, &dqd, &dkd, &dvd};
  for (int i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < want[i]->size(); ++j) {
      ASSERT_NEAR(results[1][i][j], (*want[i])[j], 2e-5 * (1 + std::abs((*want[i])[j]))) << "output " << i << " [" << j << "]";
    }
  }
}

}  // namespace
}  // namespace eaglerun::train
