// Valid tiny GGUF files built by the test writer: every metadata type, shapes, config keys.
#include <gtest/gtest.h>

#include "core/weights/gguf_file.h"
#include "tests/weights/gguf_writer.h"

namespace eaglerun {
namespace {

using namespace eaglerun::test;

std::unique_ptr<GgufFile> parse_gguf(const Bytes& b) { return GgufFile::parse(as_bytes(b), b.size(), "mem.gguf"); }

TEST(GgufValid, TinyLlamaOpensFromFileAndMemory) {
  const Bytes b = tiny_llama_writer().bytes();
  TempDir dir;
  test::write_file(dir.path("tiny.gguf"), b);
  const auto f = GgufFile::open(dir.path("tiny.gguf"));
  EXPECT_EQ(f->path(), dir.path("tiny.gguf"));
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->names().size(), 6u);
  EXPECT_EQ(parse_gguf(b)->names(), f->names());
}

TEST(GgufValid, ShapesAreReversedAndDataIsInPlace) {
  const Bytes b = tiny_llama_writer().bytes();
  const auto f = parse_gguf(b);
  const TensorView& emb = f->get("token_embd.weight", {8, 64});
  EXPECT_EQ(emb.dtype, DType::Q8_0);
  EXPECT_EQ(emb.nbytes, 8u * 2 * 34);
  EXPECT_EQ(static_cast<uint8_t>(emb.data[0]), 1);  // the writer's pattern: tensor #0 starts with 1
  EXPECT_EQ((emb.data - as_bytes(b)) % 32, 0);
  EXPECT_EQ(f->get("blk.0.attn_norm.weight", {64}).dtype, DType::F32);
  EXPECT_EQ(f->get("blk.0.ffn_down.weight", {2, 128}).dtype, DType::Q4_1);
  EXPECT_EQ(f->get("blk.0.attn_q.weight", {2, 32}).dtype, DType::Q4_0);
  EXPECT_EQ(f->get("blk.0.attn_k.weight", {2, 8}).dtype, DType::F16);
  const TensorView& v = f->get("blk.0.attn_v.weight", {2, 8});
  EXPECT_EQ(v.dtype, DType::BF16);
  EXPECT_EQ(static_cast<uint8_t>(v.data[0]), 6);
  EXPECT_EQ(v.data + v.nbytes, as_bytes(b) + b.size());
}

TEST(GgufValid, Config) {
  const Bytes b = tiny_llama_writer().bytes();
  const ModelConfig c = parse_gguf(b)->config();
  EXPECT_EQ(c.arch, Architecture::Llama);
  EXPECT_EQ(c.n_layers, 1);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.vocab_size, 8);
  EXPECT_EQ(c.max_position, 256);
  EXPECT_DOUBLE_EQ(c.rope_theta, 50000.0);
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-9);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_id, 1);
  EXPECT_EQ(c.name, "tiny");
  EXPECT_EQ(c.rope_pairing, RopePairing::Adjacent);
}

TEST(GgufValid, ConfigDefaultsAndOptionalKeys) {
  GgufWriter w;
  w.version = 2;
  w.kv_string("general.architecture", "llama");
  w.kv<uint32_t>("llama.block_count", kU32, 2);
  w.kv<uint32_t>("llama.context_length", kU32, 128);
  w.kv<uint32_t>("llama.embedding_length", kU32, 64);
  w.kv<uint32_t>("llama.feed_forward_length", kU32, 96);
  w.kv<uint32_t>("llama.attention.head_count", kU32, 2);
  w.kv<double>("llama.attention.layer_norm_rms_epsilon", kF64, 1e-6);
  w.kv<uint32_t>("llama.vocab_size", kU32, 100);
  w.kv<uint32_t>("llama.rope.dimension_count", kU32, 32);
  w.tensor("output.weight", {64, 100}, kGgmlF16);
  const Bytes b = w.bytes();
  const auto f = parse_gguf(b);
  EXPECT_EQ(f->version(), 2u);
  const ModelConfig& c = f->config();
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, -1);
  EXPECT_EQ(c.name, "mem.gguf");
}

