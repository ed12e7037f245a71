// eaglerun convert (core/convert): round trips between GGUF and safetensors are exact, lossless
// conversions keep greedy tokens, quantised conversions stay within the format's error bound and a
// second quantisation of dequantised blocks gives the same bytes; metadata, the type rules and the
// error paths. Inputs: the transformers-written tiny Llama, the torch-written head, hand-made files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/convert/convert.h"
#include "core/convert/tensor_names.h"
#include "core/kernels/matmul.h"
#include "core/model/model.h"
#include "core/runtime/generator.h"
#include "core/weights/gguf_file.h"
#include "core/weights/open_model.h"
#include "core/weights/safetensors_file.h"
#include "core/weights/safetensors_writer.h"
#include "tests/test_paths.h"
#include "tests/weights/test_util.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

ConvertReport convert(const std::string& in, const std::string& out, DType type, std::vector<std::string> keep = {}) {
  ConvertOptions o;
  o.in = in;
  o.out = out;
  o.type = type;
  o.keep_type_of = std::move(keep);
  return convert_weights(o);
}

std::vector<float> values(const TensorView& t) {
  std::vector<float> v(static_cast<std::size_t>(t.numel()));
  dequantize(t.dtype, t.data, t.numel(), v.data());
  return v;
}

bool same_bytes(const TensorView& a, const TensorView& b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.nbytes == b.nbytes &&
         (a.nbytes == 0 || std::memcmp(a.data, b.data, a.nbytes) == 0);
}

std::vector<int32_t> greedy(const std::string& model_path, const std::vector<int32_t>& prompt, int64_t n) {
  ThreadPool pool(2);
  const Model m(std::shared_ptr<const WeightStore>(open_model(model_path)), pool, Precision::Reference);
  Sampler s(SamplingParams{});
  return generate_plain(m, s, {prompt, n, {}, {}}).output_tokens;
}

const std::vector<int32_t> kPrompt = {3, 17, 200, 45, 9, 120, 77};

TEST(Convert, HfToGgufToHfIsExactAndKeepsGreedyTokens) {
  TempDir tmp;
  const std::string hf = test::fixture("tiny_llama"), gguf = tmp.path("tiny.gguf"), back = tmp.path("back");
  const ConvertReport r1 = convert(hf, gguf, DType::F32);
  EXPECT_EQ(r1.input_kind, "hf");
  EXPECT_EQ(r1.output_format, "gguf");
  convert(gguf, back, DType::F32);
  const auto orig = SafetensorsFile::open(hf + "/model.safetensors");
  const auto again = SafetensorsFile::open(back + "/model.safetensors");
  ASSERT_EQ(again->names(), orig->names());
  for (const TensorView& t : orig->tensors()) EXPECT_TRUE(same_bytes(t, *again->find(t.name))) << t.name;
  // The GGUF holds llama.cpp's permuted Q/K rows and runs with adjacent-pair RoPE: same tokens.
  const auto g = GgufFile::open(gguf);
  EXPECT_EQ(g->config().rope_pairing, RopePairing::Adjacent);
  EXPECT_FALSE(same_bytes(*g->find("blk.0.attn_q.weight"), *orig->find("model.layers.0.self_attn.q_proj.weight")));
  EXPECT_TRUE(same_bytes(*g->find("blk.0.attn_v.weight"), *orig->find("model.layers.0.self_attn.v_proj.weight")));
  const auto want = greedy(hf, kPrompt, 24);
  EXPECT_EQ(greedy(gguf, kPrompt, 24), want);
  EXPECT_EQ(greedy(back, kPrompt, 24), want);
}

