#include "core/convert/model_metadata.h"

#include <nlohmann/json.hpp>

namespace eaglerun {

void write_gguf_config(const ModelConfig& c, GgufWriter& w) {
  const std::string a = "llama.";
  auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
  w.set_string("general.architecture", "llama");
  if (!c.name.empty()) w.set_string("general.name", c.name);
  w.set_u32(a + "block_count", u32(c.n_layers));
  w.set_u32(a + "context_length", u32(c.max_position));
  w.set_u32(a + "embedding_length", u32(c.hidden_size));
  w.set_u32(a + "feed_forward_length", u32(c.intermediate_size));
  w.set_u32(a + "attention.head_count", u32(c.n_heads));
  w.set_u32(a + "attention.head_count_kv", u32(c.n_kv_heads));
  w.set_u32(a + "attention.key_length", u32(c.head_dim));
  w.set_u32(a + "attention.value_length", u32(c.head_dim));
  w.set_u32(a + "rope.dimension_count", u32(c.head_dim));
  w.set_f32(a + "attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  w.set_f32(a + "rope.freq_base", static_cast<float>(c.rope_theta));
  w.set_u32(a + "vocab_size", u32(c.vocab_size));
  if (c.is_moe()) {
    w.set_u32(a + "expert_count", u32(c.n_experts));
    w.set_u32(a + "expert_used_count", u32(c.n_experts_per_token));
  }
  if (c.bos_token_id >= 0) w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(c.bos_token_id));
  if (c.eos_token_id >= 0) w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(c.eos_token_id));
}

std::string hf_config_json(const ModelConfig& c) {
  nlohmann::ordered_json j;
  const bool moe = c.is_moe();
  j["architectures"] = {moe ? "MixtralForCausalLM" : "LlamaForCausalLM"};
  j["model_type"] = moe ? "mixtral" : "llama";
  j["hidden_act"] = "silu";
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.n_layers;
  j["num_attention_heads"] = c.n_heads;
  j["num_key_value_heads"] = c.n_kv_heads;
  j["head_dim"] = c.head_dim;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["max_position_embeddings"] = c.max_position;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["vocab_size"] = c.vocab_size;
  if (moe) {
    j["num_local_experts"] = c.n_experts;
    j["num_experts_per_tok"] = c.n_experts_per_token;
  }
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.eos_token_id >= 0) j["eos_token_id"] = c.eos_token_id;
  if (!c.name.empty()) j["_name_or_path"] = c.name;
  return j.dump(2) + "\n";
}

}  // namespace eaglerun
