#include <string>

#include "core/error.h"
#include "core/kernels/ops.h"
#include "core/runtime/target.h"

namespace eaglerun {

void LocalTarget::begin_batch(int64_t capacity, int32_t sequences) {
  require(sequences >= 1, "a batch needs at least one sequence (got " + std::to_string(sequences) + ")");
  sequences_.clear();
  sequences_.reserve(static_cast<std::size_t>(sequences));
  for (int32_t b = 0; b < sequences; ++b) sequences_.push_back({model_.make_cache(capacity), 0, {}});
}

LocalTarget::Sequence& LocalTarget::sequence(int32_t index) {
  require(!sequences_.empty(), "LocalTarget: forward() before begin()");
  require(index >= 0 && index < static_cast<int32_t>(sequences_.size()),
          "sequence " + std::to_string(index) + " was not begun (" + std::to_string(sequences_.size()) + " were)");
  return sequences_[static_cast<std::size_t>(index)];
}

void LocalTarget::restart(int32_t index, int64_t keep_rows) {
  Sequence& seq = sequence(index);
  require(keep_rows >= 0 && keep_rows <= seq.kv.size(), "restart: cannot keep " + std::to_string(keep_rows) +
                                                            " of " + std::to_string(seq.kv.size()) + " cached rows");
  seq.kv.truncate(keep_rows);
  seq.last_step = 0;
  seq.last_hidden.clear();
}

StepOutput LocalTarget::forward(const Step& step) { return std::move(forward_batch(std::span(&step, 1)).front()); }

std::vector<StepOutput> LocalTarget::forward_batch(std::span<const Step> steps) {
  require(!steps.empty(), "forward_batch(): no steps");
  const int64_t V = model_.config().vocab_size;
  // What the model's pass reads (positions and masks must outlive it).
  std::vector<std::vector<int32_t>> positions(steps.size());
  std::vector<AttentionMask> masks(steps.size());
  std::vector<SequenceStep> parts(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    step.check();
    Sequence& seq = sequence(step.sequence);
    const int64_t past = seq.kv.size();
    positions[i] = step.positions(past);
    masks[i] = step.mask(past);
    parts[i] = {step.tokens, positions[i], &masks[i], &seq.kv, step.rows};  // a sequence named twice: Model refuses
  }
  std::vector<ForwardOutput> outs = model_.forward(parts, taps_);
  const int64_t H = model_.config().hidden_size, k = static_cast<int64_t>(taps_.size());
  std::vector<StepOutput> results(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    ForwardOutput& out = outs[i];
    StepOutput& result = results[i];
    if (step.full_logits) {
      result.logits = std::move(out.logits);
    } else {  // each row's argmax only, as a distributed target returns it
      for (int64_t r = 0; r < step.logit_rows(); ++r) {
        result.argmax.push_back(static_cast<int32_t>(argmax(out.logits.data() + r * V, V)));
      }
    }
    if (k > 0) {  // each hidden row followed by its taps
      std::vector<float> rows(static_cast<std::size_t>(step.size() * (k + 1) * H));
      for (int64_t r = 0; r < step.size(); ++r) {
        std::copy_n(out.hidden.begin() + r * H, H, rows.begin() + r * (k + 1) * H);
        std::copy_n(out.taps.begin() + r * k * H, k * H, rows.begin() + r * (k + 1) * H + H);
      }
      out.hidden = std::move(rows);
    }
    if (step.want_hidden) result.hidden = out.hidden;
    Sequence& seq = sequences_[static_cast<std::size_t>(step.sequence)];
    seq.last_step = step.size();
    seq.last_hidden = std::move(out.hidden);
  }
  return results;
}

void LocalTarget::set_feature_taps(std::vector<int64_t> layers) {
  for (int64_t l : layers) {
    require(l >= 0 && l < model_.config().n_layers, "tap layer " + std::to_string(l) + " is outside the target's " +
                                                        std::to_string(model_.config().n_layers) + " layers");
  }
  taps_ = std::move(layers);
}

std::vector<float> LocalTarget::keep(std::span<const int32_t> nodes, bool want_features) {
  Sequence& seq = sequence(0);
  require(seq.last_step > 0, "keep() needs a forward step first");
  const int64_t past = seq.kv.size() - seq.last_step;
  const int64_t H = model_.config().hidden_size * (1 + static_cast<int64_t>(taps_.size()));  // values per row
  std::vector<int64_t> rows(static_cast<std::size_t>(past));
  for (int64_t i = 0; i < past; ++i) rows[i] = i;
  std::vector<float> features;
  for (int32_t node : nodes) {
    require(node >= 0 && node < seq.last_step, "keep(): node " + std::to_string(node) + " is not in the last step");
    rows.push_back(past + node);
    if (want_features) features.insert(features.end(), seq.last_hidden.begin() + node * H, seq.last_hidden.begin() + (node + 1) * H);
  }
  seq.kv.keep(rows);
  seq.last_step = 0;
  return features;
}

}  // namespace eaglerun
