#include "core/train/sequence_loss.h"

#include <algorithm>
#include <span>

#include "core/error.h"
#include "core/train/loss.h"

namespace eaglerun::train {
namespace {

constexpr int64_t kLmChunkRows = 256;  // selected rows per LM-head product (buffer: 2 x 256 x V floats)

}  // namespace

LossSums& LossSums::operator+=(const LossSums& o) {
  feature += o.feature;
  token += o.token;
  entropy += o.entropy;
  positions += o.positions;
  return *this;
}

double LossSums::total(const LossWeights& w) const {
  return positions == 0 ? 0.0 : (w.feature * feature + w.token * token) / static_cast<double>(positions);
}

template <typename T>
LossSums prediction_loss(const FrozenLmHead& lm, const T* pred, const T* targets, int64_t s, const LossWeights& weights,
                         double normalizer, T* d_pred, ThreadPool& pool) {
  const int64_t H = lm.hidden(), V = lm.vocab();
  const T scale_f = static_cast<T>(weights.feature / normalizer), scale_t = static_cast<T>(weights.token / normalizer);
  LossSums sums;
  sums.positions = s;
  std::vector<T> no_grad(static_cast<std::size_t>(H));
  for (int64_t i = 0; i < s; ++i) {
    sums.feature += smooth_l1_row(pred + i * H, targets + i * H, H, scale_f, d_pred ? d_pred + i * H : no_grad.data());
  }
  std::vector<T> x, logits;
  std::vector<double> ce(static_cast<std::size_t>(std::min(s, kLmChunkRows)));
  std::vector<double> entropy(ce.size());
  for (int64_t r0 = 0; r0 < s; r0 += kLmChunkRows) {
    const int64_t r = std::min(kLmChunkRows, s - r0);
    x.resize(static_cast<std::size_t>(2 * r * H));
    std::copy_n(pred + r0 * H, r * H, x.begin());
    std::copy_n(targets + r0 * H, r * H, x.begin() + r * H);
    logits.resize(static_cast<std::size_t>(2 * r * V));
    lm.logits(x.data(), 2 * r, logits.data(), pool);  // [draft rows; target rows]
    pool.parallel_for(r, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        ce[i] = soft_cross_entropy_row(logits.data() + i * V, logits.data() + (r + i) * V, V, scale_t, &entropy[i]);
      }
    });
    for (int64_t i = 0; i < r; ++i) {
      sums.token += ce[i];
      sums.entropy += entropy[i];
    }
    if (d_pred) lm.input_grad(logits.data(), r, d_pred + r0 * H, pool);
  }
  return sums;
}

namespace {

// One depth of a sequence: forward from the given inputs (earlier depths' activations for a rolled-out
// one), the loss of the rows `selected` against `targets`, and, with grads, its backward.
template <typename T>
LossSums depth_loss(const DraftHeadConfig& c, const HeadTensors<const T>& w, const FrozenLmHead& lm, int64_t m,
                    const T* emb, const T* features, std::span<const int64_t> selected, const T* targets,
                    std::span<const HeadActivations<T>* const> earlier, const LossWeights& weights, double normalizer,
                    const HeadTensors<T>* grads, HeadActivations<T>& a, ThreadPool& pool) {
  const int64_t H = c.hidden_size, S = static_cast<int64_t>(selected.size());
  head_forward(c, w, emb, features, m, a, pool, earlier);
  std::vector<T> pred(static_cast<std::size_t>(S * H)), d_pred;
  for (int64_t i = 0; i < S; ++i) std::copy_n(a.out.begin() + selected[i] * H, H, pred.begin() + i * H);
  if (grads) d_pred.assign(pred.size(), T(0));
  const LossSums sums = prediction_loss(lm, pred.data(), targets, S, weights, normalizer,
                                        grads ? d_pred.data() : nullptr, pool);
  if (grads) {
    std::vector<T> d_out(static_cast<std::size_t>(m * H), T(0));
    for (int64_t i = 0; i < S; ++i) std::copy_n(d_pred.begin() + i * H, H, d_out.begin() + selected[i] * H);
    head_backward(c, w, a, d_out.data(), *grads, pool);
  }
  return sums;
}

}  // namespace

