#pragma once
// The part of a model one rank runs, as plain data. One rank running everything uses whole().
// The rules that choose a shard (tensor, pipeline and expert parallel) and narrow the weights to
// it live outside core/ (parallel/); the model only follows the shard it is given:
//   attention over n_heads query heads and n_kv_heads KV heads (the weights hold just those rows),
//   decoder layers [layer_begin, layer_end) only,
//   MoE experts whose weights are empty views are not held here and contribute nothing,
//   partial sums combined through the groups below (null: nothing to combine).
#include <cstdint>

#include "core/config/model_config.h"
#include "core/model/collectives.h"

namespace eaglerun {

struct ModelShard {
  int64_t n_heads = 0;                        // query heads computed here
  int64_t n_kv_heads = 0;                     // key/value heads cached here
  int64_t layer_begin = 0;                    // first decoder layer run here
  int64_t layer_end = 0;                      // one past the last
  ModelCollectives* tensor_group = nullptr;   // sums partial o_proj / down_proj outputs
  ModelCollectives* expert_group = nullptr;   // sums partial MoE outputs (experts or their rows split)

  static ModelShard whole(const ModelConfig& c) { return {c.n_heads, c.n_kv_heads, 0, c.n_layers, nullptr, nullptr}; }
  int64_t n_layers() const { return layer_end - layer_begin; }
  bool holds_all_layers(const ModelConfig& c) const { return layer_begin == 0 && layer_end == c.n_layers; }
};

}  // namespace eaglerun
