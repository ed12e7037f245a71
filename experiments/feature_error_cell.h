#pragma once
// The "feature_error" experiment kind, one cell: how the draft head's error grows as it feeds on
// its own predictions. For each question the target decodes greedily; along that continuation, from
// every `stride`-th start position s, the head reads the target's true features up to s - 1 and
// predicts f_s (depth 0), then for depth k = 1..D reads its own prediction f^_{s+k-1} with the
// target's token t_{s+k} and predicts f_{s+k}. Each prediction is compared with the target's feature
// at the same position: relative L2 error |f^ - f| / |f|, cosine similarity, and whether the
// head's logits (the target's LM head over the whole vocabulary) have the target's top-1 token.
// D is the depth of the cell's tree, which must be a chain (chain:D).
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/tree_spec.h"
#include "core/runtime/engine.h"
#include "experiments/experiment_config.h"
#include "experiments/experiment_record.h"
#include "experiments/speedup_cell.h"

namespace eaglerun {

inline constexpr int64_t kFeatureErrorStride = 4;  // start positions: every 4th of the continuation

CellRecord run_feature_error_cell(const ExperimentConfig& config, const ExperimentCell& cell, Target& target,
                                  const Engine& engine, EagleDrafter& drafter, const TreeSpec& tree,
                                  const std::function<void(const CellProgress&)>& progress);

}  // namespace eaglerun
