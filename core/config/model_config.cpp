#include "core/config/model_config.h"

#include "core/error.h"

namespace eaglerun {

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* what) {
    require(v > 0, std::string("model config: ") + what + " must be positive, got " + std::to_string(v));
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(intermediate_size, "intermediate_size");
  positive(n_layers, "num_hidden_layers");
  positive(n_heads, "num_attention_heads");
  positive(n_kv_heads, "num_key_value_heads");
  positive(head_dim, "head_dim");
  positive(max_position, "max_position_embeddings");
  require(n_heads % n_kv_heads == 0, "model config: num_attention_heads (" + std::to_string(n_heads) +
                                         ") is not a multiple of num_key_value_heads (" +
                                         std::to_string(n_kv_heads) + ")");
  require(head_dim % 2 == 0, "model config: head_dim must be even for RoPE, got " + std::to_string(head_dim));
  require(rms_norm_eps > 0 && rms_norm_eps < 1, "model config: rms_norm_eps out of range");
  require(rope_theta > 1, "model config: rope_theta must be > 1");
  if (arch == Architecture::Mixtral) {
    require(n_experts > 0 && n_experts_per_token > 0 && n_experts_per_token <= n_experts,
            "model config: Mixtral needs 0 < num_experts_per_tok <= num_local_experts");
  }
  require(bos_token_id < vocab_size && eos_token_id < vocab_size, "model config: special token id >= vocab_size");
}

}  // namespace eaglerun
