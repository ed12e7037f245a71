#include "core/eagle/auto_tree.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace eaglerun {
namespace {

constexpr double kSmoothing = 0.1;  // weight of the newest observation in running averages

void blend(double& running, double sample) { running = running == 0.0 ? sample : running + kSmoothing * (sample - running); }

}  // namespace

double CostCurve::at(int64_t n) const {
  require(!tokens.empty(), "empty cost curve");
  if (tokens.size() == 1) return seconds[0] * static_cast<double>(n) / static_cast<double>(tokens[0]);
  std::size_t hi = 1;
  while (hi + 1 < tokens.size() && tokens[hi] < n) ++hi;
  const double x0 = tokens[hi - 1], x1 = tokens[hi], y0 = seconds[hi - 1], y1 = seconds[hi];
  return std::max(0.0, y0 + (y1 - y0) * (static_cast<double>(n) - x0) / (x1 - x0));
}

CostCurve CostCurve::measure(Target& target, int64_t max_tokens, int64_t prefix_tokens, int repeats) {
  const int32_t V = static_cast<int32_t>(target.config().vocab_size);
  std::vector<int32_t> ids(static_cast<std::size_t>(prefix_tokens + max_tokens));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 7919 + 13) % V);
  target.begin(prefix_tokens + max_tokens);
  target.forward(Step::causal(std::span(ids).first(prefix_tokens), false, false));
  CostCurve curve;
  for (int64_t n = 1; n <= max_tokens; n = n < 4 ? n + 1 : n + n / 2) {
    Step step = Step::causal(std::span(ids).subspan(prefix_tokens, n), false, false);
    step.rows = LogitRows::All;
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      target.forward(step);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      target.keep({}, false);  // back to the prefix
    }
    curve.tokens.push_back(n);
    curve.seconds.push_back(best);
  }
  return curve;
}

CostCurve CostCurve::measure(const Model& model, int64_t max_tokens, int64_t prefix_tokens, int repeats) {
  LocalTarget target(model);
  return measure(target, max_tokens, prefix_tokens, repeats);
}

AutoTreePolicy::AutoTreePolicy(CostCurve verify_cost, int32_t max_depth, int32_t max_total, int32_t topk)
    : cost_(std::move(verify_cost)), max_depth_(max_depth), max_total_(max_total), topk_(topk),
      depth_(std::min(5, max_depth)), level_gain_(static_cast<std::size_t>(max_depth), 0.0) {
  for (int32_t k = 1; k <= kChainArms; ++k) chains_[static_cast<std::size_t>(k)] = chain_tree(k);
}

// Nodes per level of the trees kept lately, plus one of headroom so that the kept trees can grow
// when acceptance rises; the full topk until the first choice.
int32_t AutoTreePolicy::width() const {
  if (kept_nodes_ == 0.0) return topk_;
  const double per_level = kept_nodes_ / std::max(1, depth_);
  return std::clamp(static_cast<int32_t>(std::ceil(per_level)) + 1, 1, topk_);
}

int32_t AutoTreePolicy::choose_chain() {
  const auto arms = static_cast<int64_t>(arms_.size());
  const int64_t step = steps_++;
  if (step < arms * kWarmupSteps) {
    arm_ = static_cast<int32_t>(step / kWarmupSteps);
  } else if (step % kExploreEvery == 0) {
    arm_ = static_cast<int32_t>((step / kExploreEvery) % arms);
  } else {
    arm_ = 0;
    for (int32_t a = 1; a < static_cast<int32_t>(arms); ++a) {
      if (arm_rate(a) > arm_rate(arm_)) arm_ = a;
    }
  }
  return arm_;
}

void AutoTreePolicy::observe_step(int64_t tokens, double seconds) {
  constexpr double kDecay = 0.98;  // an arm's rate follows its last ~50 steps
  Arm& a = arms_[static_cast<std::size_t>(arm_)];
  a.tokens = kDecay * a.tokens + static_cast<double>(tokens);
  a.seconds = kDecay * a.seconds + seconds;
  ++a.steps;
}

double AutoTreePolicy::arm_rate(int32_t chain) const {
  const Arm& a = arms_.at(static_cast<std::size_t>(chain));
  return a.seconds > 0 ? a.tokens / a.seconds : 0.0;
}

DynamicTreeShape AutoTreePolicy::draft_shape() const { return {max_total_, depth_, width()}; }

DraftTree AutoTreePolicy::choose(const DraftTree& drafted, double draft_seconds, int64_t extra_nodes) {
  blend(seconds_per_level_, draft_seconds / std::max(1, drafted.max_depth()));
  std::vector<double> p;
  for (int32_t i = 1; i < drafted.size(); ++i) p.push_back(std::exp(drafted.value[i]));
  std::sort(p.rbegin(), p.rend());
  double sum = 0, best_rate = 0;
  int64_t best_n = 0;
  for (std::size_t n = 0; n <= p.size(); ++n) {
    if (n > 0) sum += p[n - 1];
    const double tokens = 1.0 + calibration_ * sum;
    const double rate = tokens / (advance_seconds_ + draft_seconds + cost_.at(static_cast<int64_t>(n) + 1 + extra_nodes));
    if (rate > best_rate) {
      best_rate = rate;
      best_n = static_cast<int64_t>(n);
    }
  }
  blend(tokens_per_second_, best_rate);
  blend(kept_nodes_, std::max(0.5, static_cast<double>(best_n)));  // 0.5: never zero ("not yet measured")
  return drafted.keep_best(best_n);
}

void AutoTreePolicy::observe_advance(double seconds) { blend(advance_seconds_, seconds); }

void AutoTreePolicy::observe(const DraftTree& verified, int64_t accepted_drafts) {
  std::vector<double> per_level(level_gain_.size(), 0.0);
  double predicted = 0;
  for (int32_t i = 1; i < verified.size(); ++i) {
    const double p = std::exp(verified.value[i]);
    predicted += p;
    if (verified.depth[i] <= static_cast<int32_t>(per_level.size())) per_level[verified.depth[i] - 1] += p;
  }
  if (predicted > 0) {
    const double ratio = std::clamp(static_cast<double>(accepted_drafts) / predicted, 0.05, 3.0);
    calibration_ += kSmoothing * (ratio - calibration_);
  }
  for (int32_t d = 0; d < depth_; ++d) blend(level_gain_[d], calibration_ * per_level[d]);
  // A level pays when the tokens it is expected to add are worth more than its draft time.
  const double needed = seconds_per_level_ * tokens_per_second_;
  if (depth_ < max_depth_ && level_gain_[depth_ - 1] > 1.5 * needed) {
    ++depth_;
  } else if (depth_ > 1 && level_gain_[depth_ - 1] < needed) {
    --depth_;
  }
}

}  // namespace eaglerun