TEST(GgufValid, MixtralFromExpertCountOrArchitecture) {
  GgufWriter w = tiny_llama_writer();
  w.kv<uint32_t>("llama.expert_count", kU32, 8);
  w.kv<uint32_t>("llama.expert_used_count", kU32, 2);
  Bytes b = w.bytes();
  const ModelConfig c = parse_gguf(b)->config();
  EXPECT_EQ(c.arch, Architecture::Mixtral);
  EXPECT_EQ(c.n_experts, 8);
  EXPECT_EQ(c.n_experts_per_token, 2);

  GgufWriter bad = tiny_llama_writer();
  bad.kv<uint32_t>("llama.expert_count", kU32, 8);
  b = bad.bytes();
  EXPECT_ERROR(parse_gguf(b)->config(), "mem.gguf", "Mixtral");
}

TEST(GgufValid, UnsupportedArchitectureOpensButConfigThrows) {
  GgufWriter w;
  w.kv_string("general.architecture", "gpt2");
  w.tensor("x", {4}, kGgmlF32);
  const Bytes b = w.bytes();
  const auto f = parse_gguf(b);
  EXPECT_NE(f->find("x"), nullptr);
  EXPECT_ERROR(f->config(), "mem.gguf: unsupported architecture 'gpt2' (supported: llama, mixtral)");
}

TEST(GgufValid, MissingConfigKeyIsNamed) {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  const Bytes b = w.bytes();
  EXPECT_ERROR(parse_gguf(b)->config(), "mem.gguf", "llama.");
}

TEST(GgufValid, InvalidConfigValuesAreNamed) {
  GgufWriter w = tiny_llama_writer();
  w.kv<uint32_t>("llama.attention.head_count_kv", kU32, 3);  // duplicate key: rejected on open
  Bytes b = w.bytes();
  EXPECT_ERROR(parse_gguf(b), "duplicate metadata key 'llama.attention.head_count_kv'");

  GgufWriter neg;
  neg.kv_string("general.architecture", "llama");
  neg.kv<int32_t>("llama.block_count", kI32, -1);
  b = neg.bytes();
  EXPECT_ERROR(parse_gguf(b)->config(), "llama.block_count", "out of range");

  GgufWriter zero_heads;
  zero_heads.kv_string("general.architecture", "llama");
  for (const char* k : {"llama.block_count", "llama.context_length", "llama.embedding_length",
                        "llama.feed_forward_length", "llama.attention.head_count"}) {
    zero_heads.kv<uint32_t>(k, kU32, k == std::string("llama.attention.head_count") ? 0 : 64);
  }
  zero_heads.kv<float>("llama.attention.layer_norm_rms_epsilon", kF32, 1e-5f);
  zero_heads.kv<uint32_t>("llama.vocab_size", kU32, 10);
  b = zero_heads.bytes();
  EXPECT_ERROR(parse_gguf(b)->config(), "mem.gguf", "num_attention_heads");
}

