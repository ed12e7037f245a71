#include "core/eagle/draft_head.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/kernels/ops.h"
#include "core/weights/pytorch_file.h"
#include "core/weights/safetensors_file.h"
#include "core/weights/safetensors_writer.h"

namespace eaglerun {
namespace {

constexpr const char* kFc = "fc.weight";
constexpr const char* kFcBias = "fc.bias";
constexpr int64_t kMaxLayers = DraftHeadConfig::kMaxLayers;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback, const std::string& source) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(source + ": key '" + key + "' has the wrong type");
  }
}

constexpr std::pair<DraftInputs, const char*> kInputNames[] = {
    {DraftInputs::FeatureAndShiftedToken, "feature_and_shifted_token"},
    {DraftInputs::FeatureOnly, "feature_only"},
    {DraftInputs::TokenOnly, "token_only"},
    {DraftInputs::FeatureAndUnshiftedToken, "feature_and_unshifted_token"}};

}  // namespace

std::string_view draft_inputs_name(DraftInputs inputs) {
  for (const auto& [value, name] : kInputNames) {
    if (value == inputs) return name;
  }
  return "unknown";
}

DraftInputs parse_draft_inputs(std::string_view name) {
  for (const auto& [value, n] : kInputNames) {
    if (name == n) return value;
  }
  throw Error("unknown draft head inputs '" + std::string(name) +
              "' (expected feature_and_shifted_token, feature_only, token_only or feature_and_unshifted_token)");
}

DraftHeadConfig DraftHeadConfig::for_target(const ModelConfig& t) {
  DraftHeadConfig c;
  c.hidden_size = t.hidden_size;
  c.intermediate_size = t.intermediate_size;
  c.n_heads = t.n_heads;
  c.n_kv_heads = t.n_kv_heads;
  c.head_dim = t.head_dim;
  c.vocab_size = t.vocab_size;
  c.rms_norm_eps = t.rms_norm_eps;
  c.max_position = t.max_position;
  return c;
}

DraftHeadConfig DraftHeadConfig::from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": invalid JSON: " + e.what());
  }
  require(j.is_object(), source + ": expected a JSON object");
  for (const char* key : {"hidden_size", "intermediate_size", "num_attention_heads", "vocab_size"}) {
    require(j.contains(key), source + ": missing key '" + key + "'");
  }
  const auto n_layers = get_or<int64_t>(j, "num_hidden_layers", 1, source);
  require(n_layers >= 1 && n_layers <= kMaxLayers,
          source + ": num_hidden_layers " + std::to_string(n_layers) + " is outside 1.." + std::to_string(kMaxLayers));
  require(!j.contains("rope_scaling") || j["rope_scaling"].is_null(), source + ": rope_scaling is not supported");
  DraftHeadConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", 0, source);
  c.intermediate_size = get_or<int64_t>(j, "intermediate_size", 0, source);
  c.n_layers = n_layers;
  c.n_heads = get_or<int64_t>(j, "num_attention_heads", 0, source);
  c.n_kv_heads = get_or<int64_t>(j, "num_key_value_heads", c.n_heads, source);
  c.head_dim = get_or<int64_t>(j, "head_dim", c.n_heads > 0 ? c.hidden_size / c.n_heads : 0, source);
  c.vocab_size = get_or<int64_t>(j, "vocab_size", 0, source);
  c.rms_norm_eps = get_or<double>(j, "rms_norm_eps", 1e-6, source);
  c.rope_theta = get_or<double>(j, "rope_theta", 10000.0, source);
  c.bias = get_or<bool>(j, "bias", true, source);
  c.max_position = get_or<int64_t>(j, "max_position_embeddings", get_or<int64_t>(j, "max_sequence_length", 4096, source), source);
  try {
    c.inputs = parse_draft_inputs(get_or<std::string>(j, "eaglerun_inputs", "feature_and_shifted_token", source));
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  if (j.contains("eaglerun_tap_layers") && !j["eaglerun_tap_layers"].is_null()) {
    c.tap_layers = get_or<std::vector<int64_t>>(j, "eaglerun_tap_layers", {}, source);
    require(static_cast<int64_t>(c.tap_layers.size()) <= DraftHeadConfig::kMaxTaps,
            source + ": eaglerun_tap_layers has more than " + std::to_string(DraftHeadConfig::kMaxTaps) + " layers");
    for (int64_t l : c.tap_layers) require(l >= 0, source + ": eaglerun_tap_layers holds a negative layer");
  }
  c.layer_config().validate();
  return c;
}

