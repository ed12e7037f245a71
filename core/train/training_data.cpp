#include "core/train/training_data.h"

#include <string>

#include "core/error.h"

namespace eaglerun {

InMemoryDataSource::InMemoryDataSource(std::vector<TrainingSequence> sequences, int64_t hidden_size,
                                       std::vector<int64_t> tap_layers)
    : sequences_(std::move(sequences)), hidden_(hidden_size), tap_layers_(std::move(tap_layers)) {
  for (const TrainingSequence& s : sequences_) check_sequence(s, hidden_, static_cast<int64_t>(tap_layers_.size()));
}

TrainingSequence InMemoryDataSource::get(int64_t index) const {
  require(index >= 0 && index < size(), "training sequence " + std::to_string(index) + " out of range");
  return sequences_[static_cast<std::size_t>(index)];
}

void check_sequence(const TrainingSequence& s, int64_t hidden_size, int64_t n_taps) {
  const auto T = static_cast<int64_t>(s.tokens.size());
  require(static_cast<int64_t>(s.features.size()) == T * hidden_size,
          "training sequence: " + std::to_string(s.features.size()) + " feature values for " + std::to_string(T) +
              " tokens of hidden size " + std::to_string(hidden_size));
  require(static_cast<int64_t>(s.loss_mask.size()) == T, "training sequence: loss mask of " +
                                                             std::to_string(s.loss_mask.size()) + " entries for " +
                                                             std::to_string(T) + " tokens");
  require(static_cast<int64_t>(s.taps.size()) == T * n_taps * hidden_size,
          "training sequence: " + std::to_string(s.taps.size()) + " tap values for " + std::to_string(T) + " tokens and " +
              std::to_string(n_taps) + " tap layers");
}

std::vector<int64_t> selected_outputs(const TrainingSequence& s) {
  std::vector<int64_t> out;
  const auto T = static_cast<int64_t>(s.tokens.size());
  for (int64_t j = 0; j + 1 < T; ++j) {
    if (s.loss_mask[static_cast<std::size_t>(j)] != 0) out.push_back(j);
  }
  return out;
}

}  // namespace eaglerun
