// DraftHead::quantize_for_inference: the Q8_0 copies give the fp32 head's outputs up to the
// quantisation error, and the fp32 parameters stay as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/eagle/draft_head.h"
#include "tests/eagle/tiny_head.h"

namespace eaglerun {
namespace {

TEST(DraftHead, QuantizedForInferenceStaysCloseToFp32) {
  ThreadPool pool(2);
  DraftHead head = DraftHead::random(test::tiny_head_config(), 3, 0.1f);
  const int64_t m = 5, H = 64;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> emb(m * H), f(m * H);
  for (float& v : emb) v = normal(rng);
  for (float& v : f) v = normal(rng);
  const std::vector<float> want = test::run_head(head, emb, f, m, pool);
  const std::vector<float> fc_before = head.parameters().at("fc.weight").values;

  head.quantize_for_inference();
  ASSERT_TRUE(head.quantized());
  const std::vector<float> got = test::run_head(head, emb, f, m, pool);
  double err = 0, norm = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  EXPECT_GT(std::sqrt(err), 0.0) << "the Q8_0 copies were not used";
  EXPECT_LT(std::sqrt(err / norm), 0.03) << "relative RMS error of the quantised head (about 1% here)";
  EXPECT_EQ(head.parameters().at("fc.weight").values, fc_before);
}

}  // namespace
}  // namespace eaglerun
