#include "core/train/grow_head.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/train/random.h"

namespace eaglerun::train {
namespace {

const std::string kGate = "layers.0.mlp.gate_proj.weight";
const std::string kUp = "layers.0.mlp.up_proj.weight";
const std::string kDown = "layers.0.mlp.down_proj.weight";
const std::string kK = "layers.0.self_attn.k_proj.weight";
const std::string kV = "layers.0.self_attn.v_proj.weight";

// rows [old_rows, new_rows) of a [rows, H] matrix drawn U(-1/sqrt(H), 1/sqrt(H)); the rest copied.
void widen_rows(const Parameter& from, Parameter& to, RandomStream& rng) {
  const float bound = 1.f / std::sqrt(static_cast<float>(from.shape[1]));
  std::copy(from.values.begin(), from.values.end(), to.values.begin());
  for (size_t i = from.values.size(); i < to.values.size(); ++i) to.values[i] = (2.f * rng.uniform() - 1.f) * bound;
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
  return grown;
}

}  // namespace

DraftHead grow_head(const DraftHead& head, const HeadGrowth& growth, uint64_t seed) {
  const DraftHeadConfig& c = head.config();
  const DraftHeadConfig g = grown_config(c, growth);
  DraftHead grown = DraftHead::random(g, seed);
  auto& to = grown.parameters();
  for (const auto& [name, p] : head.parameters()) {
    if (to.at(name).shape == p.shape) to.at(name).values = p.values;
  }
  RandomStream rng(seed, kStreamGrow, 0);
  if (g.intermediate_size != c.intermediate_size) {
    widen_rows(head.parameters().at(kGate), to.at(kGate), rng);
    widen_rows(head.parameters().at(kUp), to.at(kUp), rng);
    widen_columns(head.parameters().at(kDown), to.at(kDown));
  }
  if (g.n_kv_heads != c.n_kv_heads) {
    const int64_t factor = g.n_kv_heads / c.n_kv_heads;
    repeat_kv_heads(head.parameters().at(kK), to.at(kK), c.head_dim, factor);
    repeat_kv_heads(head.parameters().at(kV), to.at(kV), c.head_dim, factor);
  }
  return grown;
}

}  // namespace eaglerun::train
