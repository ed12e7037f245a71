#pragma once
// Parameter and element counts of a target or draft head, from its config (no weights needed).
#include <cstdint>
#include <string>

#include "core/config/model_config.h"

namespace eaglerun::sim {

struct ModelShape {
  ModelConfig config;
  std::string name;
  int64_t layers = 0;
  double attention_params_per_layer = 0;  // q, k, v, o projections
  double dense_params_per_layer = 0;      // the dense MLP (gate, up, down); 0 for a MoE model
  double router_params_per_layer = 0;     // MoE gate: H x experts
  double expert_params = 0;               // one expert's gate, up and down
  double extra_params = 0;                // draft head: fc ((2 + taps) H x H + bias)
  int64_t experts = 0, experts_per_token = 0;
  double lm_head_rows = 0;                // rows the LM head scores (the vocabulary, or a draft vocabulary)
  double lm_head_params = 0;              // lm_head_rows x H
  double embedding_params = 0;            // V x H (a separate copy unless tied)
  double kv_elements_per_token_per_layer = 0;  // 2 x kv_dim

  bool is_moe() const { return experts > 0; }
  // Parameters one token multiplies with in the decoder layers (k experts for a MoE model).
  double layer_params_per_token() const;
  // Every parameter held in memory (embedding and LM head once when tied).
  double total_params() const;
};

ModelShape target_shape(const ModelConfig& config);
// An EAGLE-1 head for `target` (one dense decoder layer with the target's sizes, fc 2H -> H, its own
// copy of the embedding, the target's LM head over `draft_vocab` rows) or, when head_config is
// given (a Hugging Face config.json of the head), with its layers' sizes and count. A head reading
// n_taps of the target's lower layers (eaglerun_tap_layers) has fc (n_taps + 2) H -> H.
ModelShape head_shape(const ModelConfig& target, const ModelConfig* head_config, int64_t draft_vocab,
                      int64_t n_taps = 0);
// How many tap layers a head's config.json lists ("eaglerun_tap_layers"; 0 without the key).
int64_t head_tap_layers(const std::string& head_config_path);

// A Hugging Face config.json (LlamaForCausalLM / MixtralForCausalLM) -> ModelConfig.
ModelConfig load_model_config(const std::string& path);

}  // namespace eaglerun::sim
