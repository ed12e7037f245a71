// Safetensors files and checkpoints (single and sharded), valid and malformed.
#include <gtest/gtest.h>

#include <random>

#include "core/weights/safetensors_file.h"
#include "core/weights/safetensors_model.h"
#include "tests/weights/safetensors_writer.h"

namespace eaglerun {
namespace {

using namespace eaglerun::test;

std::unique_ptr<SafetensorsFile> parse_safetensors(const Bytes& b) {
  return SafetensorsFile::parse(as_bytes(b), b.size(), "bad.safetensors");
}
std::unique_ptr<SafetensorsFile> parse_header(const std::string& header, std::size_t data_bytes = 64) {
  return parse_safetensors(safetensors_image(header, data_bytes));
}

TEST(SafetensorsFile, ParsesTensors) {
  const Bytes b = safetensors_bytes(tiny_llama_tensors());
  const auto f = parse_safetensors(b);
  EXPECT_EQ(f->names().size(), 5u);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const TensorView* emb = f->find("model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dtype, DType::F32);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(emb->nbytes, 8u * 16 * 4);
  const std::size_t header_len = b[0] | (b[1] << 8);
  EXPECT_EQ(emb->data, as_bytes(b) + 8 + header_len);
  EXPECT_EQ(f->find("model.layers.0.self_attn.q_proj.weight")->dtype, DType::F16);
  const TensorView* down = f->find("model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(down->dtype, DType::BF16);
  const TensorView* norm = f->find("model.norm.weight");
  EXPECT_EQ(down->data + down->nbytes, norm->data);
  EXPECT_EQ(norm->data + norm->nbytes, as_bytes(b) + b.size());
  EXPECT_EQ(f->find("missing"), nullptr);
}

TEST(SafetensorsFile, OpensFromDiskAndAllowsEdgeCases) {
  TempDir dir;
  test::write_file(dir.path("a.safetensors"), safetensors_bytes(tiny_llama_tensors()));
  EXPECT_EQ(SafetensorsFile::open(dir.path("a.safetensors"))->tensors().size(), 5u);
  // An empty header, a scalar, a zero-size tensor, and trailing spaces in the header.
  EXPECT_TRUE(parse_header("{}", 0)->tensors().empty());
  const auto f = parse_header(R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
                              R"("z":{"dtype":"F16","shape":[0,5],"data_offsets":[4,4]}}   )", 4);
  EXPECT_EQ(f->find("s")->numel(), 1);
  EXPECT_EQ(f->find("z")->nbytes, 0u);
}

TEST(SafetensorsFile, BadHeaderLength) {
  EXPECT_ERROR(parse_safetensors(Bytes{1, 2, 3}), "bad.safetensors", "truncated", "8-byte header length");
  Bytes b = safetensors_bytes(tiny_llama_tensors());
  b[5] = 1;  // length ~ 2^40
  EXPECT_ERROR(parse_safetensors(b), "bad.safetensors", "100 MiB");
  Bytes c = safetensors_image("{}", 0);
  c[0] = 3;
  EXPECT_ERROR(parse_safetensors(c), "bad.safetensors: header length 3 exceeds the file size 10");
}

TEST(SafetensorsFile, InvalidJson) {
  EXPECT_ERROR(parse_header("{\"a\": "), "bad.safetensors: invalid JSON header");
  EXPECT_ERROR(parse_header("[1, 2]"), "bad.safetensors", "not an object");
  EXPECT_ERROR(parse_header("{\"a\": {\"dtype\": \"F32\"}} trailing"), "bad.safetensors: invalid JSON header");
  EXPECT_ERROR(parse_header(std::string("{\"a\xff\": 1}")), "bad.safetensors: invalid JSON header");
  EXPECT_ERROR(parse_header(R"({"a": [[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]})"), "nested too deeply");
}

TEST(SafetensorsFile, BadEntries) {
  EXPECT_ERROR(parse_header(R"({"t": 5})"), "bad.safetensors: tensor 't'", "not a JSON object");
  EXPECT_ERROR(parse_header(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})"), "'t'", "\"dtype\"");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})"),
               "bad.safetensors: tensor 't' has unsupported dtype 'I64' (supported: F32, F16, BF16)");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": 1, "shape": [1], "data_offsets": [0, 4]}})"), "'t'", "dtype");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})"), "'t'", "shape");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})"), "'t'", "shape");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": 4, "data_offsets": [0, 4]}})"), "'t'", "shape");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [1]}})"), "'t'", "data_offsets");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})"), "'t'", "data_offsets");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})"), "'t'", "begin > end");
  EXPECT_ERROR(parse_header(R"({"__metadata__": [1]})"), "bad.safetensors", "__metadata__");
  EXPECT_ERROR(parse_header(R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})"),
               "'t'", "too large");
}

TEST(SafetensorsFile, DataOffsetsMismatch) {
  EXPECT_ERROR(parse_header(R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})"),
               "bad.safetensors: tensor 'w' has data_offsets [0, 20) of 20 bytes, but shape [2, 3] of F32 needs 24");
  EXPECT_ERROR(parse_header(R"({"w": {"dtype": "BF16", "shape": [40], "data_offsets": [0, 80]}})", 64),
               "bad.safetensors: tensor 'w' data [0, 80) is outside the data section (64 bytes)");
  EXPECT_ERROR(
      parse_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551616]}})"),
      "'w'");
}

