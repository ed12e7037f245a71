#pragma once
// The head's parameters as one flat buffer (for the optimiser, clipping and checkpoints), in the
// order of the released names (sorted, as DraftHead::parameters() iterates), and typed pointers
// into such a buffer for the forward/backward code.
#include <cstdint>
#include <string>
#include <vector>

#include "core/eagle/draft_head.h"

namespace eaglerun::train {

struct ParamSlice {
  std::string name;            // released tensor name, e.g. "layers.0.mlp.up_proj.weight"
  std::vector<int64_t> shape;  // outermost first
  int64_t offset = 0;          // into the flat buffer
  int64_t size = 0;            // elements
};

class ParamLayout {
 public:
  explicit ParamLayout(const DraftHeadConfig& config);
  const std::vector<ParamSlice>& slices() const { return slices_; }
  const ParamSlice& slice(const std::string& name) const;  // throws Error when absent
  bool has(const std::string& name) const;
  int64_t total() const { return total_; }

 private:
  std::vector<ParamSlice> slices_;
  int64_t total_ = 0;
};

// Pointers to each tensor of a flat buffer (T = float, double, or const of either).
//   H hidden, I intermediate, Q = heads * head_dim, K = kv_heads * head_dim
template <typename T>
struct LayerTensors {
  T* input_norm = nullptr;  // [H] input_layernorm; nullptr in layer 0 (none)
  T* wq = nullptr;          // [Q, H]
  T* wk = nullptr;          // [K, H]
  T* wv = nullptr;          // [K, H]
  T* wo = nullptr;          // [H, Q]
  T* norm = nullptr;        // [H] post_attention_layernorm
  T* gate = nullptr;        // [I, H]
  T* up = nullptr;          // [I, H]
  T* down = nullptr;        // [H, I]
};

template <typename T>
struct HeadTensors {
  T* fc = nullptr;       // [H, H + F]  (columns: embedding first, then the feature and its taps: F = feature_width())
  T* fc_bias = nullptr;  // [H] or nullptr without bias
  std::vector<LayerTensors<T>> layers;  // one per decoder layer
};

template <typename T>
HeadTensors<T> head_tensors(const ParamLayout& layout, T* flat);

// Copies the head's parameters into a flat buffer of the layout, and back.
template <typename T>
std::vector<T> flatten(const ParamLayout& layout, const DraftHead& head);
template <typename T>
void unflatten(const ParamLayout& layout, const T* flat, DraftHead& head);

}  // namespace eaglerun::train
