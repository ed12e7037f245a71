#include "simulator/model_shape.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/weights/safetensors_model.h"
#include "core/weights/text_file.h"

namespace eaglerun::sim {

namespace {

void fill_layer_counts(ModelShape& s, const ModelConfig& c, bool dense) {
  const double h = static_cast<double>(c.hidden_size);
  s.attention_params_per_layer = h * c.q_dim() * 2.0 + h * c.kv_dim() * 2.0;
  s.kv_elements_per_token_per_layer = 2.0 * c.kv_dim();
  const double mlp = 3.0 * h * c.intermediate_size;
  if (c.is_moe() && !dense) {
    s.experts = c.n_experts;
    s.experts_per_token = c.n_experts_per_token;
    s.expert_params = mlp;
    s.router_params_per_layer = h * c.n_experts;
  } else {
    s.dense_params_per_layer = mlp;
  }
}

}  // namespace

double ModelShape::layer_params_per_token() const {
  return attention_params_per_layer + dense_params_per_layer + router_params_per_layer +
         expert_params * static_cast<double>(experts_per_token);
}

double ModelShape::total_params() const {
  const double per_layer = attention_params_per_layer + dense_params_per_layer + router_params_per_layer +
                           expert_params * static_cast<double>(experts);
  const bool shared = config.tie_word_embeddings && lm_head_rows == config.vocab_size;
  return per_layer * layers + extra_params + embedding_params + (shared ? 0.0 : lm_head_params);
}

ModelShape target_shape(const ModelConfig& c) {
  ModelShape s;
  s.config = c;
  s.name = c.name;
  s.layers = c.n_layers;
  fill_layer_counts(s, c, false);
  s.lm_head_rows = static_cast<double>(c.vocab_size);
  s.lm_head_params = s.lm_head_rows * c.hidden_size;
  s.embedding_params = static_cast<double>(c.vocab_size) * c.hidden_size;
  return s;
}

ModelShape head_shape(const ModelConfig& target, const ModelConfig* head_config, int64_t draft_vocab, int64_t n_taps) {
  ModelConfig c = head_config ? *head_config : target;
  if (c.hidden_size != target.hidden_size)
    throw Error("the draft head's hidden_size " + std::to_string(c.hidden_size) + " does not match the target's " +
                std::to_string(target.hidden_size));
  if (!head_config) c.n_layers = 1;  // else the head's num_hidden_layers (released heads: 1)
  ModelShape s;
  s.config = c;
  s.name = "EAGLE head";
  s.layers = c.n_layers;
  fill_layer_counts(s, c, true);  // the released Mixtral head is a dense layer
  const double h = static_cast<double>(c.hidden_size);
  s.extra_params = (2.0 + static_cast<double>(n_taps)) * h * h + h;
  if (draft_vocab <= 0 || draft_vocab > target.vocab_size)
    throw Error("--draft-vocab " + std::to_string(draft_vocab) + " must be in 1.." + std::to_string(target.vocab_size));
  s.lm_head_rows = static_cast<double>(draft_vocab);
  s.lm_head_params = s.lm_head_rows * h;  // the target's LM head rows: read per pass, stored with the target
  s.embedding_params = static_cast<double>(target.vocab_size) * h;
  return s;
}

int64_t head_tap_layers(const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(read_text_file(path), nullptr, false);
  if (!j.is_object() || !j.contains("eaglerun_tap_layers")) return 0;
  const nlohmann::json& taps = j["eaglerun_tap_layers"];
  if (!taps.is_array()) throw Error(path + ": eaglerun_tap_layers is not a list of layers");
  return static_cast<int64_t>(taps.size());
}

ModelConfig load_model_config(const std::string& path) {
  ModelConfig c = parse_hf_config(read_text_file(path), path);
  c.name = std::filesystem::path(path).stem().string();
  c.validate();
  return c;
}

}  // namespace eaglerun::sim