TEST(Convert, Bf16ToF32IsLosslessAndF16RoundTripsExactly) {
  TempDir tmp;
  const std::string bf16 = test::fixture("tiny_llama_bf16");
  convert(bf16, tmp.path("f32"), DType::F32);
  convert(tmp.path("f32"), tmp.path("f32.gguf"), DType::F32);
  const auto want = greedy(bf16, kPrompt, 24);
  EXPECT_EQ(greedy(tmp.path("f32"), kPrompt, 24), want);
  EXPECT_EQ(greedy(tmp.path("f32.gguf"), kPrompt, 24), want);
  // F16 data widened to F32 and narrowed again: the same bytes, and the same tokens in between.
  convert(test::fixture("tiny_llama"), tmp.path("f16.gguf"), DType::F16);
  convert(tmp.path("f16.gguf"), tmp.path("f16-f32.gguf"), DType::F32);
  convert(tmp.path("f16-f32.gguf"), tmp.path("f16-again.gguf"), DType::F16);
  const auto a = GgufFile::open(tmp.path("f16.gguf")), b = GgufFile::open(tmp.path("f16-again.gguf"));
  for (const TensorView& t : a->tensors()) EXPECT_TRUE(same_bytes(t, *b->find(t.name))) << t.name;
  EXPECT_EQ(a->find("blk.0.attn_norm.weight")->dtype, DType::F32);  // 1-D tensors stay F32
  EXPECT_EQ(a->find("token_embd.weight")->dtype, DType::F16);
  EXPECT_EQ(greedy(tmp.path("f16-f32.gguf"), kPrompt, 24), greedy(tmp.path("f16.gguf"), kPrompt, 24));
}

// Per block of 32 of the original x: the largest |x - x'| the format allows. d is the ideal scale;
// the stored fp16 scale (and Q4_1's fp16 minimum) differ from it by at most 2^-11 relative.
double block_bound(DType t, const float* x) {
  float lo = x[0], hi = x[0], amax = 0;
  for (int i = 0; i < 32; ++i) lo = std::min(lo, x[i]), hi = std::max(hi, x[i]), amax = std::max(amax, std::abs(x[i]));
  const double u = std::ldexp(1.0, -11);
  switch (t) {
    case DType::Q8_0: return amax / 127.0 * 0.5 + amax * u;             // half a step + 127 steps' scale error
    case DType::Q4_0: return amax / 8.0 + amax * u;                     // one step: +8 steps clip to 7
    case DType::Q4_1: return (hi - lo) / 15.0 * 0.5 + (hi - lo) * u + std::abs(lo) * u;
    default: return 0;
  }
}

TEST(Convert, QuantisedTypesStayWithinTheirBoundAndRequantiseToTheSameBytes) {
  TempDir tmp;
  const std::string hf = test::fixture("tiny_llama");
  const auto orig = SafetensorsFile::open(hf + "/model.safetensors");
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    const std::string name(dtype_info(t).name);
    const std::string q = tmp.path(name + ".gguf"), f = tmp.path(name + "-f32.gguf"), q2 = tmp.path(name + "-2.gguf");
    convert(hf, q, t);
    convert(q, tmp.path(name + "-hf"), DType::F32);  // back to HF naming, dequantised
    convert(q, f, DType::F32);
    convert(f, q2, t);
    const auto a = GgufFile::open(q), b = GgufFile::open(q2);
    const auto back = SafetensorsFile::open(tmp.path(name + "-hf") + "/model.safetensors");
    for (const TensorView& x : a->tensors()) EXPECT_TRUE(same_bytes(x, *b->find(x.name))) << name << " " << x.name;
    EXPECT_EQ(a->find("token_embd.weight")->dtype, t);  // embedding and output are quantised too
    EXPECT_EQ(a->find("output.weight")->dtype, t);
    for (const TensorView& o : orig->tensors()) {
      const std::vector<float> want = values(o), got = values(*back->find(o.name));
      if (o.shape.size() == 1) {
        EXPECT_EQ(got, want) << o.name;
        continue;
      }
      double worst = 0;  // error / bound
      for (std::size_t blk = 0; blk < want.size() / 32; ++blk) {
        const double bound = block_bound(t, want.data() + 32 * blk);
        for (std::size_t i = 32 * blk; i < 32 * blk + 32; ++i) worst = std::max(worst, std::abs(got[i] - want[i]) / bound);
      }
      EXPECT_LE(worst, 1.0) << name << " " << o.name;
    }
  }
}

