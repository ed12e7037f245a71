#include "experiments/experiment_config.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "core/backend/device.h"
#include "core/error.h"

namespace eaglerun {
namespace {

const std::set<std::string> kKinds = {"speedup", "robustness", "feature_error"};

template <class T>
std::vector<T> axis(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return {};
  const nlohmann::json& v = j.at(key);
  std::vector<T> out = v.is_array() ? v.get<std::vector<T>>() : std::vector<T>{v.get<T>()};
  require(!out.empty(), std::string("experiment config: '") + key + "' is an empty list");
  return out;
}

// "runs/heads/feature_only/" -> "feature_only"; "models/x.Q8_0.gguf" -> "x.Q8_0".
std::string path_label(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (const auto slash = path.find_last_of('/'); slash != std::string::npos) path = path.substr(slash + 1);
  if (path.size() > 5 && path.ends_with(".gguf")) path.resize(path.size() - 5);
  return path;
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

ExperimentConfig experiment_config_from_json(const nlohmann::json& j) {
  require(j.is_object(), "experiment config: expected a JSON object");
  static const std::set<std::string> known = {"kind", "model", "draft", "draft_vocab", "trees", "eval_sets",
                                              "temperatures", "top_p", "top_k", "seeds", "max_new_tokens",
                                              "prompt_limit", "max_turns", "threads", "precision", "device", "description",
                                              "noise", "noise_scales"};
  for (const auto& [key, value] : j.items()) {
    require(known.count(key) > 0, "experiment config: unknown setting '" + key + "'");
  }
  ExperimentConfig c;
  try {
    c.kind = j.value("kind", std::string());
    c.models = axis<std::string>(j, "model");
    c.drafts = axis<std::string>(j, "draft");
    c.draft_vocab = j.value("draft_vocab", c.draft_vocab);
    c.trees = axis<std::string>(j, "trees");
    c.eval_sets = axis<std::string>(j, "eval_sets");
    c.temperatures = axis<double>(j, "temperatures");
    c.top_p = j.value("top_p", c.top_p);
    c.top_k = j.value("top_k", c.top_k);
    c.seeds = axis<uint64_t>(j, "seeds");
    c.max_new_tokens = j.value("max_new_tokens", c.max_new_tokens);
    c.prompt_limit = j.value("prompt_limit", c.prompt_limit);
    c.max_turns = j.value("max_turns", c.max_turns);
    c.threads = j.value("threads", c.threads);
    c.precision = j.value("precision", c.precision);
    c.device = j.value("device", c.device);
    c.noise = j.value("noise", c.noise);
    c.noise_scales = axis<double>(j, "noise_scales");
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("experiment config: a setting has the wrong type (") + e.what() + ")");
  }
  require(kKinds.count(c.kind) > 0, "experiment config: unknown kind '" + c.kind + "' (known: speedup, robustness, feature_error)");
  const bool robustness = c.kind == "robustness";
  require(robustness == !c.noise_scales.empty(),
          robustness ? "experiment config: kind robustness needs 'noise_scales'"
                     : "experiment config: 'noise_scales' is for kind robustness");
  require(c.noise == "gaussian" || c.noise == "uniform", "experiment config: noise is gaussian or uniform");
  for (double s : c.noise_scales) require(s >= 0, "experiment config: noise_scales must be >= 0");
  if (c.noise_scales.empty()) c.noise_scales = {0.0};
  if (c.models.empty()) c.models = {"default"};
  if (c.drafts.empty()) c.drafts = {"default"};
  require(!c.trees.empty(), "experiment config: 'trees' is required");
  require(!c.eval_sets.empty(), "experiment config: 'eval_sets' is required");
  if (c.temperatures.empty()) c.temperatures = {0.0};
  if (c.seeds.empty()) c.seeds = {0};
  for (double t : c.temperatures) require(t >= 0, "experiment config: temperatures must be >= 0");
  require(c.max_new_tokens > 0, "experiment config: max_new_tokens must be positive");
  require(c.prompt_limit >= 0 && c.max_turns >= 0, "experiment config: prompt_limit and max_turns must be >= 0");
  require(c.threads >= 1, "experiment config: threads must be >= 1");
  require(c.precision == "fast" || c.precision == "reference", "experiment config: precision is fast or reference");
  try {
    parse_device(c.device);
  } catch (const Error& e) {
    throw Error(std::string("experiment config: ") + e.what());
  }
  require(c.top_p > 0 && c.top_p <= 1 && c.top_k >= 0, "experiment config: top_p in (0, 1], top_k >= 0");
  c.source = j;
  return c;
}

ExperimentConfig parse_experiment_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  require(in.good(), "cannot read experiment config " + path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str(), nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path + ": not valid JSON (" + e.what() + ")");
  }
  for (const std::string& o : overrides) {
    const auto eq = o.find('=');
    require(eq != std::string::npos && eq > 0, "--set '" + o + "': expected key=value");
    try {
      j[o.substr(0, eq)] = nlohmann::json::parse(o.substr(eq + 1));
    } catch (const nlohmann::json::parse_error&) {
      j[o.substr(0, eq)] = o.substr(eq + 1);  // a bare string
    }
  }
  try {
    return experiment_config_from_json(j);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

std::string ExperimentCell::name() const {
  char index_text[16];
  std::snprintf(index_text, sizeof index_text, "%04d", index);
  std::string set = eval_set;
  if (const auto slash = set.find_last_of('/'); slash != std::string::npos) set = set.substr(slash + 1);
  std::string axes;
  if (!model_label.empty()) axes += model_label + "-";
  if (!draft_label.empty()) axes += draft_label + "-";
  std::string n = std::string("cell-") + index_text + "-" + axes + tree + "-" + set + "-T" + format_number(temperature) +
                  "-s" + std::to_string(seed) + (robustness ? "-n" + format_number(noise_scale) : "");
  for (char& ch : n) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_';
    if (!ok) ch = '_';
  }
  return n;
}

nlohmann::json ExperimentCell::to_json(const ExperimentConfig& c) const {
  nlohmann::json j = c.source;
  j["model"] = model;
  j["draft"] = draft;
  j["trees"] = tree;
  j["eval_sets"] = eval_set;
  j["temperatures"] = temperature;
  j["seeds"] = seed;
  if (c.kind == "robustness") j["noise_scales"] = noise_scale;
  j["cell_index"] = index;
  return j;
}

std::vector<ExperimentCell> expand_cells(const ExperimentConfig& c) {
  std::vector<ExperimentCell> cells;
  const std::size_t total = c.models.size() * c.drafts.size() * c.trees.size() * c.eval_sets.size() *
                            c.temperatures.size() * c.seeds.size() * c.noise_scales.size();
  for (std::size_t i = 0; i < total; ++i) {
    std::size_t rest = i;  // the cell's index in mixed radix, the last axis varying fastest
    auto pick = [&rest](const auto& values) {
      const auto& v = values[rest % values.size()];
      rest /= values.size();
      return v;
    };
    ExperimentCell cell;
    cell.index = static_cast<int>(i);
    cell.noise_scale = pick(c.noise_scales);
    cell.seed = pick(c.seeds);
    cell.temperature = pick(c.temperatures);
    cell.eval_set = pick(c.eval_sets);
    cell.tree = pick(c.trees);
    cell.draft = pick(c.drafts);
    cell.model = pick(c.models);
    cell.robustness = c.kind == "robustness";
    if (c.models.size() > 1) cell.model_label = path_label(cell.model);
    if (c.drafts.size() > 1) cell.draft_label = path_label(cell.draft);
    cells.push_back(cell);
  }
  return cells;
}

std::vector<int> parse_cell_selection(const std::string& spec, int n) {
  std::vector<int> out;
  if (spec.empty()) {
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  std::stringstream in(spec);
  std::string part;
  std::set<int> seen;
  while (std::getline(in, part, ',')) {
    int lo = 0, hi = 0;
    char dash = 0;
    std::stringstream p(part);
    const bool range = part.find('-') != std::string::npos;
    const bool ok = range ? static_cast<bool>(p >> lo >> dash >> hi) && dash == '-' : static_cast<bool>(p >> lo);
    if (!range) hi = lo;
    require(ok && p.peek() == EOF, "--cells: cannot read '" + part + "' (use e.g. 0,2-4)");
    require(0 <= lo && lo <= hi && hi < n,
            "--cells: '" + part + "' is outside the config's cells 0-" + std::to_string(n - 1));
    for (int i = lo; i <= hi; ++i) {
      if (seen.insert(i).second) out.push_back(i);
    }
  }
  return out;
}

}  // namespace eaglerun
