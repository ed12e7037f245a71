#include "core/train/sequence_loss.h"

#include <algorithm>

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

template <typename T>
LossSums sequence_loss(const DraftHeadConfig& c, const HeadTensors<const T>& w, const FrozenLmHead& lm,
                       const HeadExample<T>& ex, const LossWeights& weights, double normalizer,
                       const HeadTensors<T>* grads, ThreadPool& pool) {
  const int64_t H = c.hidden_size, S = static_cast<int64_t>(ex.selected.size());
  require(static_cast<int64_t>(ex.targets.size()) == S * H, "sequence_loss: targets do not match the selection");
  if (S == 0) return {};
  HeadActivations<T> a;
  head_forward(c, w, ex.emb.empty() ? nullptr : ex.emb.data(), ex.features.empty() ? nullptr : ex.features.data(),
               ex.m, a, pool);
  std::vector<T> pred(static_cast<std::size_t>(S * H)), d_pred;
  for (int64_t i = 0; i < S; ++i) std::copy_n(a.out.begin() + ex.selected[i] * H, H, pred.begin() + i * H);
  if (grads) d_pred.assign(pred.size(), T(0));
  const LossSums sums = prediction_loss(lm, pred.data(), ex.targets.data(), S, weights, normalizer,
                                        grads ? d_pred.data() : nullptr, pool);
  if (grads) {
    std::vector<T> d_out(static_cast<std::size_t>(ex.m * H), T(0));
    for (int64_t i = 0; i < S; ++i) std::copy_n(d_pred.begin() + i * H, H, d_out.begin() + ex.selected[i] * H);
    head_backward(c, w, a, d_out.data(), *grads, pool);
  }
  return sums;
}

template LossSums prediction_loss<float>(const FrozenLmHead&, const float*, const float*, int64_t, const LossWeights&,
                                         double, float*, ThreadPool&);
template LossSums prediction_loss<double>(const FrozenLmHead&, const double*, const double*, int64_t,
                                          const LossWeights&, double, double*, ThreadPool&);
template LossSums sequence_loss<float>(const DraftHeadConfig&, const HeadTensors<const float>&, const FrozenLmHead&,
                                       const HeadExample<float>&, const LossWeights&, double,
                                       const HeadTensors<float>*, ThreadPool&);
template LossSums sequence_loss<double>(const DraftHeadConfig&, const HeadTensors<const double>&, const FrozenLmHead&,
                                        const HeadExample<double>&, const LossWeights&, double,
                                        const HeadTensors<double>*, ThreadPool&);

}  // namespace eaglerun::train
