#include "simulator/validation.h"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "simulator/inputs_json.h"

namespace eaglerun::sim {

double predict(const SimulationInputs& inputs, const std::string& quantity) {
  const Deployment d = make_deployment(inputs);
  const Scenario s = make_scenario(inputs);
  const SimulationResult r = simulate(d, s);
  if (quantity == "plain_tokens_per_s") return r.plain_tokens_per_s;
  if (quantity == "eagle_tokens_per_s") return r.eagle_tokens_per_s;
  if (quantity == "speedup") return r.speedup;
  if (quantity == "tau") return r.tau;
  if (quantity == "max_batch_plain") return static_cast<double>(r.max_batch_plain);
  if (quantity == "max_batch_eagle") return static_cast<double>(r.max_batch_eagle);
  throw Error("unknown quantity '" + quantity +
              "' (expected plain_tokens_per_s, eagle_tokens_per_s, speedup, tau, max_batch_plain, max_batch_eagle)");
}

std::vector<ValidationRow> run_validation(const std::string& path) {
  const InputsFile file = read_inputs_file(path, "rows");
  const std::string& base = file.base_dir;
  const SimulationInputs& defaults = file.defaults;
  const nlohmann::json& rows = file.entries;
  std::vector<ValidationRow> out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    StrictObject o(rows[i], path + ": rows[" + std::to_string(i) + "]");
    ValidationRow r;
    r.id = o.text("id");
    r.quantity = o.text("quantity");
    r.source = o.text("source");
    r.unknown = o.has("unknown") ? o.text("unknown") : "";
    r.published = o.raw("published").get<double>();
    const auto band = o.raw("golden").get<std::vector<double>>();
    if (band.size() != 2) throw Error(o.where() + ": 'golden' must be [low, high]");
    r.golden_low = band[0];
    r.golden_high = band[1];
    r.inputs = read_inputs(o, base, defaults);
    o.finish();
    r.predicted = predict(r.inputs, r.quantity);
    out.push_back(r);
  }
  return out;
}

std::string format_validation(const std::vector<ValidationRow>& rows, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const ValidationRow& r : rows)
      a.push_back({{"id", r.id}, {"quantity", r.quantity}, {"predicted", r.predicted}, {"published", r.published},
                   {"error", r.error()}, {"source", r.source}, {"unknown", r.unknown},
                   {"in_golden_band", r.in_golden_band()}});
    return a.dump(1) + "\n";
  }
  std::string out = fmt::format("{:<28}{:<20}{:>10}{:>11}{:>8}  {}\n", "row", "quantity", "predicted", "published",
                                "error", "source");
  // mean |error| by kind of figure: speeds (tokens/s and speedups), largest batches, tau
  std::map<std::string, std::pair<double, int>> by_kind;
  for (const ValidationRow& r : rows) {
    out += fmt::format("{:<28}{:<20}{:>10.2f}{:>11.2f}{:>+7.1f}%  {}\n", r.id, r.quantity, r.predicted, r.published,
                       100.0 * r.error(), r.source);
    const std::string kind = r.quantity.rfind("max_batch", 0) == 0 ? "largest batch" : r.quantity == "tau" ? "tau" : "speed";
    by_kind[kind].first += std::abs(r.error());
    by_kind[kind].second += 1;
  }
  out += "mean absolute error:";
  for (const auto& [kind, sum] : by_kind)
    out += fmt::format(" {} {:.1f}% ({} rows);", kind, 100.0 * sum.first / sum.second, sum.second);
  out.back() = '\n';
  return out;
}

}  // namespace eaglerun::sim