TEST(Convert, GgufMetadataIsKeptAndTheFileTypeSet) {
  TempDir tmp;
  const std::string in = test::fixture("weights/tiny-llama.gguf");
  convert(in, tmp.path("out.gguf"), DType::F32);
  const auto a = GgufFile::open(in), b = GgufFile::open(tmp.path("out.gguf"));
  std::vector<std::string> want = a->metadata_keys();
  if (!a->has("general.file_type")) want.push_back("general.file_type");
  EXPECT_EQ(b->metadata_keys(), want);
  EXPECT_EQ(b->get_int("general.file_type"), 0);
  for (const std::string& k : a->metadata_keys()) {
    const GgufValue& x = *a->metadata().find(k);
    const GgufValue& y = *b->metadata().find(k);
    ASSERT_EQ(x.type, y.type) << k;
    if (k == "general.file_type") continue;
    if (x.type == GgufType::String) {
      EXPECT_EQ(x.str(), y.str()) << k;
    } else if (x.type == GgufType::Array) {
      ASSERT_EQ(x.array->count, y.array->count) << k;
      EXPECT_EQ(x.array->strings, y.array->strings) << k;
      if (x.array->raw) {
        EXPECT_EQ(std::memcmp(x.array->raw, y.array->raw, x.array->count * scalar_bytes(x.array->elem_type)), 0) << k;
      }
    } else {
      EXPECT_EQ(std::memcmp(x.raw, y.raw, scalar_bytes(x.type)), 0) << k;
    }
  }
}

