// parse_hf_config: a Hugging Face config.json (LlamaForCausalLM / MixtralForCausalLM) -> ModelConfig.
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/weights/display_name.h"
#include "core/weights/safetensors_model.h"

namespace eaglerun {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();  // sanity cap for sizes and counts

// Typed access to the keys of one config.json; every error names the source and the key.
class ConfigReader {
 public:
  ConfigReader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& message) const { throw Error(source_ + ": " + message); }

  // Present and not null.
  bool has(const char* key) const {
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  const json& at(const char* key) const {
    if (!has(key)) fail(std::string("missing key '") + key + "'");
    return *j_.find(key);
  }

  int64_t integer(const char* key, int64_t lo, int64_t hi) const { return integer_value(key, at(key), lo, hi); }
  int64_t size(const char* key) const { return integer(key, 0, kMaxSize); }
  int64_t size_or(const char* key, int64_t fallback) const { return has(key) ? size(key) : fallback; }

  double number_or(const char* key, std::optional<double> fallback) const {
    if (!has(key) && fallback) return *fallback;
    const json& v = at(key);
    if (!v.is_number()) fail(std::string("key '") + key + "' must be a number, got " + v.type_name());
    return v.get<double>();
  }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = at(key);
    if (!v.is_boolean()) fail(std::string("key '") + key + "' must be a boolean, got " + v.type_name());
    return v.get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = at(key);
    if (!v.is_string()) fail(std::string("key '") + key + "' must be a string, got " + v.type_name());
    return v.get<std::string>();
  }

  int64_t integer_value(const char* key, const json& v, int64_t lo, int64_t hi) const {
    if (!v.is_number_integer()) fail(std::string("key '") + key + "' must be an integer, got " + v.type_name());
    const bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                                  : v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
    if (!in_range) fail(std::string("key '") + key + "' = " + v.dump() + " is out of range");
    return v.get<int64_t>();
  }

  // bos/eos: null or absent -> -1; an integer; or a list whose first entry is used.
  int32_t token_id(const char* key) const {
    if (!has(key)) return -1;
    const json& v = at(key);
    if (v.is_array()) {
      if (v.empty()) return -1;
      return static_cast<int32_t>(integer_value(key, v[0], -1, std::numeric_limits<int32_t>::max()));
    }
    return static_cast<int32_t>(integer_value(key, v, -1, std::numeric_limits<int32_t>::max()));
  }

 private:
  const json& j_;
  std::string source_;
};

Architecture architecture(const ConfigReader& r) {
  if (r.has("architectures")) {
    const json& a = r.at("architectures");
    if (!a.is_array() || a.empty() || !a[0].is_string()) r.fail("key 'architectures' must be a non-empty list of strings");
    const auto name = a[0].get<std::string>();
    if (name == "LlamaForCausalLM") return Architecture::Llama;
    if (name == "MixtralForCausalLM") return Architecture::Mixtral;
    r.fail("unsupported architecture " + quote_name(name) + " (supported: LlamaForCausalLM, MixtralForCausalLM)");
  }
  const std::string type = r.string_or("model_type", "");
  if (type == "llama") return Architecture::Llama;
  if (type == "mixtral") return Architecture::Mixtral;
  if (type.empty()) r.fail("missing key 'architectures' (or 'model_type')");
  r.fail("unsupported model_type " + quote_name(type) + " (supported: llama, mixtral)");
}

void check_supported_features(const ConfigReader& r) {
  if (r.has("rope_scaling")) r.fail("rope_scaling is not supported");
  const std::string act = r.string_or("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act " + quote_name(act) + " is not supported (only silu)");
  if (r.boolean_or("attention_bias", false)) r.fail("attention_bias = true is not supported");
  if (r.boolean_or("mlp_bias", false)) r.fail("mlp_bias = true is not supported");
}

ModelConfig read_config(const ConfigReader& r) {
  ModelConfig c;
  c.arch = architecture(r);
  check_supported_features(r);
  c.hidden_size = r.size("hidden_size");
  c.intermediate_size = r.size("intermediate_size");
  c.n_layers = r.size("num_hidden_layers");
  c.n_heads = r.size("num_attention_heads");
  c.n_kv_heads = r.size_or("num_key_value_heads", c.n_heads);
  c.head_dim = r.size_or("head_dim", c.n_heads > 0 ? c.hidden_size / c.n_heads : 0);
  c.rms_norm_eps = r.number_or("rms_norm_eps", std::nullopt);
  c.rope_theta = r.number_or("rope_theta", 10000.0);
  c.rope_pairing = RopePairing::Halves;
  c.max_position = r.size("max_position_embeddings");
  c.tie_word_embeddings = r.boolean_or("tie_word_embeddings", false);
  c.vocab_size = r.size("vocab_size");
  if (c.arch == Architecture::Mixtral) {
    c.n_experts = r.size("num_local_experts");
    c.n_experts_per_token = r.size("num_experts_per_tok");
  }
  c.bos_token_id = r.token_id("bos_token_id");
  c.eos_token_id = r.token_id("eos_token_id");
  c.name = r.string_or("_name_or_path", "");
  return c;
}

}  // namespace

ModelConfig parse_hf_config(const std::string& json_text, const std::string& source_name) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw Error(source_name + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(source_name + ": config is not a JSON object");
  ModelConfig c = read_config(ConfigReader(j, source_name));
  if (c.name.empty()) c.name = source_name;
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source_name + ": " + e.what());
  }
  return c;
}

}  // namespace eaglerun
