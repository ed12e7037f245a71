// make_random_llama OUT_DIR [hidden heads kv_heads intermediate layers vocab]: a LLaMA checkpoint
// with random BF16 weights (safetensors + config.json, Hugging Face names and layout), for
// benchmarks that need head counts the default model lacks (tensor parallel over 2 or 4 ranks).
// Defaults: 768 hidden, 12 query / 4 KV heads, 2048 intermediate, 12 layers, 49152
// tokens, the default model's vocabulary, so that --tokenizer default fits it (about 160 M
// parameters, 320 MB).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/weights/safetensors_writer.h"

namespace {

struct Shape {
  int64_t hidden = 768, heads = 12, kv_heads = 4, intermediate = 2048, layers = 12, vocab = 49152;
};

std::string config_json(const Shape& s) {
  char text[1024];
  std::snprintf(text, sizeof text,
                "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
                "  \"hidden_size\": %lld,\n  \"num_attention_heads\": %lld,\n  \"num_key_value_heads\": %lld,\n"
                "  \"intermediate_size\": %lld,\n  \"num_hidden_layers\": %lld,\n  \"vocab_size\": %lld,\n"
                "  \"max_position_embeddings\": 4096,\n  \"rms_norm_eps\": 1e-05,\n  \"rope_theta\": 10000.0,\n"
                "  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": false,\n  \"bos_token_id\": 1,\n"
                "  \"eos_token_id\": 2,\n  \"torch_dtype\": \"bfloat16\"\n}\n",
                (long long)s.hidden, (long long)s.heads, (long long)s.kv_heads, (long long)s.intermediate,
                (long long)s.layers, (long long)s.vocab);
  return text;
}

// Every tensor's values, N(0, 1/fan_in) for matrices, ones for norms.
struct Tensors {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> values;
  std::mt19937_64 rng{1};

  void add(const std::string& name, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n), 1.f);
    if (shape.size() == 2) {
      std::normal_distribution<float> normal(0.f, 1.f / std::sqrt(static_cast<float>(shape[1])));
      for (float& x : v) x = normal(rng);
    }
    names.push_back(name);
    shapes.push_back(std::move(shape));
    values.push_back(std::move(v));
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: make_random_llama OUT_DIR [hidden heads kv_heads intermediate layers vocab]\n";
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if ((argc != 2 && argc != 8) || argv[1][0] == '-') {  // an option where OUT_DIR belongs is a mistake
    std::fputs(usage, stderr);
    return 2;
  }
  Shape s;
  const std::string out = argv[1];
  try {
    if (argc == 8) {
      s = {std::stoll(argv[2]), std::stoll(argv[3]), std::stoll(argv[4]), std::stoll(argv[5]), std::stoll(argv[6]),
           std::stoll(argv[7])};
    }
    eaglerun::require(s.hidden > 0 && s.heads > 0 && s.kv_heads > 0 && s.intermediate > 0 && s.layers > 0 && s.vocab > 0,
                      "every size must be positive");
    eaglerun::require(s.hidden % s.heads == 0 && (s.hidden / s.heads) % 2 == 0 && s.heads % s.kv_heads == 0,
                      "hidden must be heads x an even head size, and heads a multiple of kv_heads");
    std::filesystem::create_directories(out);
    const int64_t H = s.hidden, D = H / s.heads, K = s.kv_heads * D, I = s.intermediate;
    Tensors t;
    t.add("model.embed_tokens.weight", {s.vocab, H});
    for (int64_t l = 0; l < s.layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      t.add(p + "input_layernorm.weight", {H});
      t.add(p + "self_attn.q_proj.weight", {H, H});
      t.add(p + "self_attn.k_proj.weight", {K, H});
      t.add(p + "self_attn.v_proj.weight", {K, H});
      t.add(p + "self_attn.o_proj.weight", {H, H});
      t.add(p + "post_attention_layernorm.weight", {H});
      t.add(p + "mlp.gate_proj.weight", {I, H});
      t.add(p + "mlp.up_proj.weight", {I, H});
      t.add(p + "mlp.down_proj.weight", {H, I});
    }
    t.add("model.norm.weight", {H});
    t.add("lm_head.weight", {s.vocab, H});
    std::vector<eaglerun::TensorToWrite> tensors;
    for (std::size_t i = 0; i < t.names.size(); ++i) tensors.push_back({t.names[i], t.shapes[i], t.values[i].data()});
    eaglerun::write_safetensors(out + "/model.safetensors", tensors, "BF16");
    std::ofstream(out + "/config.json") << config_json(s);
  } catch (const std::exception& e) {  // eaglerun::Error, or std::stoll's on a size that is no number
    std::fprintf(stderr, "make_random_llama: error: %s\n", e.what());
    return 1;
  }
  std::printf("%s: random LLaMA, %lld hidden, %lld/%lld heads, %lld layers\n", out.c_str(), (long long)s.hidden,
              (long long)s.heads, (long long)s.kv_heads, (long long)s.layers);
  return 0;
}
