#include "core/model/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "core/model/attention_mask.h"

namespace eaglerun {
namespace {

// Row r of every layer holds the value 100 * layer + r in all its columns.
void fill_rows(KvCache& kv, int64_t rows) {
  for (int64_t l = 0; l < kv.n_layers(); ++l) {
    for (int64_t r = kv.size(); r < kv.size() + rows; ++r) {
      for (int64_t d = 0; d < kv.kv_dim(); ++d) {
        kv.keys(l)[r * kv.kv_dim() + d] = static_cast<float>(100 * l + r);
        kv.values(l)[r * kv.kv_dim() + d] = -static_cast<float>(100 * l + r);
      }
    }
  }
  kv.commit(rows);
}

TEST(KvCache, KeepCompactsTheChosenRowsInOrder) {
  KvCache kv(2, 3, 16);
  fill_rows(kv, 10);
  const std::vector<int64_t> keep = {0, 1, 2, 5, 7, 9};
  kv.keep(keep);
  ASSERT_EQ(kv.size(), 6);
  for (int64_t l = 0; l < 2; ++l) {
    for (int64_t i = 0; i < 6; ++i) {
      EXPECT_EQ(kv.keys(l)[i * 3 + 2], static_cast<float>(100 * l + keep[i]));
      EXPECT_EQ(kv.values(l)[i * 3], -static_cast<float>(100 * l + keep[i]));
    }
  }
}

TEST(KvCache, RejectsBadKeepIndicesAndOverflow) {
  KvCache kv(1, 2, 4);
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
