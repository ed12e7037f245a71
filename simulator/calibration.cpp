#include "simulator/calibration.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "simulator/inputs_json.h"
#include "simulator/simulation.h"

namespace eaglerun::sim {

namespace {

bool quiet_machine(const CellMeasurement& c) {
  const double limit = static_cast<double>(c.threads) + 0.5;
  return c.load_average_start >= 0 && c.load_average_end >= 0 && c.load_average_start <= limit &&
         c.load_average_end <= limit;
}

CalibrationRow calibrate_cell(const CellMeasurement& cell, const std::string& tree, SimulationInputs in) {
  CalibrationRow r;
  r.cell = cell;
  r.tree = tree;
  r.quiet = quiet_machine(cell);
  in.tree = tree;
  in.context = std::max<int64_t>(1, static_cast<int64_t>(std::lround(cell.mean_context)));
  in.acceptance = AcceptanceInput{};
  in.acceptance.tau = cell.tau;
  const Deployment d = make_deployment(in);
  const SimulationResult s = simulate(d, make_scenario(in));
  r.predicted_speedup = s.speedup;
  r.predicted_plain_tokens_per_s = s.plain_tokens_per_s;
  r.predicted_draft_s = s.draft_s;
  r.predicted_verify_s = s.verify.total_s() + s.eagle_host_s;
  return r;
}

// "experiment/cell-0000" for .../experiment/cell-0000-....h5.
std::string short_name(const std::string& path) {
  const std::filesystem::path p(path);
  return p.parent_path().filename().string() + "/" + p.filename().string().substr(0, 9);
}

}  // namespace

CalibrationSummary run_calibration(const std::string& path) {
  const InputsFile file = read_inputs_file(path, "cells");
  const std::string& base = file.base_dir;
  const SimulationInputs& defaults = file.defaults;
  const nlohmann::json& cells = file.entries;
  CalibrationSummary s;
  double plain_sum = 0, speedup_sum = 0;
  int plain_n = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    StrictObject o(cells[i], path + ": cells[" + std::to_string(i) + "]");
    const std::string cell_path = (std::filesystem::path(base) / o.text("path")).lexically_normal().string();
    const CellMeasurement cell = read_cell_measurement(cell_path);
    const std::string tree = o.has("tree") ? o.text("tree") : cell.tree;
    o.finish();
    s.rows.push_back(calibrate_cell(cell, tree, defaults));
    const CalibrationRow& r = s.rows.back();
    speedup_sum += std::abs(r.speedup_error());
    if (r.quiet) plain_sum += std::abs(r.plain_error()), ++plain_n;
  }
  if (s.rows.empty()) throw Error(path + ": no cells");
  s.speedup_mae = speedup_sum / static_cast<double>(s.rows.size());
  s.plain_mae = plain_n ? plain_sum / plain_n : 0.0;
  s.overall_mae = (speedup_sum + plain_sum) / static_cast<double>(s.rows.size() + static_cast<std::size_t>(plain_n));
  return s;
}

std::string format_calibration(const CalibrationSummary& s, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const CalibrationRow& r : s.rows)
      a.push_back({{"cell", r.cell.path}, {"tree", r.tree}, {"tau", r.cell.tau},
                   {"measured_speedup", r.cell.decode_speedup}, {"predicted_speedup", r.predicted_speedup},
                   {"quiet", r.quiet}, {"measured_plain_tokens_per_s", r.cell.plain_decode_tokens_per_s},
                   {"predicted_plain_tokens_per_s", r.predicted_plain_tokens_per_s},
                   {"measured_draft_s", r.cell.mean_draft_s}, {"predicted_draft_s", r.predicted_draft_s},
                   {"measured_verify_s", r.cell.mean_verify_s}, {"predicted_verify_s", r.predicted_verify_s}});
    return nlohmann::json{{"rows", a}, {"speedup_mae", s.speedup_mae}, {"plain_mae", s.plain_mae},
                          {"overall_mae", s.overall_mae}}.dump(1) + "\n";
  }
  std::string out = fmt::format("{:<58}{:<34}{:>6}{:>9}{:>9}{:>8}{:>10}{:>10}{:>8}\n", "cell", "tree", "tau",
                                "speedup", "model", "error", "plain t/s", "model", "error");
  for (const CalibrationRow& r : s.rows) {
    const std::string name = short_name(r.cell.path);
    out += fmt::format("{:<58}{:<34}{:>6.2f}{:>9.3f}{:>9.3f}{:>+7.1f}%", name, r.tree, r.cell.tau, r.cell.decode_speedup,
                       r.predicted_speedup, 100.0 * r.speedup_error());
    out += r.quiet ? fmt::format("{:>10.1f}{:>10.1f}{:>+7.1f}%\n", r.cell.plain_decode_tokens_per_s,
                                 r.predicted_plain_tokens_per_s, 100.0 * r.plain_error())
                   : fmt::format("{:>10.1f}{:>10}{:>8}\n", r.cell.plain_decode_tokens_per_s, "(load)", "");
  }
  out += fmt::format("mean absolute error: speedup {:.1f}% ({} cells), plain tokens/s {:.1f}% (cells on an idle machine), "
                     "all {:.1f}%\n",
                     100.0 * s.speedup_mae, s.rows.size(), 100.0 * s.plain_mae, 100.0 * s.overall_mae);
  out += fmt::format("\nper speculative step, measured vs model (ms); verify includes acceptance and keeping KV rows\n"
                     "{:<58}{:>10}{:>9}{:>10}{:>9}{:>10}{:>9}\n",
                     "cell", "draft", "model", "verify", "model", "plain", "model");
  for (const CalibrationRow& r : s.rows) {
    out += fmt::format("{:<58}{:>10.2f}{:>9.2f}{:>10.2f}{:>9.2f}{:>10.2f}{:>9.2f}\n", short_name(r.cell.path),
                       1e3 * r.cell.mean_draft_s, 1e3 * r.predicted_draft_s, 1e3 * r.cell.mean_verify_s,
                       1e3 * r.predicted_verify_s, 1e3 / r.cell.plain_decode_tokens_per_s,
                       1e3 / r.predicted_plain_tokens_per_s);
  }
  return out;
}

}  // namespace eaglerun::sim
