#include "core/model/kv_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/backend/attention_mask.h"

namespace eaglerun {
namespace {

// Column d of row r of layer l holds 100 l + r + d / 4 in the keys, minus that in the values (exact in
// fp16 too).
float cell(int64_t l, int64_t r, int64_t d) { return static_cast<float>(100 * l + r) + 0.25f * static_cast<float>(d); }

void fill_rows(KvCache& kv, int64_t rows) {
  for (int64_t l = 0; l < kv.n_layers(); ++l) {
    for (int64_t r = kv.size(); r < kv.size() + rows; ++r) {
      std::vector<float> k(static_cast<std::size_t>(kv.kv_dim())), v(k.size());
      for (int64_t d = 0; d < kv.kv_dim(); ++d) k[d] = cell(l, r, d), v[d] = -k[d];
      kv.write(l, r, k.data(), v.data(), 1);
    }
  }
  kv.commit(rows);
}

class KvCacheOfType : public ::testing::TestWithParam<DType> {};

TEST_P(KvCacheOfType, KeepCompactsTheChosenRowsInOrder) {
  KvCache kv(2, 3, 2, 16, GetParam());  // 3 KV heads of 2 elements
  fill_rows(kv, 10);
  const std::vector<int64_t> keep = {0, 1, 2, 5, 7, 9};
  kv.keep(keep);
  ASSERT_EQ(kv.size(), 6);
  std::vector<float> k(6), v(6);
  for (int64_t l = 0; l < 2; ++l) {
    for (int64_t i = 0; i < 6; ++i) {
      kv.read(l, i, k.data(), v.data());
      for (int64_t d = 0; d < 6; ++d) {
        EXPECT_EQ(k[d], cell(l, keep[i], d)) << l << "," << i << "," << d;
        EXPECT_EQ(v[d], -cell(l, keep[i], d)) << l << "," << i << "," << d;
      }
    }
  }
}

// An F16 cache holds each written value rounded to the nearest fp16 (ties to even), in half the bytes.
TEST(KvCache, F16RowsHoldTheNearestHalf) {
  KvCache kv(1, 2, 2, 2, DType::F16);  // 2 KV heads of 2 elements
  const std::vector<float> k = {1.f / 3.f, 1e-6f, 70000.f, -2.5f}, v = {0.1f, -0.1f, 1.f + 1.f / 4096.f, 0.f};
  kv.write(0, 1, k.data(), v.data(), 1);
  std::vector<float> got_k(4), got_v(4);
  kv.read(0, 1, got_k.data(), got_v.data());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got_k[i], fp16_to_fp32(fp32_to_fp16(k[i]))) << i;
    EXPECT_EQ(got_v[i], fp16_to_fp32(fp32_to_fp16(v[i]))) << i;
  }
  EXPECT_EQ(kv.bytes_per_token(), 2 * 4 * 2);
  EXPECT_EQ(KvCache(1, 2, 2, 2).bytes_per_token(), 2 * 4 * 4);
}

INSTANTIATE_TEST_SUITE_P(Types, KvCacheOfType, ::testing::Values(DType::F32, DType::F16),
                         [](const auto& info) { return std::string(dtype_info(info.param).name); });

TEST(KvCache, RejectsBadKeepIndicesOverflowAndOtherTypes) {
  EXPECT_THROW(KvCache(1, 1, 2, 4, DType::Q8_0), Error);
  KvCache kv(1, 1, 2, 4);
  fill_rows(kv, 3);
  EXPECT_THROW(kv.keep(std::vector<int64_t>{0, 0}), Error);
  EXPECT_THROW(kv.keep(std::vector<int64_t>{3}), Error);
  EXPECT_THROW(kv.commit(2), Error);
  EXPECT_THROW(kv.truncate(4), Error);
  kv.truncate(1);
  EXPECT_EQ(kv.size(), 1);
}

TEST(AttentionMask, CausalSeesThePastAndEarlierNewTokens) {
  const AttentionMask m = AttentionMask::causal(2, 3);
  ASSERT_EQ(m.width(), 5);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(m(i, j), j <= 2 + i) << i << "," << j;
  }
}

}  // namespace
}  // namespace eaglerun
