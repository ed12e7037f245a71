#include "core/train/grow_head.h"

#include <cmath>
#include <map>
#include <string>

#include "core/error.h"
#include "core/train/random.h"

namespace eaglerun::train {
namespace {

// values [first, end) of a [rows, cols] matrix drawn U(-1/sqrt(cols), 1/sqrt(cols)), as a fresh head's.
void draw(Parameter& p, size_t first, RandomStream& rng) {
  const float bound = 1.f / std::sqrt(static_cast<float>(p.shape[1]));
  for (size_t i = first; i < p.values.size(); ++i) p.values[i] = (2.f * rng.uniform() - 1.f) * bound;
}

// rows [old_rows, new_rows) of a [rows, H] matrix drawn; the rest copied.
void widen_rows(const Parameter& from, Parameter& to, RandomStream& rng) {
  std::copy(from.values.begin(), from.values.end(), to.values.begin());
  draw(to, from.values.size(), rng);
}

// Layer l of `to` as a new layer: drawn q/k/v/gate/up, zero o/down (it adds nothing), norms one.
void new_layer(int64_t l, std::map<std::string, Parameter>& to, RandomStream& rng) {
  for (const char* what : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"}) {
    draw(to.at(draft_layer_tensor(l, what)), 0, rng);
  }
  for (const char* what : {"self_attn.o_proj", "mlp.down_proj"}) {
    std::vector<float>& v = to.at(draft_layer_tensor(l, what)).values;
    std::fill(v.begin(), v.end(), 0.f);
  }
}

// [H, I] -> [H, I']: each row's first I values copied, the rest zero.
void widen_columns(const Parameter& from, Parameter& to) {
  const int64_t rows = from.shape[0], old_cols = from.shape[1], new_cols = to.shape[1];
  std::fill(to.values.begin(), to.values.end(), 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(from.values.begin() + r * old_cols, old_cols, to.values.begin() + r * new_cols);
  }
}

// [kv * d, H] -> [kv' * d, H]: new head g is old head g / (kv' / kv).
void repeat_kv_heads(const Parameter& from, Parameter& to, int64_t head_dim, int64_t factor) {
  const int64_t row = from.shape[1] * head_dim;  // one head's block of rows
  const int64_t new_heads = to.shape[0] / head_dim;
  for (int64_t g = 0; g < new_heads; ++g) {
    std::copy_n(from.values.begin() + (g / factor) * row, row, to.values.begin() + g * row);
  }
}

DraftHeadConfig grown_config(const DraftHeadConfig& c, const HeadGrowth& growth) {
  DraftHeadConfig grown = c;
  if (growth.intermediate_size != 0) {
    require(growth.intermediate_size >= c.intermediate_size,
            "grow head: intermediate_size " + std::to_string(growth.intermediate_size) + " is below the head's " +
                std::to_string(c.intermediate_size));
    grown.intermediate_size = growth.intermediate_size;
  }
  if (growth.n_kv_heads != 0) {
    require(growth.n_kv_heads % c.n_kv_heads == 0 && c.n_heads % growth.n_kv_heads == 0,
            "grow head: " + std::to_string(growth.n_kv_heads) + " key/value heads must be a multiple of the head's " +
                std::to_string(c.n_kv_heads) + " and divide its " + std::to_string(c.n_heads) + " query heads");
    grown.n_kv_heads = growth.n_kv_heads;
  }
  if (growth.n_layers != 0) {
    require(growth.n_layers >= c.n_layers && growth.n_layers <= DraftHeadConfig::kMaxLayers,
            "grow head: " + std::to_string(growth.n_layers) + " layers is outside the head's " +
                std::to_string(c.n_layers) + ".." + std::to_string(DraftHeadConfig::kMaxLayers));
    grown.n_layers = growth.n_layers;
  }
  if (!growth.tap_layers.empty()) {
    require(c.tap_layers.empty(), "grow head: the head already reads tap layers");
    require(static_cast<int64_t>(growth.tap_layers.size()) <= DraftHeadConfig::kMaxTaps,
            "grow head: more than " + std::to_string(DraftHeadConfig::kMaxTaps) + " tap layers");
    for (int64_t l : growth.tap_layers) require(l >= 0, "grow head: a tap layer is negative");
    grown.tap_layers = growth.tap_layers;
  }
  return grown;
}

}  // namespace

DraftHead grow_head(const DraftHead& head, const HeadGrowth& growth, uint64_t seed) {
  const DraftHeadConfig& c = head.config();
  const DraftHeadConfig g = grown_config(c, growth);
  DraftHead grown = DraftHead::random(g, seed);
  auto& to = grown.parameters();
  const auto& from = head.parameters();
  for (const auto& [name, p] : from) {
    if (to.at(name).shape == p.shape) to.at(name).values = p.values;
  }
  if (g.tap_layers != c.tap_layers) widen_columns(from.at("fc.weight"), to.at("fc.weight"));
  RandomStream rng(seed, kStreamGrow, 0);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    auto name = [l](const char* what) { return draft_layer_tensor(l, what); };
    if (g.intermediate_size != c.intermediate_size) {
      widen_rows(from.at(name("mlp.gate_proj")), to.at(name("mlp.gate_proj")), rng);
      widen_rows(from.at(name("mlp.up_proj")), to.at(name("mlp.up_proj")), rng);
      widen_columns(from.at(name("mlp.down_proj")), to.at(name("mlp.down_proj")));
    }
    if (g.n_kv_heads != c.n_kv_heads) {
      const int64_t factor = g.n_kv_heads / c.n_kv_heads;
      repeat_kv_heads(from.at(name("self_attn.k_proj")), to.at(name("self_attn.k_proj")), c.head_dim, factor);
      repeat_kv_heads(from.at(name("self_attn.v_proj")), to.at(name("self_attn.v_proj")), c.head_dim, factor);
    }
  }
  for (int64_t l = c.n_layers; l < g.n_layers; ++l) new_layer(l, to, rng);
  return grown;
}

}  // namespace eaglerun::train
