#include "core/train/validation.h"

#include <algorithm>

#include "core/kernels/ops.h"
#include "core/train/example_builder.h"

namespace eaglerun {
namespace {

constexpr int64_t kArgmaxChunk = 128;  // rows per LM-head product

// top-1 token of LMhead(x[i]) for rows x[n, H], over the rows the head holds; with `probability`,
// also its softmax probability over those rows.
std::vector<int64_t> top1(const train::FrozenLmHead& lm, const float* x, int64_t n, ThreadPool& pool,
                          std::vector<float>* probability = nullptr) {
  const int64_t H = lm.hidden(), V = lm.vocab();
  std::vector<int64_t> out(static_cast<std::size_t>(n));
  if (probability) probability->assign(static_cast<std::size_t>(n), 0.f);
  std::vector<float> logits;
  for (int64_t r0 = 0; r0 < n; r0 += kArgmaxChunk) {
    const int64_t r = std::min(kArgmaxChunk, n - r0);
    logits.resize(static_cast<std::size_t>(r * V));
    lm.logits(x + r0 * H, r, logits.data(), pool);
    for (int64_t i = 0; i < r; ++i) {
      float* row = logits.data() + i * V;
      const int64_t best = argmax(row, V);
      out[r0 + i] = lm.token(best);
      if (!probability) continue;
      softmax(row, V);
      (*probability)[r0 + i] = row[best];
    }
  }
  return out;
}

int confidence_bin(float p) {
  const int b = static_cast<int>(p * ValidationResult::kConfidenceBins);
  return std::clamp(b, 0, ValidationResult::kConfidenceBins - 1);
}

// Rollout validation of one sequence, accumulated into res.
class SequenceValidator {
 public:
  SequenceValidator(const DraftHead& head, const train::FrozenLmHead& draft_lm, const train::FrozenLmHead& target_lm,
                    const Model& target, const TrainerConfig& c, const TrainingSequence& seq,
                    const train::TapSelection& taps, ThreadPool& pool)
      : head_(head), draft_lm_(draft_lm), target_lm_(target_lm), c_(c), seq_(seq), pool_(pool), taps_(taps),
        H_(draft_lm.hidden()),
        T_(std::min<int64_t>(static_cast<int64_t>(seq.tokens.size()), c.max_seq_len)), n_(T_ - 1),
        kv_(head.make_cache(std::max<int64_t>(1, n_ * c.validation_depths))) {
    // emb_[i]: the token paired with input position i: t_{i+1} (t_i unshifted), i < n.
    emb_.assign(static_cast<std::size_t>(std::max<int64_t>(0, n_) * H_), 0.f);
    const int64_t shift = unshifted_tokens(c.inputs) ? 0 : 1;
    if (n_ > 0 && c.inputs != DraftInputs::FeatureOnly) {
      target.embed_on_host(std::span<const int32_t>(seq.tokens.data() + shift, static_cast<std::size_t>(n_)), emb_.data());
    }
  }

  void run(ValidationResult& res) {
    if (n_ < 1) return;
    std::vector<float> prev = depth0(res);
    target_top1_ = top1_at_features();
    score(0, prev, res);
    std::vector<int64_t> offsets = {0};  // KV row of start 0 at each depth
    for (int64_t d = 1; d < c_.validation_depths && n_ - d > 0; ++d) {
      offsets.push_back(kv_.size());
      prev = depth(d, prev, offsets);
      score(d, prev, res);
    }
  }

 private:
  // Teacher-forced outputs g_0 [n, H]; adds the loss of the selected ones.
  std::vector<float> depth0(ValidationResult& res) {
    std::vector<int32_t> pos(static_cast<std::size_t>(n_));
    for (int64_t i = 0; i < n_; ++i) pos[i] = static_cast<int32_t>(i);
    std::vector<float> out(static_cast<std::size_t>(n_ * H_));
    std::vector<float> buffer;
    const float* in = head_input(seq_.features.data(), seq_.taps.data(), n_, buffer);
    head_.forward(emb_.data(), in, n_, pos, AttentionMask::causal(0, n_), kv_, out.data(), pool_);
    std::vector<float> pred, targets;
    for (int64_t j = 0; j < n_; ++j) {
      if (!seq_.loss_mask[j]) continue;
      pred.insert(pred.end(), out.begin() + j * H_, out.begin() + (j + 1) * H_);
      targets.insert(targets.end(), seq_.features.begin() + (j + 1) * H_, seq_.features.begin() + (j + 2) * H_);
    }
    const train::LossWeights w{c_.feature_loss_weight, c_.token_loss_weight};
    res.loss += train::prediction_loss<float>(draft_lm_, pred.data(), targets.data(),
                                              static_cast<int64_t>(pred.size()) / H_, w, 1.0, nullptr, pool_);
    return out;
  }

  // The head's feature rows [rows, F] from features [rows, H] and their taps (null: zeros): the
  // features themselves for a head without taps, else a widened copy in `buffer`.
  const float* head_input(const float* features, const float* taps, int64_t rows, std::vector<float>& buffer) const {
    if (taps_.index.empty()) return features;
    buffer = train::with_taps(features, taps, rows, H_, taps_);
    return buffer.data();
  }

