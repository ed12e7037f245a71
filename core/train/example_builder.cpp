#include "core/train/example_builder.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace eaglerun::train {

TapSelection TapSelection::make(const std::vector<int64_t>& head_layers, const std::vector<int64_t>& data_layers) {
  TapSelection s;
  s.data_taps = static_cast<int64_t>(data_layers.size());
  for (int64_t l : head_layers) {
    const auto it = std::find(data_layers.begin(), data_layers.end(), l);
    require(it != data_layers.end(), "the head reads tap layer " + std::to_string(l) + " but the data holds tap layers [" +
                                         join_layers(data_layers) + "] (extract --tap-layers)");
    s.index.push_back(it - data_layers.begin());
  }
  return s;
}

std::vector<float> with_taps(const float* features, const float* taps, int64_t m, int64_t H, const TapSelection& select) {
  const auto k = static_cast<int64_t>(select.index.size());
  std::vector<float> out(static_cast<std::size_t>(m * (k + 1) * H), 0.f);
  for (int64_t i = 0; i < m; ++i) {
    float* row = out.data() + i * (k + 1) * H;
    std::copy_n(features + i * H, H, row);
    for (int64_t t = 0; taps && t < k; ++t) std::copy_n(taps + (i * select.data_taps + select.index[t]) * H, H, row + (t + 1) * H);
  }
  return out;
}

double noise_amplitude(const TrainerConfig& c, int64_t T) {
  if (c.noise_reference_len <= 0) return c.feature_noise;
  return c.feature_noise * static_cast<double>(c.noise_reference_len) / static_cast<double>(T);
}

HeadExample<float> build_example(const TrainingSequence& seq, const Model& target, const TrainerConfig& config,
                                 RandomStream* noise, const TapSelection& taps) {
  const int64_t H = target.config().hidden_size;
  check_sequence(seq, H, taps.data_taps);
  const int64_t T = std::min<int64_t>(static_cast<int64_t>(seq.tokens.size()), config.max_seq_len);
  HeadExample<float> ex;
  for (int64_t j = 0; j + 1 < T; ++j) {
    if (seq.loss_mask[static_cast<std::size_t>(j)] != 0) ex.selected.push_back(j);
  }
  if (ex.selected.empty()) return ex;
  const int64_t m = ex.selected.back() + 1;
  ex.m = m;
  if (config.inputs != DraftInputs::FeatureOnly) {
    const int64_t shift = unshifted_tokens(config.inputs) ? 0 : 1;
    ex.emb.resize(static_cast<std::size_t>(m * H));
    target.embed_on_host(std::span<const int32_t>(seq.tokens.data() + shift, static_cast<std::size_t>(m)), ex.emb.data());
  }
  if (config.inputs != DraftInputs::TokenOnly) {
    ex.features.assign(seq.features.begin(), seq.features.begin() + m * H);
    const auto a = static_cast<float>(noise_amplitude(config, T));
    if (noise && a > 0) {
      for (float& f : ex.features) f += (2.f * noise->uniform() - 1.f) * a;
    }
    if (!taps.index.empty()) {
      ex.features = with_taps(ex.features.data(), seq.taps.data(), m, H, taps);
      const int64_t F = static_cast<int64_t>(taps.index.size() + 1) * H;
      for (int64_t i = 0; noise && config.tap_dropout > 0 && i < m; ++i) {
        if (noise->uniform() < config.tap_dropout) std::fill_n(ex.features.begin() + i * F + H, F - H, 0.f);
      }
    }
  }
  ex.targets.resize(ex.selected.size() * static_cast<std::size_t>(H));
  for (std::size_t i = 0; i < ex.selected.size(); ++i) {
    std::copy_n(seq.features.begin() + (ex.selected[i] + 1) * H, H, ex.targets.begin() + static_cast<int64_t>(i) * H);
  }
  return ex;
}

}  // namespace eaglerun::train
