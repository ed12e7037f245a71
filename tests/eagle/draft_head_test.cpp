// DraftHead::quantize_for_inference: the Q8_0 copies give the fp32 head's outputs up to the
// quantisation error, and the fp32 parameters stay as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/eagle/draft_head.h"
#include "core/error.h"
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

TEST(DraftHead, SeveralLayersSaveAndLoadWithTheOfficialNames) {
  ThreadPool pool(1);
  DraftHeadConfig c = test::tiny_head_config();
  c.n_layers = 2;
  const DraftHead head = DraftHead::random(c, 5, 0.1f);
  // Layer 0 has no input_layernorm (as released heads); later layers have one.
  EXPECT_EQ(head.parameters().count("layers.0.input_layernorm.weight"), 0u);
  EXPECT_EQ(head.parameters().count("layers.1.input_layernorm.weight"), 1u);
  EXPECT_EQ(head.parameters().count("layers.1.mlp.down_proj.weight"), 1u);
  const std::string dir = ::testing::TempDir() + "/eaglerun_two_layer_head";
  head.save(dir);
  const DraftHead loaded = DraftHead::load(dir);
  EXPECT_EQ(loaded.config().n_layers, 2);
  const int64_t m = 4, H = 64;
  std::vector<float> emb(m * H, 0.5f), f(m * H, -0.25f);
  EXPECT_EQ(test::run_head(head, emb, f, m, pool), test::run_head(loaded, emb, f, m, pool));
  // The second layer is used: a head of its first layer alone computes something else.
  DraftHeadConfig one = c;
  one.n_layers = 1;
  DraftHead first = DraftHead::random(one, 5, 0.1f);
  for (auto& [name, p] : first.parameters()) p.values = head.parameters().at(name).values;
  EXPECT_NE(test::run_head(first, emb, f, m, pool), test::run_head(head, emb, f, m, pool));
}

TEST(DraftHead, LayerCountOutsideItsRangeIsAnError) {
  std::string config = test::tiny_head_config().to_json();
  const auto at = config.find("\"num_hidden_layers\": 1");
  ASSERT_NE(at, std::string::npos);
  for (const char* layers : {"0", "17"}) {
    std::string bad = config;
    bad.replace(at, 22, std::string("\"num_hidden_layers\": ") + layers);
    EXPECT_THROW(DraftHeadConfig::from_json(bad, "config.json"), Error) << layers;
  }
}

}  // namespace
}  // namespace eaglerun
