#include "simulator/inputs_json.h"

#include <filesystem>

#include "core/error.h"

namespace eaglerun::sim {

namespace {

std::string resolve(const std::string& base_dir, const std::string& path) {
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

int64_t integer(StrictObject& o, const std::string& key) {
  const nlohmann::json& v = o.raw(key);
  if (!v.is_number_integer()) throw Error(o.where() + ": '" + key + "' must be an integer");
  return v.get<int64_t>();
}

double number(StrictObject& o, const std::string& key) {
  const nlohmann::json& v = o.raw(key);
  if (!v.is_number()) throw Error(o.where() + ": '" + key + "' must be a number");
  return v.get<double>();
}

}  // namespace

SimulationInputs read_inputs(StrictObject& o, const std::string& base_dir, const SimulationInputs& defaults) {
  SimulationInputs in = defaults;
  const auto path_key = [&](const char* key, std::string& field) {
    if (o.has(key)) field = resolve(base_dir, o.text(key));
  };
  const auto text_key = [&](const char* key, std::string& field) {
    if (o.has(key)) field = o.text(key);
  };
  const auto int_key = [&](const char* key, int64_t& field) {
    if (o.has(key)) field = integer(o, key);
  };
  path_key("model", in.model_path);
  path_key("hardware", in.hardware_path);
  path_key("runtime", in.runtime_path);
  path_key("head_config", in.head_config_path);
  int_key("tp", in.tp);
  int_key("pp", in.pp);
  int_key("ep", in.ep);
  if (o.has("pp_overlap")) {
    const nlohmann::json& v = o.raw("pp_overlap");
    if (!v.is_boolean()) throw Error(o.where() + ": 'pp_overlap' must be true or false");
    in.pp_overlap = v.get<bool>();
  }
  text_key("weights", in.weights);
  text_key("lm_head", in.lm_head);
  text_key("kv", in.kv);
  text_key("head", in.head);
  int_key("draft_vocab", in.draft_vocab);
  text_key("tree", in.tree);
  int_key("batch", in.batch);
  int_key("context", in.context);
  if (o.has("tau")) {
    in.acceptance = AcceptanceInput{};
    in.acceptance.tau = number(o, "tau");
  } else if (o.has("alpha")) {
    in.acceptance = AcceptanceInput{};
    in.acceptance.kind = AcceptanceInput::Kind::Alpha;
    in.acceptance.alpha = number(o, "alpha");
  } else if (o.has("n_alpha")) {
    in.acceptance = AcceptanceInput{};
    in.acceptance.kind = AcceptanceInput::Kind::NAlpha;
    in.acceptance.n_alpha = o.raw("n_alpha").get<std::vector<double>>();
  } else if (o.has("acceptance")) {
    in.acceptance = AcceptanceInput{};
    in.acceptance.kind = AcceptanceInput::Kind::Cell;
    in.acceptance.cell_path = resolve(base_dir, o.text("acceptance"));
  }
  return in;
}

InputsFile read_inputs_file(const std::string& path, const std::string& list_key) {
  const nlohmann::json j = read_json_file(path);
  StrictObject top(j, path);
  top.allow("notes");
  InputsFile f;
  f.base_dir = std::filesystem::path(path).parent_path().string();
  StrictObject defaults = top.object("defaults");
  f.defaults = read_inputs(defaults, f.base_dir, SimulationInputs{});
  defaults.finish();
  f.entries = top.raw(list_key);
  top.finish();
  if (!f.entries.is_array()) throw Error(path + ": '" + list_key + "' must be a list");
  return f;
}

}  // namespace eaglerun::sim
