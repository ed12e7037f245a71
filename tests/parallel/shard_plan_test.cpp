// The sharding rules: ranges, row views and column copies of quantised weights, split errors,
// and the tree step's mask and positions against DraftTree's.
#include <gtest/gtest.h>

#include <random>

#include "core/eagle/draft_tree.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/eagle/verifier.h"
#include "parallel/shard_plan.h"
#include "core/runtime/step.h"

namespace eaglerun {
namespace {

// A random 2-D weight [rows, cols] of `dtype` in `storage` (quantised blocks with sane scales).
TensorView random_weight(DType dtype, int64_t rows, int64_t cols, std::vector<std::byte>& storage, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  TensorView w;
  w.name = "w";
  w.dtype = dtype;
  w.shape = {rows, cols};
  w.nbytes = static_cast<std::size_t>(rows) * storage_bytes(dtype, cols);
  storage.resize(w.nbytes);
  for (auto& b : storage) b = static_cast<std::byte>(rng() & 0xFF);
  if (dtype == DType::Q4_1) {
    auto* blocks = reinterpret_cast<BlockQ4_1*>(storage.data());
    for (std::size_t i = 0; i < w.nbytes / sizeof(BlockQ4_1); ++i) {
      blocks[i].d = fp32_to_fp16(0.01f * static_cast<float>(rng() % 100 + 1) / 100.f);
      blocks[i].m = fp32_to_fp16(-0.05f);
    }
  } else if (dtype == DType::F32) {
    auto* f = reinterpret_cast<float*>(storage.data());
    std::normal_distribution<float> normal(0.f, 0.1f);
    for (std::size_t i = 0; i < w.nbytes / 4; ++i) f[i] = normal(rng);
  }
  w.data = storage.data();
  return w;
}

TEST(SplitRange, CoversEverythingInAlignedPieces) {
  int64_t next = 0;
  for (int i = 0; i < 3; ++i) {
    const Range r = split_range(14 * 32, 3, i, 32);
    EXPECT_EQ(r.begin, next);
    EXPECT_EQ(r.begin % 32, 0);
    next = r.end;
  }
  EXPECT_EQ(next, 14 * 32);
  EXPECT_EQ(split_range(10, 3, 0).size(), 4);
  EXPECT_THROW(split_range(64, 3, 0, 32), Error);
}

class ColumnSplit : public ::testing::TestWithParam<DType> {};

// Row-parallel: the sum of x[:, cols_i] . W[:, cols_i]^T over the pieces equals x . W^T.
TEST_P(ColumnSplit, PartialProductsSumToTheFullProduct) {
  const int64_t out = 24, in = 192, n = 3;
  std::vector<std::byte> storage;
  const TensorView w = random_weight(GetParam(), out, in, storage, 1);
  std::vector<float> x(n * in), full(n * out), sum(n * out, 0.f);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  ThreadPool pool(1);
  matmul(w, x.data(), n, full.data(), Precision::Reference, pool);
  OwnedBuffers owned;
  for (int part = 0; part < 3; ++part) {
    const Range r = split_range(in, 3, part, 32);
    const TensorView slice = copy_columns(w, r.begin, r.end, owned);
    EXPECT_EQ(slice.cols(), r.size());
    std::vector<float> xs(n * r.size()), y(n * out);
    for (int64_t i = 0; i < n; ++i) std::copy_n(x.begin() + i * in + r.begin, r.size(), xs.begin() + i * r.size());
    matmul(slice, xs.data(), n, y.data(), Precision::Reference, pool);
    for (int64_t i = 0; i < n * out; ++i) sum[i] += y[i];
  }
  for (int64_t i = 0; i < n * out; ++i) EXPECT_NEAR(sum[i], full[i], 1e-4 * (1 + std::abs(full[i])));
  EXPECT_EQ(owned.size(), 3u);
}

// Column-parallel: a row slice is a view whose product is exactly those rows of the full product.
TEST_P(ColumnSplit, RowSliceGivesTheSameBitsAsTheFullProduct) {
  const int64_t out = 24, in = 192, n = 2;
  std::vector<std::byte> storage;
  const TensorView w = random_weight(GetParam(), out, in, storage, 3);
  std::vector<float> x(n * in, 0.25f), full(n * out), part(n * 8);
  ThreadPool pool(1);
  for (Precision p : {Precision::Reference, Precision::Fast}) {
    matmul(w, x.data(), n, full.data(), p, pool);
    const TensorView rows = slice_rows(w, 8, 16);
    EXPECT_EQ(rows.data, w.row(8));
    matmul(rows, x.data(), n, part.data(), p, pool);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(part[i * 8 + j], full[i * out + 8 + j]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, ColumnSplit, ::testing::Values(DType::F32, DType::Q4_1));

TEST(ColumnSplit, RejectsCutsInsideABlock) {
  std::vector<std::byte> storage;
  const TensorView w = random_weight(DType::Q4_1, 4, 64, storage, 5);
  OwnedBuffers owned;
  EXPECT_THROW(copy_columns(w, 0, 48, owned), Error);
}

ModelConfig smollm2_like() {
  ModelConfig c;
  c.vocab_size = 49152;
  c.hidden_size = 576;
  c.intermediate_size = 1536;
  c.n_layers = 30;
  c.n_heads = 9;
  c.n_kv_heads = 3;
  c.head_dim = 64;
  c.name = "smollm2-like";
  return c;
}

TEST(ShardPlan, SplitsHeadsRowsLayersAndVocabulary) {
  const ModelConfig c = smollm2_like();
  ModelWeights none;
  const ShardPlan p = ShardPlan::make(c, none, World::make(4, 6, 3, 1, 2));  // tp 1 of stage 1
  EXPECT_EQ(p.kv_heads.begin, 1);
  EXPECT_EQ(p.kv_heads.size(), 1);
  EXPECT_EQ(p.heads.begin, 3);
  EXPECT_EQ(p.heads.size(), 3);
  EXPECT_EQ(p.ffn.size(), 512);
  EXPECT_EQ(p.layers.begin, 15);
  EXPECT_EQ(p.layers.end, 30);
  EXPECT_EQ(p.vocab.size(), 49152 / 3);
  EXPECT_TRUE(ShardPlan::make(c, none, World::make(0, 1, 1, 1, 1)).whole(c));
}

TEST(ShardPlan, ExplainsSplitsThatDoNotDivideTheHeads) {
  const ModelConfig c = smollm2_like();
  ModelWeights none;
  try {
    ShardPlan::make(c, none, World::make(0, 2, 2, 1, 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--tp 2 does not divide the model's 3 KV heads (9 query heads); --tp can be 1, 3");
  }
  EXPECT_THROW(ShardPlan::make(c, none, World::make(0, 2, 1, 2, 1)), Error);   // --ep on a dense model
  EXPECT_THROW(ShardPlan::make(c, none, World::make(0, 31, 1, 1, 31)), Error);  // more stages than layers
}

DraftTree sample_tree() {
  DraftTree t(5);
  t.add(0, 7);
  t.add(0, 9);
  t.add(1, 11);
  t.add(1, 12);
  t.add(2, 13);
  t.add(3, 14);
  return t;
}

TEST(Step, TreeMaskAndPositions) {
  // parents: 1, 2 -> 0; 3, 4 -> 1; 5 -> 2; 6 -> 3
  const Step s = sample_tree().verification_step(false);
  EXPECT_EQ(s.positions(4), (std::vector<int32_t>{4, 5, 5, 6, 6, 6, 7}));
  const AttentionMask m = s.mask(4);
  for (int64_t j = 0; j < 4; ++j) EXPECT_TRUE(m(6, j));              // the cached prefix
  EXPECT_TRUE(m(6, 4) && m(6, 5) && m(6, 7) && m(6, 10));           // root, node 1, node 3, itself
  EXPECT_FALSE(m(6, 6) || m(6, 8) || m(6, 9));                      // nodes 2, 4, 5: not ancestors
  Step chain;
  chain.tokens = {1, 2, 3};
  EXPECT_EQ(chain.mask(2).allowed, AttentionMask::causal(2, 3).allowed);
  EXPECT_EQ(chain.positions(2), (std::vector<int32_t>{2, 3, 4}));
  chain.parents = {-1, 2, 1};
  EXPECT_THROW(chain.check(), Error);
}

TEST(GreedyAcceptance, MatchesVerifyGreedyOnLogits) {
  const DraftTree t = sample_tree();
  const int64_t V = 16;
  std::mt19937 rng(4);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> logits(t.size() * V);
    for (float& v : logits) v = static_cast<float>(rng() % 5);
    for (int i = 0; i < t.size(); ++i) {  // make drafted children likely to win
      if (rng() % 2) logits[i * V + (i == 0 ? 7 : i == 1 ? 11 : 14)] = 10.f;
    }
    std::vector<int32_t> top;
    for (int i = 0; i < t.size(); ++i) {
      top.push_back(static_cast<int32_t>(std::max_element(logits.begin() + i * V, logits.begin() + (i + 1) * V) -
                                         (logits.begin() + i * V)));
    }
    const Acceptance a = verify_greedy(t, logits.data(), V), b = verify_greedy_argmax(t, top);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.bonus_token, b.bonus_token);
  }
}

}  // namespace
}  // namespace eaglerun
