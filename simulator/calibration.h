#pragma once
// The simulator against this machine's own measured runs (data/simulator/calibration.json): for each
// listed experiment cell, the decode speedup predicted from the cell's tree and measured tau beside
// the measured one (at the cell's own mean context), and, for cells recorded on an otherwise idle machine (1-minute load average at
// most threads + 0.5 at both ends), the plain decode tokens/s beside the measured rate.
#include <string>
#include <vector>

#include "simulator/cell_reader.h"
#include "simulator/inputs.h"

namespace eaglerun::sim {

struct CalibrationRow {
  CellMeasurement cell;
  std::string tree;
  bool quiet = false;  // the machine ran nothing else: its plain tokens/s are compared
  double predicted_speedup = 0, predicted_plain_tokens_per_s = 0;
  // Where the step's time goes, predicted: the drafter's time and the verification (the target's
  // forward plus the EAGLE host work), beside the cell's measured means (CellMeasurement).
  double predicted_draft_s = 0, predicted_verify_s = 0;
  double speedup_error() const { return predicted_speedup / cell.decode_speedup - 1.0; }
  double plain_error() const { return predicted_plain_tokens_per_s / cell.plain_decode_tokens_per_s - 1.0; }
};

struct CalibrationSummary {
  std::vector<CalibrationRow> rows;
  double speedup_mae = 0;  // mean |error| over the rows' speedups
  double plain_mae = 0;    // mean |error| over the quiet rows' plain tokens/s
  double overall_mae = 0;  // over both kinds of figures together
};

CalibrationSummary run_calibration(const std::string& path);
std::string format_calibration(const CalibrationSummary& s, bool json);

}  // namespace eaglerun::sim
