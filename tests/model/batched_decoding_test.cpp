// Batched plain decoding on one rank (generate_plain_batch on a LocalTarget): B sequences of
// different prompt lengths and stopping points share one model pass per step, each with its own KV
// cache, and every sequence's greedy tokens equal its own plain decoding. What makes that exact is
// that every kernel computes a row the same way whatever rows share the call; the Model-level test
// checks it directly (hidden states and logits bit for bit), the generation test end to end, on the
// tiny Llama and Mixtral fixtures.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.h"
#include "core/runtime/generator.h"
#include "core/weights/open_model.h"
#include "tests/test_paths.h"

namespace eaglerun {
namespace {

struct BatchCase {
  std::string dir;
  Precision precision;
};

class BatchedDecoding : public ::testing::TestWithParam<BatchCase> {
 protected:
  void SetUp() override {
    model_ = std::make_unique<Model>(std::shared_ptr<const WeightStore>(open_model(test::fixture(GetParam().dir))),
                                     pool_, GetParam().precision);
  }
  std::vector<int32_t> prompt(uint64_t seed, int64_t n) const {
    std::mt19937_64 rng(seed);
    std::vector<int32_t> p;
    for (int64_t i = 0; i < n; ++i) p.push_back(static_cast<int32_t>(rng() % model_->config().vocab_size));
    return p;
  }
  std::vector<int32_t> plain(const GenerationRequest& r) const {
    Sampler s({});
    return generate_plain(*model_, s, r).output_tokens;
  }
  ThreadPool pool_{2};
  std::unique_ptr<Model> model_;
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Several sequences in one pass, with caches of different lengths, a causal run, a single token
// and a tree, each asking for different logits rows: each gets the bits it gets alone.
TEST_P(BatchedDecoding, EachSequenceHasTheSameBitsInOnePassAsAlone) {
  const std::vector<int64_t> cached = {5, 0, 17, 9}, fresh = {1, 6, 1, 4};
  const LogitRows rows[] = {LogitRows::Last, LogitRows::All, LogitRows::None, LogitRows::All};
  std::vector<KvCache> alone_kv, batch_kv;
  std::vector<std::vector<int32_t>> tokens, positions;
  std::vector<AttentionMask> masks;
  for (std::size_t s = 0; s < cached.size(); ++s) {
    alone_kv.push_back(model_->make_cache(32));
    batch_kv.push_back(model_->make_cache(32));
    if (cached[s] > 0) {
      const auto past = prompt(100 + s, cached[s]);
      model_->forward_causal(past, alone_kv[s], LogitRows::None);
      model_->forward_causal(past, batch_kv[s], LogitRows::None);
    }
    tokens.push_back(prompt(200 + s, fresh[s]));
    std::vector<int32_t> pos;
    for (int64_t i = 0; i < fresh[s]; ++i) pos.push_back(static_cast<int32_t>(cached[s] + i));
    AttentionMask mask = AttentionMask::causal(cached[s], fresh[s]);
    if (s == 3) {  // a tree: node 0, its children 1 and 2, 3 under 2
      mask = AttentionMask::prefix_only(cached[s], fresh[s]);
      const int parent[] = {-1, 0, 0, 2};
      pos.assign(4, 0);
      for (int i = 0; i < 4; ++i) {
        pos[i] = static_cast<int32_t>(cached[s] + (parent[i] < 0 ? 0 : pos[parent[i]] - cached[s] + 1));
        for (int a = parent[i]; a >= 0; a = parent[a]) mask.set(i, cached[s] + a, true);
      }
    }
    positions.push_back(pos);
    masks.push_back(mask);
  }
  std::vector<SequenceStep> steps;
  for (std::size_t s = 0; s < cached.size(); ++s) {
    steps.push_back({tokens[s], positions[s], &masks[s], &batch_kv[s], rows[s]});
  }
  const std::vector<ForwardOutput> batch = model_->forward(steps);
  ASSERT_EQ(batch.size(), cached.size());
  for (std::size_t s = 0; s < cached.size(); ++s) {
    const ForwardOutput alone = model_->forward(tokens[s], positions[s], masks[s], alone_kv[s], rows[s]);
    EXPECT_TRUE(same_bits(batch[s].hidden, alone.hidden)) << "sequence " << s;
    EXPECT_TRUE(same_bits(batch[s].logits, alone.logits)) << "sequence " << s;
    ASSERT_EQ(batch_kv[s].size(), alone_kv[s].size());
    for (int64_t l = 0; l < batch_kv[s].n_layers(); ++l) {
      for (int64_t r = 0; r < batch_kv[s].size(); ++r) {  // widening is exact: equal floats, equal stored bits
        std::vector<float> bk(batch_kv[s].kv_dim()), bv(bk.size()), ak(bk.size()), av(bk.size());
        batch_kv[s].read(l, r, bk.data(), bv.data());
        alone_kv[s].read(l, r, ak.data(), av.data());
        EXPECT_TRUE(same_bits(bk, ak) && same_bits(bv, av)) << "sequence " << s << " layer " << l << " row " << r;
      }
    }
  }
}

// B = 1, 3, 8 sequences of mixed prompt lengths, token limits and stop tokens.
TEST_P(BatchedDecoding, EverySequenceGetsItsOwnPlainGreedyTokens) {
  for (const int B : {1, 3, 8}) {
    std::vector<std::vector<int32_t>> prompts;
    std::vector<GenerationRequest> requests;
    for (int b = 0; b < B; ++b) prompts.push_back(prompt(10 * B + b, 1 + (7 * b + B) % 23));
    for (int b = 0; b < B; ++b) {
      GenerationRequest r{prompts[b], 4 + (11 * b) % 29, {}, {}};
      if (b % 3 == 1) {  // stop on the token the sequence would produce somewhere in the middle
        const std::vector<int32_t> free = plain(r);
        r.stop_tokens = {free[free.size() / 2]};
      }
      requests.push_back(r);
    }
    LocalTarget target(*model_);
    const std::vector<GenerationResult> batch = generate_plain_batch(target, requests);
    ASSERT_EQ(batch.size(), requests.size());
    int stopped = 0;
    for (int b = 0; b < B; ++b) {
      EXPECT_EQ(batch[b].output_tokens, plain(requests[b])) << "B " << B << " sequence " << b;
      EXPECT_EQ(batch[b].target_forwards, batch[b].new_tokens() - 1);
      stopped += batch[b].stopped;
    }
    if (B >= 3) {
      EXPECT_GT(stopped, 0) << "no sequence stopped on a stop token";
    }
  }
}

TEST_P(BatchedDecoding, BadInputGivesOneError) {
  LocalTarget target(*model_);
  EXPECT_THROW(target.begin_batch(16, 0), Error);
  EXPECT_THROW(target.begin_batch(model_->config().max_position + 1, 2), Error);
  EXPECT_THROW(generate_plain_batch(target, {}), Error);
  const std::vector<int32_t> p = prompt(1, 8);
  // prompt + new tokens beyond the context
  EXPECT_THROW(generate_plain_batch(target, {{p, 4, {}, {}}, {p, model_->config().max_position, {}, {}}}), Error);

  target.begin_batch(10, 2);
  Step a = Step::causal(p, false, false), b = a;
  b.sequence = 1;
  EXPECT_EQ(target.forward_batch(std::vector<Step>{a, b}).size(), 2u);
  EXPECT_THROW(target.forward_batch(std::vector<Step>{a, b}), Error);  // capacity 10 < 16 tokens
  target.begin_batch(32, 2);
  EXPECT_THROW(target.forward_batch(std::vector<Step>{a, a}), Error);  // one sequence named twice
  Step c = a;
  c.sequence = 2;
  EXPECT_THROW(target.forward_batch(std::vector<Step>{a, c}), Error);  // not begun
  EXPECT_THROW(target.forward_batch({}), Error);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BatchedDecoding,
                         ::testing::Values(BatchCase{"tiny_llama", Precision::Fast},
                                           BatchCase{"tiny_mixtral", Precision::Fast},
                                           BatchCase{"tiny_llama", Precision::Reference}),
                         [](const auto& info) {
                           return info.param.dir + (info.param.precision == Precision::Fast ? "_fast" : "_reference");
                         });

}  // namespace
}  // namespace eaglerun
