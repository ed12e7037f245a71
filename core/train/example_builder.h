#pragma once
// Turns a TrainingSequence into the head's inputs and targets (see training_data.h for the
// position and mask semantics):
//   cut to the first max_seq_len tokens (T);
//   selected outputs S = { j : loss_mask[j] == 1, j + 1 < T };  head rows m = max(S) + 1
//   (later rows cannot affect earlier outputs under causal attention, so they are not run);
//   input j: f_j + U(-a, a) noise per value, a = feature_noise (* noise_reference_len / T when
//   that is set), paired with the embedding of t_{j+1} (t_j for unshifted inputs);
//   target of selected output j: f_{j+1}, without noise.
#include <cstdint>

#include "core/model/model.h"
#include "core/train/random.h"
#include "core/train/sequence_loss.h"
#include "core/train/trainer_config.h"
#include "core/train/training_data.h"

namespace eaglerun::train {

// noise: the sample's noise stream, or null for none (validation). The result has no selected
// rows (m == 0) when no output of the sequence gets loss.
HeadExample<float> build_example(const TrainingSequence& seq, const Model& target, const TrainerConfig& config,
                                 RandomStream* noise);

// The half-width of the noise for a sequence of T tokens.
double noise_amplitude(const TrainerConfig& config, int64_t T);

}  // namespace eaglerun::train
