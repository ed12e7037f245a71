#pragma once
// A training checkpoint: one folder that is also a loadable draft head.
//   config.json, model.safetensors   the head (DraftHead::save, F32: exact)
//   optimizer.safetensors            AdamW moments "exp_avg.<name>", "exp_avg_sq.<name>" (F32)
//   trainer_config.json              the TrainerConfig
//   trainer_state.json               {"format": 1, "step", "samples_consumed", "train_sequences"}
//   draft_tokens.json                the draft vocabulary the token loss spans (config.draft_vocab > 0)
// Random state needs no saving: data order and noise are counter-keyed streams of config.seed
// (random.h), so (seed, samples_consumed) determines everything that follows.
#include <cstdint>
#include <string>
#include <vector>

#include "core/eagle/draft_head.h"
#include "core/train/adamw.h"
#include "core/train/param_layout.h"
#include "core/train/trainer_config.h"

namespace eaglerun::train {

struct TrainingState {
  TrainerConfig config;
  DraftHead head;
  OptimizerState optimizer;      // optimizer.step = steps taken
  int64_t samples_consumed = 0;  // training sequences drawn so far (position in the data order)
  int64_t train_sequences = 0;   // size of the training split when saved
  std::vector<int32_t> draft_tokens;  // [config.draft_vocab] token of each draft LM-head row; empty: all
};

// Writes into `dir + ".partial"`, then replaces dir: dir never holds half a checkpoint.
void save_checkpoint(const std::string& dir, const TrainingState& state);
// Throws Error for a missing or inconsistent file.
TrainingState load_checkpoint(const std::string& dir);

}  // namespace eaglerun::train