  // Outputs g_d [n - d, H] for starts j < n - d from g_{d-1} (its first n - d rows).
  std::vector<float> depth(int64_t d, const std::vector<float>& prev, const std::vector<int64_t>& offsets) {
    const int64_t rows = n_ - d, past = kv_.size();
    std::vector<int32_t> pos(static_cast<std::size_t>(rows));
    AttentionMask mask{past, rows, std::vector<uint8_t>(static_cast<std::size_t>(rows * (past + rows)), 0)};
    for (int64_t j = 0; j < rows; ++j) {
      pos[j] = static_cast<int32_t>(j + d);
      for (int64_t i = 0; i <= j; ++i) mask.set(j, i, true);               // the real prefix
      for (int64_t e = 1; e < d; ++e) mask.set(j, offsets[e] + j, true);  // its own chain
      mask.set(j, past + j, true);
    }
    std::vector<float> out(static_cast<std::size_t>(rows * H_));
    std::vector<float> buffer;
    const float* in = head_input(prev.data(), nullptr, rows, buffer);  // the head's own outputs carry no taps
    head_.forward(emb_.data() + d * H_, in, rows, pos, mask, kv_, out.data(), pool_);
    return out;
  }

  // target_top1_[o] = argmax LMhead(f_{o+1}) for o < n with loss_mask[o] (else -1); target_p1_[o] its probability.
  std::vector<int64_t> top1_at_features() {
    std::vector<int64_t> rows;
    std::vector<float> x;
    for (int64_t o = 0; o < n_; ++o) {
      if (!seq_.loss_mask[o]) continue;
      rows.push_back(o);
      x.insert(x.end(), seq_.features.begin() + (o + 1) * H_, seq_.features.begin() + (o + 2) * H_);
    }
    std::vector<float> p;
    const std::vector<int64_t> top = top1(target_lm_, x.data(), static_cast<int64_t>(rows.size()), pool_, &p);
    std::vector<int64_t> out(static_cast<std::size_t>(n_), -1);
    target_p1_.assign(static_cast<std::size_t>(n_), 0.f);
    for (std::size_t i = 0; i < rows.size(); ++i) out[rows[i]] = top[i], target_p1_[rows[i]] = p[i];
    return out;
  }

  // Scores outputs g[j] (j < n - d) of depth d.
  void score(int64_t d, const std::vector<float>& g, ValidationResult& res) {
    std::vector<int64_t> starts;
    std::vector<float> x;
    for (int64_t j = 0; j + d < n_; ++j) {
      if (!seq_.loss_mask[j + d]) continue;
      starts.push_back(j);
      x.insert(x.end(), g.begin() + j * H_, g.begin() + (j + 1) * H_);
    }
    const std::vector<int64_t> top = top1(draft_lm_, x.data(), static_cast<int64_t>(starts.size()), pool_);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const int64_t o = starts[i] + d;
      const bool right = top[i] == target_top1_[o];
      ++res.scored[d];
      res.correct_target[d] += right;
      if (d == 0) {
        const int b = confidence_bin(target_p1_[o]);
        ++res.scored_by_confidence[b];
        res.correct_by_confidence[b] += right;
      }
      if (o + 2 < T_) {
        ++res.scored_token[d];
        res.correct_token[d] += top[i] == seq_.tokens[o + 2];
      }
    }
  }

  const DraftHead& head_;
  const train::FrozenLmHead& draft_lm_;
  const train::FrozenLmHead& target_lm_;
  const TrainerConfig& c_;
  const TrainingSequence& seq_;
  ThreadPool& pool_;
  const train::TapSelection& taps_;
  int64_t H_, T_, n_;
  KvCache kv_;
  std::vector<float> emb_;             // [n, H]
  std::vector<int64_t> target_top1_;  // [n]
  std::vector<float> target_p1_;      // [n]
};

std::vector<double> ratio(const std::vector<int64_t>& num, const std::vector<int64_t>& den) {
  std::vector<double> r(num.size(), 0.0);
  for (std::size_t i = 0; i < num.size(); ++i) r[i] = den[i] ? static_cast<double>(num[i]) / den[i] : 0.0;
  return r;
}

}  // namespace

std::vector<double> ValidationResult::accuracy_target() const { return ratio(correct_target, scored); }
std::vector<double> ValidationResult::accuracy_token() const { return ratio(correct_token, scored_token); }
std::vector<double> ValidationResult::accuracy_by_confidence() const {
  return ratio(correct_by_confidence, scored_by_confidence);
}

ValidationResult validate_head(const DraftHead& head, const train::FrozenLmHead& draft_lm,
                               const train::FrozenLmHead& target_lm, const Model& target, const TrainerConfig& config,
                               const TrainingDataSource& data, std::span<const int64_t> indices, ThreadPool& pool) {
  const auto D = static_cast<std::size_t>(config.validation_depths);
  ValidationResult res;
  res.scored.assign(D, 0), res.correct_target.assign(D, 0), res.scored_token.assign(D, 0), res.correct_token.assign(D, 0);
  res.scored_by_confidence.assign(ValidationResult::kConfidenceBins, 0);
  res.correct_by_confidence.assign(ValidationResult::kConfidenceBins, 0);
  const train::TapSelection taps = train::TapSelection::make(head.config().tap_layers, data.tap_layers());
  for (int64_t index : indices) {
    const TrainingSequence seq = data.get(index);
    check_sequence(seq, target_lm.hidden(), taps.data_taps);
    SequenceValidator(head, draft_lm, target_lm, target, config, seq, taps, pool).run(res);
    ++res.sequences;
  }
  res.total_loss = res.loss.total({config.feature_loss_weight, config.token_loss_weight});
  return res;
}

}  // namespace eaglerun
