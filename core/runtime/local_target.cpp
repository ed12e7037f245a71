#include <string>

#include "core/error.h"
#include "core/kernels/ops.h"
#include "core/runtime/target.h"

namespace eaglerun {

void LocalTarget::begin(int64_t capacity) {
  kv_.emplace(model_.make_cache(capacity));
  last_step_ = 0;
  last_hidden_.clear();
}

StepOutput LocalTarget::forward(const Step& step) {
  require(kv_.has_value(), "LocalTarget: forward() before begin()");
  step.check();
  const int64_t past = kv_->size(), V = model_.config().vocab_size;
  ForwardOutput out = model_.forward(step.tokens, step.positions(past), step.mask(past), *kv_, step.rows);
  StepOutput result;
  if (step.full_logits) {
    result.logits = std::move(out.logits);
  } else {  // each row's argmax only, as a distributed target returns it
    for (int64_t r = 0; r < step.logit_rows(); ++r) {
      result.argmax.push_back(static_cast<int32_t>(argmax(out.logits.data() + r * V, V)));
    }
  }
  if (step.want_hidden) result.hidden = out.hidden;
  last_step_ = step.size();
  last_hidden_ = std::move(out.hidden);
  return result;
}

std::vector<float> LocalTarget::keep(std::span<const int32_t> nodes, bool want_features) {
  require(last_step_ > 0, "keep() needs a forward step first");
  const int64_t past = kv_->size() - last_step_, H = model_.config().hidden_size;
  std::vector<int64_t> rows(static_cast<std::size_t>(past));
  for (int64_t i = 0; i < past; ++i) rows[i] = i;
  std::vector<float> features;
  for (int32_t node : nodes) {
    require(node >= 0 && node < last_step_, "keep(): node " + std::to_string(node) + " is not in the last step");
    rows.push_back(past + node);
    if (want_features) features.insert(features.end(), last_hidden_.begin() + node * H, last_hidden_.begin() + (node + 1) * H);
  }
  kv_->keep(rows);
  last_step_ = 0;
  return features;
}

}  // namespace eaglerun
