#include "core/train/example_builder.h"

#include <algorithm>

namespace eaglerun::train {

double noise_amplitude(const TrainerConfig& c, int64_t T) {
  if (c.noise_reference_len <= 0) return c.feature_noise;
  return c.feature_noise * static_cast<double>(c.noise_reference_len) / static_cast<double>(T);
}

HeadExample<float> build_example(const TrainingSequence& seq, const Model& target, const TrainerConfig& config,
                                 RandomStream* noise) {
  const int64_t H = target.config().hidden_size;
  check_sequence(seq, H);
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
  }
  ex.targets.resize(ex.selected.size() * static_cast<std::size_t>(H));
  for (std::size_t i = 0; i < ex.selected.size(); ++i) {
    std::copy_n(seq.features.begin() + (ex.selected[i] + 1) * H, H, ex.targets.begin() + static_cast<int64_t>(i) * H);
  }
  return ex;
}

}  // namespace eaglerun::train