std::string DraftHeadConfig::to_json() const {
  nlohmann::json j = {{"architectures", {"LlamaForCausalLM"}},
                      {"model_type", "llama"},
                      {"hidden_act", "silu"},
                      {"num_hidden_layers", n_layers},
                      {"hidden_size", hidden_size},
                      {"intermediate_size", intermediate_size},
                      {"num_attention_heads", n_heads},
                      {"num_key_value_heads", n_kv_heads},
                      {"head_dim", head_dim},
                      {"vocab_size", vocab_size},
                      {"rms_norm_eps", rms_norm_eps},
                      {"rope_theta", rope_theta},
                      {"rope_scaling", nullptr},
                      {"max_position_embeddings", max_position},
                      {"tie_word_embeddings", false},
                      {"bias", bias},
                      {"eaglerun_inputs", std::string(draft_inputs_name(inputs))}};
  if (!tap_layers.empty()) j["eaglerun_tap_layers"] = tap_layers;
  return j.dump(2) + "\n";
}

ModelConfig DraftHeadConfig::layer_config() const {
  ModelConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = hidden_size;
  c.intermediate_size = intermediate_size;
  c.n_layers = n_layers;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.head_dim = head_dim;
  c.rms_norm_eps = rms_norm_eps;
  c.rope_theta = rope_theta;
  c.rope_pairing = RopePairing::Halves;
  c.max_position = max_position;
  return c;
}

void DraftHeadConfig::check_compatible(const ModelConfig& target) const {
  require(hidden_size == target.hidden_size, "draft head hidden_size " + std::to_string(hidden_size) +
                                                 " does not match the target's " + std::to_string(target.hidden_size));
  require(vocab_size == target.vocab_size, "draft head vocab_size " + std::to_string(vocab_size) +
                                               " does not match the target's " + std::to_string(target.vocab_size));
  for (int64_t l : tap_layers) {
    require(l < target.n_layers, "draft head tap layer " + std::to_string(l) + " is outside the target's " +
                                     std::to_string(target.n_layers) + " layers");
  }
}

std::map<std::string, std::vector<int64_t>> draft_head_shapes(const DraftHeadConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.n_heads * c.head_dim, K = c.n_kv_heads * c.head_dim;
  std::map<std::string, std::vector<int64_t>> s = {{kFc, {H, H + c.feature_width()}}};
  if (c.bias) s[kFcBias] = {H};
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const DraftHead::LayerNames n(l);
    for (const auto& [name, shape] : {std::pair{n.q, std::vector{Q, H}}, {n.k, {K, H}}, {n.v, {K, H}}, {n.o, {H, Q}},
                                      {n.post_norm, {H}}, {n.gate, {I, H}}, {n.up, {I, H}}, {n.down, {H, I}}}) {
      s[name] = shape;
    }
    if (l > 0) s[n.input_norm] = {H};
  }
  return s;
}

std::string join_layers(const std::vector<int64_t>& layers) {
  std::string out;
  for (int64_t l : layers) {
    if (!out.empty()) out.push_back(',');
    out.append(std::to_string(l));
  }
  return out;
}

std::vector<int64_t> parse_layers(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  if (text.empty()) return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const bool digits = !item.empty() && item.size() <= 6 && item.find_first_not_of("0123456789") == std::string::npos;
    require(digits, what + ": '" + text + "' is not a comma-separated list of layer numbers");
    out.push_back(std::stoll(item));
  }
  require(!text.ends_with(","), what + ": '" + text + "' is not a comma-separated list of layer numbers");
  return out;
}

std::string draft_layer_tensor(int64_t l, std::string_view what) {
  return "layers." + std::to_string(l) + "." + std::string(what) + ".weight";
}

TensorView Parameter::view(const std::string& name) const {
  TensorView v;
  v.name = name;
  v.dtype = DType::F32;
  v.shape = shape;
  v.data = reinterpret_cast<const std::byte*>(values.data());
  v.nbytes = values.size() * sizeof(float);
  return v;
}

DraftHead::LayerNames::LayerNames(int64_t l)
    : q(draft_layer_tensor(l, "self_attn.q_proj")),
      k(draft_layer_tensor(l, "self_attn.k_proj")),
      v(draft_layer_tensor(l, "self_attn.v_proj")),
      o(draft_layer_tensor(l, "self_attn.o_proj")),
      input_norm(draft_layer_tensor(l, "input_layernorm")),
      post_norm(draft_layer_tensor(l, "post_attention_layernorm")),
      gate(draft_layer_tensor(l, "mlp.gate_proj")),
      up(draft_layer_tensor(l, "mlp.up_proj")),
      down(draft_layer_tensor(l, "mlp.down_proj")) {}

