#pragma once
// The sharding rules: which part of a model one rank holds, as plain ranges. Applied to the
// weights from outside the model code (the model only follows the resulting ModelShard).
//
// Tensor parallel (Megatron), over the tp ranks of a stage:
//   attention  KV heads [kv_heads) and their query heads [heads): rows of q/k/v (column parallel),
//              the same columns of o_proj (row parallel, partial sums all-reduced)
//   MLP        intermediate rows [ffn) of gate/up (column parallel), columns [ffn) of down (row
//              parallel, all-reduced); for MoE the same inside every expert held
// Expert parallel, over the ep ranks of a stage: experts [experts) held here; attention is
//   repeated on each ep rank; the MoE output is summed over the stage's tp x ep ranks.
// Pipeline parallel: decoder layers [layers) form this rank's stage.
// LM head: vocabulary rows [vocab) split over the stage's tp x ep ranks (only the last stage uses it).
#include "core/config/model_config.h"
#include "core/model/model_shard.h"
#include "core/model/model_weights.h"
#include "parallel/tensor_slices.h"
#include "parallel/world.h"

namespace eaglerun {

struct ShardPlan {
  Range kv_heads, heads, ffn, experts, layers, vocab;

  // Throws Error naming the split that does not fit the model (and the values that would).
  static ShardPlan make(const ModelConfig& config, const ModelWeights& full, const World& world);
  bool whole(const ModelConfig& c) const;
};

// The plan's part of the full model's weights: row slices are views, column slices copies.
ModelWeights apply_shard_plan(ModelWeights full, const ShardPlan& plan, const ModelConfig& config);

// The ModelShard the model follows; groups may be null when the plan does not split that way.
ModelShard model_shard(const ShardPlan& plan, const ModelConfig& config, ModelCollectives* tensor_group,
                       ModelCollectives* expert_group);

}  // namespace eaglerun