TEST(SafetensorsFile, OverlapAndDuplicates) {
  EXPECT_ERROR(parse_header(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},)"
                            R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})"),
               "bad.safetensors: tensors 'a' [0, 16) and 'b' [8, 16) overlap");
  EXPECT_ERROR(parse_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                            R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})"),
               "bad.safetensors: duplicate tensor name 'a'");
}

TEST(SafetensorsFile, TruncatedAtEveryByte) {
  const Bytes b = safetensors_bytes(tiny_llama_tensors());
  for (std::size_t n = 0; n < b.size(); ++n) {
    const Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string msg = error_of([&] { parse_safetensors(cut); });
    ASSERT_EQ(msg.rfind("bad.safetensors", 0), 0u) << "cut at " << n << ": " << msg;
  }
}

TEST(SafetensorsFile, RandomBitFlips) {
  const Bytes good = safetensors_bytes(tiny_llama_tensors());
  std::mt19937 rng(99);
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    try {
      const auto f = parse_safetensors(b);
      for (const TensorView& t : f->tensors()) ASSERT_LE(t.data + t.nbytes, as_bytes(b) + b.size());
    } catch (const Error&) {
    } catch (const std::exception& e) {
      FAIL() << "iteration " << iter << ": non-Error exception " << e.what();
    }
  }
}

class SafetensorsModelTest : public ::testing::Test {
 protected:
  void write_config(const std::string& text = tiny_llama_config_json()) {
    test::write_file(dir.path("config.json"), std::string_view(text));
  }
  // Two shards: embeddings + norm in the first, the layer in the second.
  void write_shards() {
    auto ts = tiny_llama_tensors();
    test::write_file(dir.path("model-00001-of-00002.safetensors"), safetensors_bytes({ts[0], ts[4]}));
    test::write_file(dir.path("model-00002-of-00002.safetensors"), safetensors_bytes({ts[1], ts[2], ts[3]}));
  }
  void write_index(const std::string& weight_map) {
    test::write_file(dir.path("model.safetensors.index.json"),
                     std::string_view(R"({"metadata": {"total_size": 1}, "weight_map": )" + weight_map + "}"));
  }
  static std::string full_map() {
    return R"({"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
               "model.norm.weight": "model-00001-of-00002.safetensors",
               "model.layers.0.input_layernorm.weight": "model-00002-of-00002.safetensors",
               "model.layers.0.self_attn.q_proj.weight": "model-00002-of-00002.safetensors",
               "model.layers.0.mlp.down_proj.weight": "model-00002-of-00002.safetensors"})";
  }
  TempDir dir;
};

TEST_F(SafetensorsModelTest, SingleFile) {
  write_config();
  test::write_file(dir.path("model.safetensors"), safetensors_bytes(tiny_llama_tensors()));
  const auto m = SafetensorsModel::open_dir(dir.path());
  EXPECT_EQ(m->naming(), "hf");
  EXPECT_EQ(m->source(), dir.path());
  EXPECT_EQ(m->names().size(), 5u);
  EXPECT_EQ(m->config().hidden_size, 16);
  EXPECT_EQ(m->config().eos_token_id, 2);
  EXPECT_EQ(m->get("model.layers.0.self_attn.q_proj.weight", {16, 16}).dtype, DType::F16);
  EXPECT_ERROR(m->get("lm_head.weight"), "missing tensor lm_head.weight in " + dir.path());
  const auto f = SafetensorsModel::open_files(dir.path("model.safetensors"), dir.path("config.json"));
  EXPECT_EQ(f->names(), m->names());
}

TEST_F(SafetensorsModelTest, Sharded) {
  write_config();
  write_shards();
  write_index(full_map());
  const auto m = SafetensorsModel::open_dir(dir.path());
  EXPECT_EQ(m->names().size(), 5u);
  EXPECT_EQ(m->get("model.norm.weight", {16}).dtype, DType::F32);
  EXPECT_EQ(m->get("model.layers.0.mlp.down_proj.weight", {16, 32}).dtype, DType::BF16);
}

TEST_F(SafetensorsModelTest, ShardedErrors) {
  write_config();
  write_shards();
  write_index(R"({"model.norm.weight": "model-00009-of-00009.safetensors"})");
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "model.safetensors.index.json",
               "shard 'model-00009-of-00009.safetensors'", "'model.norm.weight'", "does not exist");
  write_index(R"({"model.norm.weight": "model-00002-of-00002.safetensors"})");
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "tensor 'model.norm.weight' is mapped to",
               "'model-00002-of-00002.safetensors', which does not contain it");
  write_index("{}");
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "model.safetensors.index.json", "weight_map");
  write_index(R"({"model.norm.weight": 3})");
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "'model.norm.weight'", "not a file name");
  test::write_file(dir.path("model.safetensors.index.json"), std::string_view("{oops"));
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "model.safetensors.index.json", "invalid JSON");
  // A corrupt shard: the error names the shard file.
  write_index(full_map());
  test::write_file(dir.path("model-00002-of-00002.safetensors"), Bytes{1, 2, 3});
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "model-00002-of-00002.safetensors", "truncated");
}

TEST_F(SafetensorsModelTest, MissingPieces) {
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), dir.path(), "config.json");
  write_config();
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), dir.path(), "model.safetensors");
  write_config(R"({"architectures": ["GPT2LMHeadModel"]})");
  test::write_file(dir.path("model.safetensors"), safetensors_bytes(tiny_llama_tensors()));
  EXPECT_ERROR(SafetensorsModel::open_dir(dir.path()), "config.json", "GPT2LMHeadModel");
}

}  // namespace
}  // namespace eaglerun