template <typename T>
LossSums sequence_loss(const DraftHeadConfig& c, const HeadTensors<const T>& w, const FrozenLmHead& lm,
                       const HeadExample<T>& ex, const LossWeights& weights, double normalizer,
                       const HeadTensors<T>* grads, ThreadPool& pool, const Rollout& rollout,
                       std::vector<LossSums>* by_depth) {
  const int64_t H = c.hidden_size, F = c.feature_width(), S = static_cast<int64_t>(ex.selected.size());
  require(static_cast<int64_t>(ex.targets.size()) == S * H, "sequence_loss: targets do not match the selection");
  require(rollout.depths >= 1, "sequence_loss: rollout depths must be at least 1");
  if (by_depth) by_depth->assign(static_cast<std::size_t>(rollout.depths), {});
  if (S == 0) return {};
  const T* emb = ex.emb.empty() ? nullptr : ex.emb.data();
  std::vector<HeadActivations<T>> depth(static_cast<std::size_t>(rollout.depths));
  std::vector<const HeadActivations<T>*> earlier;
  const LossSums first = depth_loss<T>(c, w, lm, ex.m, emb, ex.features.empty() ? nullptr : ex.features.data(),
                                    ex.selected, ex.targets.data(), {}, weights, normalizer, grads, depth[0], pool);
  if (by_depth) (*by_depth)[0] = first;
  if (rollout.depths == 1) return first;
  std::vector<int64_t> selected = ex.selected;
  std::vector<T> targets = ex.targets, features;
  double scale = 1.0;
  for (int64_t d = 1; d < rollout.depths; ++d) {
    earlier.push_back(&depth[d - 1]);
    // Row j reads the previous depth's prediction at row j - 1 (taps zero, as when decoding) and the
    // same token; it predicts the same target, so rows j < d (no prediction to read) drop out.
    features.assign(static_cast<std::size_t>(ex.m * F), T(0));
    for (int64_t j = 1; j < ex.m; ++j) std::copy_n(depth[d - 1].out.begin() + (j - 1) * H, H, features.begin() + j * F);
    std::size_t keep = 0;
    for (std::size_t i = 0; i < selected.size(); ++i) {
      if (selected[i] < d) continue;
      std::copy_n(targets.begin() + static_cast<int64_t>(i) * H, H, targets.begin() + static_cast<int64_t>(keep) * H);
      selected[keep++] = selected[i];
    }
    selected.resize(keep);
    targets.resize(keep * static_cast<std::size_t>(H));
    if (selected.empty()) break;
    scale *= rollout.decay;
    const LossWeights scaled{weights.feature * scale, weights.token * scale};
    const LossSums sums = depth_loss<T>(c, w, lm, ex.m, emb, features.data(), selected, targets.data(), earlier, scaled,
                                     normalizer, grads, depth[d], pool);
    if (by_depth) (*by_depth)[d] = sums;
  }
  return first;
}

template LossSums prediction_loss<float>(const FrozenLmHead&, const float*, const float*, int64_t, const LossWeights&,
                                         double, float*, ThreadPool&);
template LossSums prediction_loss<double>(const FrozenLmHead&, const double*, const double*, int64_t,
                                          const LossWeights&, double, double*, ThreadPool&);
template LossSums sequence_loss<float>(const DraftHeadConfig&, const HeadTensors<const float>&, const FrozenLmHead&,
                                       const HeadExample<float>&, const LossWeights&, double,
                                       const HeadTensors<float>*, ThreadPool&, const Rollout&, std::vector<LossSums>*);
template LossSums sequence_loss<double>(const DraftHeadConfig&, const HeadTensors<const double>&, const FrozenLmHead&,
                                        const HeadExample<double>&, const LossWeights&, double,
                                        const HeadTensors<double>*, ThreadPool&, const Rollout&,
                                        std::vector<LossSums>*);

}  // namespace eaglerun::train
