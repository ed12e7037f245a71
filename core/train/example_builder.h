#pragma once
// Turns a TrainingSequence into the head's inputs and targets (see training_data.h for the
// position and mask semantics):
//   cut to the first max_seq_len tokens (T);
//   selected outputs S = { j : loss_mask[j] == 1, j + 1 < T };  head rows m = max(S) + 1
//   (later rows cannot affect earlier outputs under causal attention, so they are not run);
//   input j: f_j + U(-a, a) noise per value, a = feature_noise (* noise_reference_len / T when
//   that is set), followed by its k taps (no noise; with a noise stream, all k zeroed with probability
//   tap_dropout) for a head with tap layers, paired with the embedding of t_{j+1} (t_j for unshifted inputs);
//   target of selected output j: f_{j+1}, without noise.
#include <cstdint>

#include "core/model/model.h"
#include "core/train/random.h"
#include "core/train/sequence_loss.h"
#include "core/train/trainer_config.h"
#include "core/train/training_data.h"

namespace eaglerun::train {

// The head's tap layers among the data's: the data holds data_taps per row, the head reads index[t]
// as its tap t. make() throws Error when the data lacks one of the head's layers.
struct TapSelection {
  int64_t data_taps = 0;
  std::vector<int64_t> index;
  static TapSelection make(const std::vector<int64_t>& head_layers, const std::vector<int64_t>& data_layers);
};

// noise: the sample's noise stream, or null for none (validation). The result has no selected
// rows (m == 0) when no output of the sequence gets loss. taps: which of the sequence's taps the
// head reads (none by default).
HeadExample<float> build_example(const TrainingSequence& seq, const Model& target, const TrainerConfig& config,
                                 RandomStream* noise, const TapSelection& taps = {});

// Rows of features [m, H], each followed by the selected taps of its row of taps [m, data_taps H] (zeros
// where taps is null): [m, (k + 1) H] for k = index.size(), a tap head's feature input.
std::vector<float> with_taps(const float* features, const float* taps, int64_t m, int64_t H, const TapSelection& select);

// The half-width of the noise for a sequence of T tokens.
double noise_amplitude(const TrainerConfig& config, int64_t T);

}  // namespace eaglerun::train
