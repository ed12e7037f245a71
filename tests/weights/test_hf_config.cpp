// parse_hf_config: Hugging Face config.json -> ModelConfig, and its error messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/weights/safetensors_model.h"
#include "core/weights/text_file.h"
#include "tests/test_paths.h"
#include "tests/weights/safetensors_writer.h"

namespace eaglerun {
namespace {

using nlohmann::json;

json base() { return json::parse(test::tiny_llama_config_json()); }
ModelConfig parse(const json& j) { return parse_hf_config(j.dump(), "cfg.json"); }

json with(json j, const std::string& key, json value) {
  j[key] = std::move(value);
  return j;
}
json without(json j, const std::string& key) {
  j.erase(key);
  return j;
}

TEST(HfConfig, Llama) {
  const ModelConfig c = parse(base());
  EXPECT_EQ(c.arch, Architecture::Llama);
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.intermediate_size, 32);
  EXPECT_EQ(c.n_layers, 1);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.max_position, 128);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.vocab_size, 8);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);  // the first of the list
  EXPECT_EQ(c.rope_pairing, RopePairing::Halves);
  EXPECT_EQ(c.name, "cfg.json");
}

TEST(HfConfig, Defaults) {
  json j = base();
  for (const char* k : {"num_key_value_heads", "rope_theta", "tie_word_embeddings", "bos_token_id", "rope_scaling"}) {
    j.erase(k);
  }
  j["eos_token_id"] = nullptr;
  j["head_dim"] = nullptr;
  const ModelConfig c = parse(j);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, -1);
  EXPECT_EQ(c.eos_token_id, -1);
  EXPECT_EQ(parse(with(base(), "head_dim", 8)).head_dim, 8);
}

TEST(HfConfig, ArchitectureFromModelType) {
  EXPECT_EQ(parse(without(base(), "architectures")).arch, Architecture::Llama);
  json m = without(base(), "architectures");
  m["model_type"] = "mixtral";
  m["num_local_experts"] = 8;
  m["num_experts_per_tok"] = 2;
  const ModelConfig c = parse(m);
  EXPECT_EQ(c.arch, Architecture::Mixtral);
  EXPECT_EQ(c.n_experts, 8);
  EXPECT_EQ(c.n_experts_per_token, 2);
}

TEST(HfConfig, Mixtral) {
  json m = with(base(), "architectures", {"MixtralForCausalLM"});
  EXPECT_ERROR(parse(m), "cfg.json: missing key 'num_local_experts'");
  m["num_local_experts"] = 4;
  m["num_experts_per_tok"] = 2;
  EXPECT_EQ(parse(m).arch, Architecture::Mixtral);
  m["num_experts_per_tok"] = 5;
  EXPECT_ERROR(parse(m), "cfg.json", "num_experts_per_tok");
}

TEST(HfConfig, EagleDraftConfigsParse) {
  for (const char* name : {"llama_2_chat_7B_config.json", "Mixtral_8x7B_config.json"}) {
    const std::string path = test::source_dir() + "/data/eagle-configs/" + name;
    const ModelConfig c = parse_hf_config(read_text_file(path), path);
    EXPECT_EQ(c.arch, Architecture::Llama) << name;
    EXPECT_EQ(c.n_layers, 1) << name;
    EXPECT_EQ(c.hidden_size, 4096) << name;
  }
}

TEST(HfConfig, MissingKeys) {
  for (const char* k : {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                        "rms_norm_eps", "max_position_embeddings", "vocab_size"}) {
    EXPECT_ERROR(parse(without(base(), k)), "cfg.json: missing key '" + std::string(k) + "'");
  }
  EXPECT_ERROR(parse(without(without(base(), "architectures"), "model_type")), "cfg.json", "architectures");
}

TEST(HfConfig, WrongTypes) {
  EXPECT_ERROR(parse(with(base(), "hidden_size", "16")), "cfg.json: key 'hidden_size' must be an integer, got string");
  EXPECT_ERROR(parse(with(base(), "hidden_size", 16.0)), "'hidden_size'", "integer");
  EXPECT_ERROR(parse(with(base(), "num_hidden_layers", -1)), "'num_hidden_layers'", "out of range");
  EXPECT_ERROR(parse(with(base(), "vocab_size", 1ull << 40)), "'vocab_size'", "out of range");
  EXPECT_ERROR(parse(with(base(), "rms_norm_eps", "1e-6")), "'rms_norm_eps'", "number");
  EXPECT_ERROR(parse(with(base(), "rope_theta", true)), "'rope_theta'", "number");
  EXPECT_ERROR(parse(with(base(), "tie_word_embeddings", 1)), "'tie_word_embeddings'", "boolean");
  EXPECT_ERROR(parse(with(base(), "eos_token_id", "2")), "'eos_token_id'", "integer");
  EXPECT_ERROR(parse(with(base(), "eos_token_id", {"x"})), "'eos_token_id'", "integer");
  EXPECT_ERROR(parse(with(base(), "bos_token_id", 1ll << 33)), "'bos_token_id'", "out of range");
  EXPECT_ERROR(parse(with(base(), "architectures", "LlamaForCausalLM")), "'architectures'");
  EXPECT_ERROR(parse(with(base(), "architectures", json::array())), "'architectures'");
  EXPECT_ERROR(parse(with(base(), "hidden_act", 3)), "'hidden_act'", "string");
}

TEST(HfConfig, Unsupported) {
  EXPECT_ERROR(parse(with(base(), "architectures", {"MistralForCausalLM"})),
               "cfg.json: unsupported architecture 'MistralForCausalLM' (supported: LlamaForCausalLM, "
               "MixtralForCausalLM)");
  EXPECT_ERROR(parse(with(without(base(), "architectures"), "model_type", "gpt2")), "model_type 'gpt2'");
  EXPECT_ERROR(parse(with(base(), "rope_scaling", {{"type", "linear"}, {"factor", 2.0}})),
               "cfg.json: rope_scaling is not supported");
  EXPECT_ERROR(parse(with(base(), "hidden_act", "gelu")), "hidden_act 'gelu'");
  EXPECT_ERROR(parse(with(base(), "attention_bias", true)), "attention_bias");
}

TEST(HfConfig, Inconsistent) {
  EXPECT_ERROR(parse(with(base(), "num_key_value_heads", 3)), "cfg.json", "num_key_value_heads");
  EXPECT_ERROR(parse(with(base(), "num_attention_heads", 0)), "cfg.json", "num_attention_heads");
  EXPECT_ERROR(parse(with(base(), "head_dim", 3)), "cfg.json", "head_dim");
  EXPECT_ERROR(parse(with(base(), "eos_token_id", 8)), "cfg.json", "special token");
}

TEST(HfConfig, InvalidJson) {
  EXPECT_ERROR(parse_hf_config("{\"hidden_size\": ", "cfg.json"), "cfg.json: invalid JSON");
  EXPECT_ERROR(parse_hf_config("[1]", "cfg.json"), "cfg.json", "not a JSON object");
  EXPECT_ERROR(parse_hf_config("", "cfg.json"), "cfg.json: invalid JSON");
}

}  // namespace
}  // namespace eaglerun
