#pragma once
// One config struct for every source (GGUF metadata, Hugging Face config.json) and both
// architectures (LLaMA, Mixtral). Plain fields, one comment each; derived values by method.
#include <cstdint>
#include <string>

namespace eaglerun {

enum class Architecture { Llama, Mixtral };

// How RoPE pairs the dimensions of a head.
//   Halves   : Hugging Face "rotate_half": dim i pairs with dim i + head_dim/2 (safetensors checkpoints).
//   Adjacent : dim 2i pairs with dim 2i+1; llama.cpp's converter permutes Q/K rows so GGUF files need this.
enum class RopePairing { Halves, Adjacent };

struct ModelConfig {
  Architecture arch = Architecture::Llama;
  int64_t vocab_size = 0;          // rows of the embedding / LM head
  int64_t hidden_size = 0;         // H, the feature size
  int64_t intermediate_size = 0;   // SwiGLU inner size (per expert for Mixtral)
  int64_t n_layers = 0;            // decoder layers
  int64_t n_heads = 0;             // query heads
  int64_t n_kv_heads = 0;          // key/value heads (grouped-query attention when < n_heads)
  int64_t head_dim = 0;            // usually hidden_size / n_heads
  double rms_norm_eps = 1e-5;      // RMSNorm epsilon
  double rope_theta = 10000.0;     // RoPE base
  RopePairing rope_pairing = RopePairing::Halves;
  int64_t max_position = 4096;     // context length the model was trained for
  bool tie_word_embeddings = false;// LM head shares the token embedding matrix
  int64_t n_experts = 0;           // Mixtral: experts per MoE layer (0 for dense)
  int64_t n_experts_per_token = 0; // Mixtral: experts each token is routed to (top-k)
  int32_t bos_token_id = -1;       // -1 when the model has none
  int32_t eos_token_id = -1;       // end of text
  std::string name;                // human-readable, for logs

  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  int64_t group_size() const { return n_heads / n_kv_heads; }  // query heads per KV head
  bool is_moe() const { return n_experts > 0; }

  // Throws Error naming the first inconsistent field (zero sizes, heads not dividing, ...).
  void validate() const;
};

}  // namespace eaglerun
