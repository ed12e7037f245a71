// The files written by data/fixtures/weights/make_tiny_models.py (an independent Python writer).
#include <gtest/gtest.h>

#include "core/weights/gguf_file.h"
#include "core/weights/open_model.h"
#include "core/weights/safetensors_model.h"
#include "core/weights/text_file.h"
#include "tests/test_paths.h"
#include "tests/weights/test_util.h"

namespace eaglerun {
namespace {

std::string fixture(const std::string& name) { return test::fixture("weights/" + name); }

TEST(Fixtures, GgufV3) {
  const auto f = GgufFile::open(fixture("tiny-llama.gguf"));
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->names().size(), 7u);
  EXPECT_EQ(f->get("token_embd.weight", {16, 32}).dtype, DType::Q8_0);
  EXPECT_EQ(f->get("blk.0.attn_q.weight", {4, 32}).dtype, DType::Q4_0);
  EXPECT_EQ(f->get("blk.0.attn_k.weight", {2, 32}).dtype, DType::Q4_1);
  EXPECT_EQ(f->get("blk.0.attn_v.weight", {2, 8}).dtype, DType::F16);
  EXPECT_EQ(f->get("blk.0.attn_output.weight", {2, 8}).dtype, DType::BF16);
  EXPECT_EQ(f->get_int("test.i8"), -5);
  EXPECT_EQ(f->get_int("test.i16"), -300);
  EXPECT_EQ(f->get_int("test.i64"), -(1ll << 40));
  EXPECT_TRUE(f->get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(f->get_float_array("tokenizer.ggml.scores")[3], -3.0);
  EXPECT_EQ(f->get_string_array("tokenizer.ggml.merges"), (std::vector<std::string>{"a b", "c d"}));
  const ModelConfig& c = f->config();
  EXPECT_EQ(c.vocab_size, 16);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.max_position, 128);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.name, "tiny-llama");
}

TEST(Fixtures, GgufV2WithAlignment) {
  const auto f = GgufFile::open(fixture("tiny-llama-v2.gguf"));
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(f->get_int("general.alignment"), 64);
  EXPECT_FALSE(f->config().tie_word_embeddings);
  EXPECT_EQ(f->get("output.weight", {16, 4}).dtype, DType::F32);
}

TEST(Fixtures, SafetensorsBesideConfig) {
  const auto m = open_model(fixture("tiny-llama.safetensors"));
  EXPECT_EQ(m->naming(), "hf");
  EXPECT_EQ(m->names().size(), 6u);
  EXPECT_EQ(m->get("model.layers.0.self_attn.k_proj.weight", {2, 4}).dtype, DType::BF16);
  EXPECT_EQ(m->config().hidden_size, 32);
  EXPECT_FALSE(m->config().tie_word_embeddings);
}

TEST(Fixtures, MixtralConfig) {
  const std::string p = fixture("config-mixtral.json");
  const ModelConfig c = parse_hf_config(read_text_file(p), p);
  EXPECT_EQ(c.arch, Architecture::Mixtral);
  EXPECT_EQ(c.n_experts, 4);
  EXPECT_EQ(c.n_experts_per_token, 2);
  EXPECT_EQ(c.eos_token_id, 2);
}

}  // namespace
}  // namespace eaglerun