DraftHead::DraftHead(DraftHeadConfig config) : config_(config) {
  for (int64_t l = 0; l < config_.n_layers; ++l) names_.emplace_back(l);
}

std::string DraftHead::weights_path(const std::string& dir) {
  // model.safetensors (what save() writes), else pytorch_model.bin (the released heads' format).
  const std::string st_path = dir + "/model.safetensors", pt_path = dir + "/pytorch_model.bin";
  if (std::filesystem::exists(st_path)) return st_path;
  require(std::filesystem::exists(pt_path), "draft head '" + dir + "' has neither model.safetensors nor pytorch_model.bin");
  return pt_path;
}

DraftHead DraftHead::load(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  require(std::filesystem::exists(config_path), "draft head '" + dir + "' has no config.json");
  DraftHead head(DraftHeadConfig::from_json(read_text(config_path), config_path));
  const std::string weights = weights_path(dir);
  std::unique_ptr<SafetensorsFile> st;
  std::unique_ptr<PytorchFile> pt;
  if (weights.ends_with(".safetensors")) {
    st = SafetensorsFile::open(weights);
  } else {
    pt = PytorchFile::open(weights);
  }
  const std::string& path = st ? st->path() : pt->path();
  for (const auto& [name, shape] : draft_head_shapes(head.config_)) {
    const TensorView* t = st ? st->find(name) : pt->find(name);
    require(t != nullptr, path + ": missing tensor '" + name + "'");
    require(t->shape == shape, path + ": tensor '" + name + "' has shape " + t->shape_string());
    Parameter p{shape, std::vector<float>(static_cast<std::size_t>(t->numel()))};
    dequantize(t->dtype, t->data, t->numel(), p.values.data());
    head.params_[name] = std::move(p);
  }
  return head;
}

DraftHead DraftHead::random(const DraftHeadConfig& config, uint64_t seed, float scale) {
  config.layer_config().validate();
  DraftHead head(config);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, scale);
  for (const auto& [name, shape] : draft_head_shapes(config)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    Parameter p{shape, std::vector<float>(static_cast<std::size_t>(n))};
    const bool norm = name.ends_with("layernorm.weight");
    for (float& v : p.values) v = norm ? 1.f : normal(rng);
    head.params_[name] = std::move(p);
  }
  return head;
}

void DraftHead::save(const std::string& dir, const std::string& dtype) const {
  std::filesystem::create_directories(dir);
  std::vector<TensorToWrite> tensors;
  for (const auto& [name, p] : params_) tensors.push_back({name, p.shape, p.values.data()});
  write_safetensors(dir + "/model.safetensors", tensors, dtype);
  std::ofstream(dir + "/config.json") << config_.to_json();
}

void DraftHead::quantize_for_inference() {
  packed_ = PackedWeights();  // before the blocks it packs change
  for (const auto& [name, p] : params_) {
    if (p.shape.size() != 2 || p.shape[1] % 32 != 0) continue;  // norms, bias; rows off the block grid stay fp32
    std::vector<std::byte> blocks(storage_bytes(DType::Q8_0, static_cast<int64_t>(p.values.size())));
    quantize_q8_0(p.values.data(), static_cast<int64_t>(p.values.size()), blocks.data());
    quantized_[name] = std::move(blocks);
  }
  ThreadPool inline_pool(1);
  for (const auto& entry : quantized_) packed_.add(weight(entry.first), inline_pool);
}

TensorView DraftHead::weight(const std::string& name) const {
  TensorView v = params_.at(name).view(name);
  const auto it = quantized_.find(name);
  if (it == quantized_.end()) return v;
  v.dtype = DType::Q8_0;
  v.data = it->second.data();
  v.nbytes = it->second.size();
  return v;
}

KvCache DraftHead::make_cache(int64_t capacity, std::shared_ptr<Backend> backend) const {
  return KvCache(config_.n_layers, config_.n_kv_heads, config_.head_dim, capacity, DType::F32, std::move(backend));
}

void DraftHead::forward(const float* emb, const float* features, int64_t m, std::span<const int32_t> positions,
                        const AttentionMask& mask, KvCache& kv, float* out, ThreadPool& pool) const {
  // fp32 weights: exact up to the order of summation; Q8_0 copies: see quantize_for_inference
  CpuBackend cpu(pool, Precision::Fast);
  forward(emb, features, m, positions, mask, kv, out, cpu);
}

