#include "core/train/param_layout.h"

#include "core/error.h"

namespace eaglerun::train {

ParamLayout::ParamLayout(const DraftHeadConfig& config) {
  for (const auto& [name, shape] : draft_head_shapes(config)) {  // std::map: sorted by name
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    slices_.push_back({name, shape, total_, n});
    total_ += n;
  }
}

bool ParamLayout::has(const std::string& name) const {
  for (const ParamSlice& s : slices_) {
    if (s.name == name) return true;
  }
  return false;
}

const ParamSlice& ParamLayout::slice(const std::string& name) const {
  for (const ParamSlice& s : slices_) {
    if (s.name == name) return s;
  }
  throw Error("draft head has no parameter '" + name + "'");
}

template <typename T>
HeadTensors<T> head_tensors(const ParamLayout& layout, T* flat) {
  auto at = [&](const std::string& name) { return flat + layout.slice(name).offset; };
  HeadTensors<T> t;
  t.fc = at("fc.weight");
  t.fc_bias = layout.has("fc.bias") ? at("fc.bias") : nullptr;
  for (int64_t l = 0; layout.has(draft_layer_tensor(l, "self_attn.q_proj")); ++l) {
    auto layer = [&](const char* what) { return at(draft_layer_tensor(l, what)); };
    LayerTensors<T> w;
    w.input_norm = l > 0 ? layer("input_layernorm") : nullptr;
    w.wq = layer("self_attn.q_proj");
    w.wk = layer("self_attn.k_proj");
    w.wv = layer("self_attn.v_proj");
    w.wo = layer("self_attn.o_proj");
    w.norm = layer("post_attention_layernorm");
    w.gate = layer("mlp.gate_proj");
    w.up = layer("mlp.up_proj");
    w.down = layer("mlp.down_proj");
    t.layers.push_back(w);
  }
  return t;
}

template <typename T>
std::vector<T> flatten(const ParamLayout& layout, const DraftHead& head) {
  std::vector<T> flat(static_cast<std::size_t>(layout.total()));
  for (const ParamSlice& s : layout.slices()) {
    const Parameter& p = head.parameters().at(s.name);
    require(static_cast<int64_t>(p.values.size()) == s.size, "draft head parameter '" + s.name + "' has the wrong size");
    std::copy(p.values.begin(), p.values.end(), flat.begin() + s.offset);
  }
  return flat;
}

template <typename T>
void unflatten(const ParamLayout& layout, const T* flat, DraftHead& head) {
  for (const ParamSlice& s : layout.slices()) {
    Parameter& p = head.parameters().at(s.name);
    for (int64_t i = 0; i < s.size; ++i) p.values[i] = static_cast<float>(flat[s.offset + i]);
  }
}

template HeadTensors<float> head_tensors<float>(const ParamLayout&, float*);
template HeadTensors<const float> head_tensors<const float>(const ParamLayout&, const float*);
template HeadTensors<double> head_tensors<double>(const ParamLayout&, double*);
template HeadTensors<const double> head_tensors<const double>(const ParamLayout&, const double*);
template std::vector<float> flatten<float>(const ParamLayout&, const DraftHead&);
template std::vector<double> flatten<double>(const ParamLayout&, const DraftHead&);
template void unflatten<float>(const ParamLayout&, const float*, DraftHead&);
template void unflatten<double>(const ParamLayout&, const double*, DraftHead&);

}  // namespace eaglerun::train
