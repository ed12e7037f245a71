#pragma once
// The optimiser: learning-rate schedule, gradient clipping and AdamW (as torch.optim.AdamW), on
// the flat parameter buffer of a ParamLayout. Plain serial loops: bit-reproducible.
#include <cstdint>
#include <vector>

#include "core/train/param_layout.h"
#include "core/train/trainer_config.h"

namespace eaglerun::train {

struct OptimizerState {
  int64_t step = 0;               // optimiser steps taken
  std::vector<float> exp_avg;     // [P] first moment
  std::vector<float> exp_avg_sq;  // [P] second moment
};

// The learning rate of step s (0-based):
//   s < warmup:  lr * (s + 1) / warmup
//   then linear: lr * max(0, (total - s) / (total - warmup));  cosine: lr * (1 + cos(pi * progress)) / 2,
//   progress = (s - warmup) / (total - warmup);  constant: lr.
double learning_rate(const TrainerConfig& c, int64_t step);

struct ClipStats {
  double norm = 0.0;      // global L2 norm of the gradient before clipping
  int64_t clipped = 0;    // elements clamped by clip_value
};
// Clamps each element to [-clip_value, clip_value] (if > 0), then scales the whole gradient so
// its L2 norm is at most clip_norm (if > 0). The returned norm is measured before either.
ClipStats clip_gradients(float* grads, int64_t n, double clip_value, double clip_norm);

// One AdamW step with learning rate lr: decoupled weight decay on 2-D tensors, bias-corrected moments.
void adamw_update(const TrainerConfig& c, double lr, const ParamLayout& layout, float* params, const float* grads,
                  OptimizerState& state);

}  // namespace eaglerun::train