TEST(GgufValid, EveryMetadataType) {
  GgufWriter w;
  w.kv<uint8_t>("t.u8", kU8, 200);
  w.kv<int8_t>("t.i8", kI8, -100);
  w.kv<uint16_t>("t.u16", kU16, 60000);
  w.kv<int16_t>("t.i16", kI16, -30000);
  w.kv<uint32_t>("t.u32", kU32, 4000000000u);
  w.kv<int32_t>("t.i32", kI32, -2000000000);
  w.kv<float>("t.f32", kF32, 0.5f);
  w.kv<uint8_t>("t.bool", kBool, 1);
  w.kv_string("t.string", "héllo");
  w.kv<uint64_t>("t.u64", kU64, 1ull << 40);
  w.kv<int64_t>("t.i64", kI64, -(1ll << 40));
  w.kv<double>("t.f64", kF64, 0.25);
  w.kv<uint64_t>("t.u64_big", kU64, ~0ull);
  w.kv_array<int16_t>("t.arr_i16", kI16, {1, -2, 3});
  w.kv_array<float>("t.arr_f32", kF32, {1.5f, 2.5f});
  w.kv_string_array("t.arr_str", {"a", "", "ccc"});
  w.kv_array<uint8_t>("t.arr_empty", kU8, {});
  ByteSink nested;  // [[1, 2], [3]] as arrays of uint32
  nested.put<uint32_t>(kArray);
  nested.put<uint64_t>(2);
  for (std::vector<uint32_t> inner : {std::vector<uint32_t>{1, 2}, std::vector<uint32_t>{3}}) {
    nested.put<uint32_t>(kU32);
    nested.put<uint64_t>(inner.size());
    for (uint32_t x : inner) nested.put(x);
  }
  w.kv_raw("t.nested", kArray, nested.out);
  const Bytes b = w.bytes();
  const auto f = parse_gguf(b);
  EXPECT_EQ(f->metadata_keys().size(), 18u);
  EXPECT_EQ(f->metadata_keys().front(), "t.u8");
  EXPECT_EQ(f->get_int("t.u8"), 200);
  EXPECT_EQ(f->get_int("t.i8"), -100);
  EXPECT_EQ(f->get_int("t.u16"), 60000);
  EXPECT_EQ(f->get_int("t.i16"), -30000);
  EXPECT_EQ(f->get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(f->get_int("t.i32"), -2000000000);
  EXPECT_FLOAT_EQ(f->get_float("t.f32"), 0.5f);
  EXPECT_TRUE(f->get_bool("t.bool"));
  EXPECT_EQ(f->get_string("t.string"), "héllo");
  EXPECT_EQ(f->get_int("t.u64"), 1ll << 40);
  EXPECT_EQ(f->get_int("t.i64"), -(1ll << 40));
  EXPECT_DOUBLE_EQ(f->get_float("t.f64"), 0.25);
  EXPECT_DOUBLE_EQ(f->get_float("t.u32"), 4e9);
  EXPECT_ERROR(f->get_int("t.u64_big"), "t.u64_big", "int64");
  EXPECT_EQ(f->get_int_array("t.arr_i16"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(f->get_float_array("t.arr_f32"), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(f->get_float_array("t.arr_i16"), (std::vector<double>{1, -2, 3}));
  EXPECT_EQ(f->get_string_array("t.arr_str"), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_TRUE(f->get_int_array("t.arr_empty").empty());
  EXPECT_TRUE(f->has("t.nested"));
  EXPECT_ERROR(f->get_int_array("t.nested"), "t.nested", "array of array");
  EXPECT_ERROR(f->get_bool("t.u8"), "t.u8", "uint8", "bool");
  EXPECT_ERROR(f->get_float("t.string"), "t.string", "string");
  EXPECT_ERROR(f->get_string_array("t.arr_f32"), "t.arr_f32", "array of float32");
  EXPECT_ERROR(f->get_int_array("t.arr_f32"), "t.arr_f32");
  EXPECT_FALSE(f->has("t.none"));
  EXPECT_ERROR(f->get_string("t.none"), "mem.gguf: metadata key 't.none' missing");
}

TEST(GgufValid, CustomAlignment) {
  GgufWriter w;
  w.alignment = 64;
  w.kv<uint32_t>("general.alignment", kU32, 64);
  w.tensor("a", {3}, kGgmlF32);
  w.tensor("b", {5}, kGgmlF32);
  const Bytes b = w.bytes();
  const auto f = parse_gguf(b);
  EXPECT_EQ((f->get("a").data - as_bytes(b)) % 64, 0);
  EXPECT_EQ(f->get("b").data - f->get("a").data, 64);
}

TEST(GgufValid, NoTensors) {
  GgufWriter w;
  w.kv_string("general.architecture", "llama");
  const Bytes b = w.bytes();
  EXPECT_TRUE(parse_gguf(b)->names().empty());
}

}  // namespace
}  // namespace eaglerun
