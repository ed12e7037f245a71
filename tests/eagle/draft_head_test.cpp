// DraftHead::quantize_for_inference: the Q8_0 copies give the fp32 head's outputs up to the
// quantisation error, and the fp32 parameters stay as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/eagle/draft_head.h"
#include "core/backend/attention_mask.h"

namespace eaglerun {
namespace {

DraftHeadConfig tiny_config() {
  DraftHeadConfig c;
  c.hidden_size = 64;
  c.intermediate_size = 128;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.vocab_size = 100;
  return c;
}

std::vector<float> run(const DraftHead& head, const std::vector<float>& emb, const std::vector<float>& f, int64_t m,
                       ThreadPool& pool) {
  KvCache kv = head.make_cache(m);
  std::vector<int32_t> positions(static_cast<std::size_t>(m));
  for (int64_t i = 0; i < m; ++i) positions[i] = static_cast<int32_t>(i);
  std::vector<float> out(emb.size());
  head.forward(emb.data(), f.data(), m, positions, AttentionMask::causal(0, m), kv, out.data(), pool);
  return out;
}

TEST(DraftHead, QuantizedForInferenceStaysCloseToFp32) {
  ThreadPool pool(2);
  DraftHead head = DraftHead::random(tiny_config(), 3, 0.1f);
  const int64_t m = 5, H = 64;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> emb(m * H), f(m * H);
  for (float& v : emb) v = normal(rng);
  for (float& v : f) v = normal(rng);
  const std::vector<float> want = run(head, emb, f, m, pool);
  const std::vector<float> fc_before = head.parameters().at("fc.weight").values;

  head.quantize_for_inference();
  ASSERT_TRUE(head.quantized());
  const std::vector<float> got = run(head, emb, f, m, pool);
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