TEST(Convert, TorchHeadToSafetensorsKeepsEveryTensorAndTheConfig) {
  TempDir tmp;
  const ConvertReport r = convert(test::fixture("pytorch/head"), tmp.path("head"), DType::F32);
  EXPECT_EQ(r.input_kind, "head");
  const auto want = SafetensorsFile::open(test::fixture("pytorch/head/expected.safetensors"));
  const auto got = SafetensorsFile::open(tmp.path("head") + "/model.safetensors");
  ASSERT_EQ(got->names(), want->names());
  for (const TensorView& t : want->tensors()) EXPECT_TRUE(same_bytes(t, *got->find(t.name))) << t.name;
  std::ifstream a(test::fixture("pytorch/head/config.json")), b(tmp.path("head") + "/config.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(b), {}));
  // BF16 matrices, F32 bias and norm.
  convert(test::fixture("pytorch/head/pytorch_model.bin"), tmp.path("bf16"), DType::BF16);
  const auto bf = SafetensorsFile::open(tmp.path("bf16") + "/model.safetensors");
  EXPECT_EQ(bf->find("fc.weight")->dtype, DType::BF16);
  EXPECT_EQ(bf->find("fc.bias")->dtype, DType::F32);
  EXPECT_ERROR(convert(test::fixture("pytorch/head"), tmp.path("head.gguf"), DType::F16), "converts to a safetensors folder only");
}

TEST(Convert, KeepTypeOfAndOffGridRows) {
  TempDir tmp;
  const std::string q = tmp.path("q.gguf");
  convert(test::fixture("tiny_llama"), q, DType::Q8_0);
  const ConvertReport r = convert(q, tmp.path("mixed.gguf"), DType::Q4_0, {"embedding", "attn_v"});
  const auto f = GgufFile::open(tmp.path("mixed.gguf"));
  EXPECT_EQ(f->find("token_embd.weight")->dtype, DType::Q8_0);
  EXPECT_EQ(f->find("blk.1.attn_v.weight")->dtype, DType::Q8_0);
  EXPECT_EQ(f->find("blk.1.attn_k.weight")->dtype, DType::Q4_0);
  EXPECT_EQ(r.types.at("q8_0"), 3);  // the embedding and two layers' attn_v
  // Rows of 48 elements cannot be Q4_1: F16, said once.
  fs::create_directories(tmp.path("odd"));
  const std::vector<float> emb(8 * 48, 0.25f), norm(48, 1.f);
  write_safetensors(tmp.path("odd") + "/model.safetensors",
                    {{"model.embed_tokens.weight", {8, 48}, emb.data()}, {"model.norm.weight", {48}, norm.data()}}, "F32");
  test::write_file(tmp.path("odd") + "/config.json", std::string(R"({"architectures": ["LlamaForCausalLM"],
    "hidden_size": 48, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
    "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "max_position_embeddings": 64, "vocab_size": 8,
    "tie_word_embeddings": true})"));
  const ConvertReport odd = convert(tmp.path("odd"), tmp.path("odd.gguf"), DType::Q4_1);
  ASSERT_EQ(odd.notes.size(), 2u);  // off-grid rows, no tokenizer
  EXPECT_NE(odd.notes[0].find("1 tensor(s) have rows that are not a multiple of 32"), std::string::npos);
  EXPECT_EQ(GgufFile::open(tmp.path("odd.gguf"))->find("token_embd.weight")->dtype, DType::F16);
}

TEST(Convert, BadInputsGiveOneErrorAndLeaveNoOutput) {
  TempDir tmp;
  EXPECT_ERROR(convert(tmp.path("missing"), tmp.path("o.gguf"), DType::F16), "does not exist");
  test::write_file(tmp.path("junk.bin"), std::string("not a model at all"));
  EXPECT_ERROR(convert(tmp.path("junk.bin"), tmp.path("o.gguf"), DType::F16), "not a GGUF, safetensors or torch.save");
  EXPECT_ERROR(convert(test::fixture("tiny_llama"), tmp.path("out"), DType::Q4_1), "needs a GGUF output");
  EXPECT_ERROR(parse_convert_type("Q5_K"), "unknown --type 'Q5_K'");
  EXPECT_EQ(parse_convert_type("q4_1"), DType::Q4_1);
  // A truncated GGUF: the input's error, and neither OUT nor OUT.partial left behind.
  const auto full = GgufFile::open(test::fixture("weights/tiny-llama.gguf"));
  std::ifstream in(test::fixture("weights/tiny-llama.gguf"), std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  test::write_file(tmp.path("cut.gguf"), std::string_view(bytes).substr(0, bytes.size() - 40));
  EXPECT_ERROR(convert(tmp.path("cut.gguf"), tmp.path("o.gguf"), DType::F16), "cut.gguf");
  EXPECT_FALSE(fs::exists(tmp.path("o.gguf")));
  EXPECT_FALSE(fs::exists(tmp.path("o.gguf.partial")));
}

TEST(Convert, QkPermutationIsLlamaCppsAndInvertible) {
  // 2 heads of 4 rows: HF rows [h0: a0 a1 b0 b1] -> GGUF [a0 b0 a1 b1].
  EXPECT_EQ(qk_row_order(8, 2, true), (std::vector<int64_t>{0, 2, 1, 3, 4, 6, 5, 7}));
  const auto to = qk_row_order(64, 4, true), from = qk_row_order(64, 4, false);
  for (std::size_t r = 0; r < 64; ++r) EXPECT_EQ(to[static_cast<std::size_t>(from[r])], static_cast<int64_t>(r));
  EXPECT_EQ(gguf_name_of("model.layers.7.block_sparse_moe.experts.3.w2.weight"), "blk.7.ffn_down.3.weight");
  EXPECT_EQ(hf_name_of("blk.7.ffn_down.3.weight"), "model.layers.7.block_sparse_moe.experts.3.w2.weight");
  EXPECT_EQ(hf_expert_name("blk.2.ffn_up_exps.weight", 5), "model.layers.2.block_sparse_moe.experts.5.w3.weight");
  EXPECT_EQ(gguf_name_of("fc.weight"), std::nullopt);
}

}  // namespace
}  // namespace eaglerun
