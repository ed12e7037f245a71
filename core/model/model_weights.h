#pragma once
// The tensors of a LLaMA or Mixtral model, looked up by name in a WeightStore (GGUF or Hugging Face
// naming) and shape-checked against the config. Matrices stay memory-mapped views; the small norm
// vectors are converted to owned fp32.   H = hidden, Q = q_dim, K = kv_dim, I = intermediate, E = experts.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor/tensor_view.h"
#include "core/weights/weight_store.h"

namespace eaglerun {

struct FeedForwardWeights {
  TensorView gate;  // [I, H]
  TensorView up;    // [I, H]
  TensorView down;  // [H, I]
};

struct LayerWeights {
  std::vector<float> attn_norm;  // [H]
  TensorView wq;                 // [Q, H]
  TensorView wk;                 // [K, H]
  TensorView wv;                 // [K, H]
  TensorView wo;                 // [H, Q]
  std::vector<float> ffn_norm;   // [H]
  FeedForwardWeights mlp;                // dense layers
  TensorView router;                     // [E, H]   (MoE only)
  std::vector<FeedForwardWeights> experts;  // [E]   (MoE only)
};

struct ModelWeights {
  TensorView embedding;             // [V, H]
  std::vector<LayerWeights> layers;  // [n_layers]
  std::vector<float> final_norm;    // [H]
  TensorView lm_head;               // [V, H] (the embedding when tied)
  int64_t experts_per_token = 0;    // MoE: experts each token reads (top-k)
  // Storage of views that are copies rather than file views (a rank's slice of a weight that is
  // not contiguous in the file). Empty for a whole model.
  std::vector<std::shared_ptr<const std::vector<std::byte>>> owned;

  // Throws Error naming the missing tensor or the mismatched shape.
  static ModelWeights load(const WeightStore& store);

  // Bytes of weights a decode step reads for one token: every matrix once plus one embedding row.
  // A shard counts what it holds (experts it does not hold are empty views).
  int64_t bytes_read_per_token() const;
};

// A float vector tensor (F32/F16/BF16) as owned fp32.
std::vector<float> to_float_vector(const TensorView& t);

}  // namespace eaglerun