void DraftHead::forward(const float* emb, const float* features, int64_t m, std::span<const int32_t> positions,
                        const AttentionMask& mask, KvCache& kv, float* out, Backend& b) const {
  const ModelConfig c = config_.layer_config();
  const int64_t H = c.hidden_size, F = config_.feature_width(), W = H + F;
  kv.reserve_rows(m);
  // x = fc([emb, f (, taps)]) (+ bias); the input the variant does not use stays zero
  const DeviceBuffer cat = allocate_floats(b, m * W);  // [m, H + F]
  b.zero(cat.data(), cat.bytes());
  const bool use_emb = config_.inputs != DraftInputs::FeatureOnly;
  const bool use_features = config_.inputs != DraftInputs::TokenOnly;
  for (int64_t i = 0; i < m; ++i) {
    if (use_emb) b.copy(cat.as<float>() + i * W, emb + i * H, H * 4);
    if (use_features) b.copy(cat.as<float>() + i * W + H, features + i * F, F * 4);
  }
  b.matmul(weight(kFc), cat.as<float>(), m, out);
  if (config_.bias) {
    const std::vector<float>& bias = params_.at(kFcBias).values;
    const DeviceBuffer bias_rows = allocate_floats(b, H);
    b.upload(bias_rows.data(), bias.data(), bias_rows.bytes());
    for (int64_t i = 0; i < m; ++i) b.add(out + i * H, bias_rows.as<float>(), H);
  }
  for (int64_t l = 0; l < c.n_layers; ++l) layer_forward(l, out, m, positions, mask, kv, b);
  kv.commit(m);
}

// x[m, H] += decoder layer l over x; its keys and values go to kv's rows after the cached ones.
void DraftHead::layer_forward(int64_t l, float* x, int64_t m, std::span<const int32_t> positions,
                              const AttentionMask& mask, KvCache& kv, Backend& b) const {
  const ModelConfig c = config_.layer_config();
  const int64_t H = c.hidden_size, Q = c.q_dim(), K = c.kv_dim(), I = c.intermediate_size;
  const auto eps = static_cast<float>(c.rms_norm_eps);
  const LayerNames& n = names_[l];
  // x += attention(a), a = x in layer 0 (no input norm), else input_layernorm(x)
  const DeviceBuffer h = allocate_floats(b, m * H), q = allocate_floats(b, m * Q), attn = allocate_floats(b, m * Q);
  const DeviceBuffer delta = allocate_floats(b, m * H);
  const DeviceBuffer k_new = allocate_floats(b, m * K), v_new = allocate_floats(b, m * K);  // [m, K]
  const float* a = x;
  if (l > 0) {
    b.rmsnorm(x, params_.at(n.input_norm).values, m, eps, h.as<float>());
    a = h.as<float>();
  }
  const TensorView wq = weight(n.q), wk = weight(n.k), wv = weight(n.v);
  const MatmulTarget qkv[] = {{&wq, q.as<float>()}, {&wk, k_new.as<float>()}, {&wv, v_new.as<float>()}};
  b.matmul_many(qkv, a, m);
  b.rope(q.as<float>(), positions, c.n_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  b.rope(k_new.as<float>(), positions, c.n_kv_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  kv.write(l, kv.size(), k_new.as<float>(), v_new.as<float>(), m);
  const AttentionSegment segment{q.as<float>(), kv.layer(l), &mask, attn.as<float>()};
  b.attention(std::span(&segment, 1), c);
  b.matmul(weight(n.o), attn.as<float>(), m, delta.as<float>());
  b.add(x, delta.as<float>(), m * H);
  // x += mlp(post_attention_layernorm(x))
  const DeviceBuffer gate = allocate_floats(b, m * I), up = allocate_floats(b, m * I);
  b.rmsnorm(x, params_.at(n.post_norm).values, m, eps, h.as<float>());
  const TensorView w_gate = weight(n.gate), w_up = weight(n.up);
  const MatmulTarget gate_up[] = {{&w_gate, gate.as<float>()}, {&w_up, up.as<float>()}};
  b.matmul_many(gate_up, h.as<float>(), m);
  b.silu_mul(gate.as<float>(), up.as<float>(), m * I, gate.as<float>());
  b.matmul(weight(n.down), gate.as<float>(), m, delta.as<float>());
  b.add(x, delta.as<float>(), m * H);
}

}  // namespace eaglerun
