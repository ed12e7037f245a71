// The real default model (SmolLM2-135M-Instruct, Q4_1 GGUF): config, tensors, metadata, and
// truncated copies. Skipped when the model has not been fetched (data/fetch_model.sh).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/weights/gguf_file.h"
#include "core/weights/mapped_file.h"
#include "core/weights/open_model.h"
#include "tests/test_paths.h"
#include "tests/weights/test_util.h"

namespace eaglerun {
namespace {

class RealGguf : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test::default_model_path();
    if (!std::filesystem::exists(path_)) GTEST_SKIP() << "default model not fetched: " << path_;
  }
  std::string path_;
};

TEST_F(RealGguf, Config) {
  const auto f = GgufFile::open(path_);
  EXPECT_EQ(f->version(), 3u);
  const ModelConfig& c = f->config();
  EXPECT_EQ(c.arch, Architecture::Llama);
  EXPECT_EQ(c.n_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.n_heads, 9);
  EXPECT_EQ(c.n_kv_heads, 3);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_DOUBLE_EQ(c.rope_theta, 100000.0);
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-12);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_EQ(c.max_position, 8192);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);
  EXPECT_EQ(c.rope_pairing, RopePairing::Adjacent);
  EXPECT_FALSE(c.is_moe());
  EXPECT_FALSE(c.name.empty());
}

TEST_F(RealGguf, Tensors) {
  const auto f = GgufFile::open(path_);
  EXPECT_EQ(f->names().size(), 272u);
  EXPECT_EQ(f->find("output.weight"), nullptr);
  const TensorView& emb = f->get("token_embd.weight", {49152, 576});
  EXPECT_EQ(emb.dtype, DType::Q8_0);
  EXPECT_EQ(emb.nbytes, 49152u * 576 / 32 * 34);
  const TensorView& down = f->get("blk.0.ffn_down.weight", {576, 1536});
  EXPECT_EQ(down.dtype, DType::Q4_1);
  EXPECT_EQ(down.nbytes, 576u * 1536 / 32 * 20);
  EXPECT_EQ(down.row_bytes(), 1536u / 32 * 20);
  const TensorView& norm = f->get("blk.29.attn_norm.weight", {576});
  EXPECT_EQ(norm.dtype, DType::F32);
  EXPECT_ERROR(f->get("blk.30.attn_norm.weight"), "blk.30.attn_norm.weight", path_);
  EXPECT_ERROR(f->get("blk.0.ffn_down.weight", {1536, 576}), "[576, 1536]", "[1536, 576]");
}

TEST_F(RealGguf, TensorsLieInsideTheFileWithoutOverlap) {
  const auto f = GgufFile::open(path_);
  const MappedFile m(path_);
  std::vector<std::pair<const std::byte*, const std::byte*>> spans;
  for (const auto& name : f->names()) {
    const TensorView& t = f->get(name);
    EXPECT_GE(t.data, m.data()) << name;
    EXPECT_EQ(t.nbytes, static_cast<std::size_t>(t.rows()) * t.row_bytes()) << name;
    spans.emplace_back(t.data, t.data + t.nbytes);
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].second, spans[i].first);
}

TEST_F(RealGguf, Metadata) {
  const auto f = GgufFile::open(path_);
  EXPECT_EQ(f->get_string("general.architecture"), "llama");
  EXPECT_EQ(f->get_int("llama.block_count"), 30);
  EXPECT_FALSE(f->has("general.alignment"));  // the default, 32, applies
  const auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 49152u);
  EXPECT_EQ(tokens[0], "<|endoftext|>");
  EXPECT_EQ(tokens[1], "<|im_start|>");
  EXPECT_EQ(tokens[2], "<|im_end|>");
  EXPECT_EQ(f->get_string_array("tokenizer.ggml.merges").size(), 48900u);
  EXPECT_EQ(f->get_int_array("tokenizer.ggml.token_type").size(), 49152u);
  EXPECT_EQ(f->get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_ERROR(f->get_int("general.architecture"), "general.architecture", "string");
  EXPECT_ERROR(f->get_string("no.such.key"), "no.such.key", "missing");
  EXPECT_ERROR(f->get_string_array("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type");
}

TEST_F(RealGguf, OpenModelDispatchesToGguf) {
  const auto store = open_model(path_);
  EXPECT_EQ(store->naming(), "gguf");
  EXPECT_EQ(store->config().n_layers, 30);
  EXPECT_NE(store->find("blk.0.attn_q.weight"), nullptr);
}

TEST_F(RealGguf, TruncatedCopiesFail) {
  const MappedFile m(path_);
  test::TempDir dir;
  for (std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{24}, std::size_t{1000}, m.size() / 2}) {
    const std::string p = dir.path("cut-" + std::to_string(n) + ".gguf");
    test::write_file(p, m.data(), n);
    EXPECT_ERROR(GgufFile::open(p), p);
    EXPECT_ERROR(open_model(p), p);
  }
  // The last tensor ends at the end of the file: one byte less puts it outside.
  EXPECT_ERROR(GgufFile::parse(m.data(), m.size() - 1, "cut"), "cut: tensor", "is outside the file");
}

}  // namespace
}  // namespace eaglerun
