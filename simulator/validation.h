#pragma once
// The simulator against published figures (data/simulator/validation.json): each row names the
// figure, its source, the inputs that reproduce its setting (and which of them the paper does not
// state), the quantity predicted, and the band the prediction is pinned to (the golden test).
#include <string>
#include <vector>

#include "simulator/inputs.h"

namespace eaglerun::sim {

struct ValidationRow {
  std::string id, quantity, source, unknown;  // quantity: plain_tokens_per_s, eagle_tokens_per_s,
                                              // speedup, max_batch_plain, max_batch_eagle, tau
  double published = 0;
  SimulationInputs inputs;
  double golden_low = 0, golden_high = 0;     // the prediction this file pins
  double predicted = 0;
  double error() const { return predicted / published - 1.0; }
  bool in_golden_band() const { return predicted >= golden_low && predicted <= golden_high; }
};

// Reads the file and predicts every row; throws Error on a malformed row.
std::vector<ValidationRow> run_validation(const std::string& path);
// The predicted value of `quantity` for `inputs`.
double predict(const SimulationInputs& inputs, const std::string& quantity);
std::string format_validation(const std::vector<ValidationRow>& rows, bool json);

}  // namespace eaglerun::sim
