#include "simulator/memory_model.h"

#include <fmt/core.h>

#include "core/error.h"

namespace eaglerun::sim {

namespace {

double stage_weight_bytes(const Deployment& d) {
  const ModelShape& m = d.target;
  const ParallelSplit& s = d.split;
  const double tp = static_cast<double>(s.tp);
  const double layers = static_cast<double>(m.layers / s.pp);
  const double per_layer = (m.attention_params_per_layer + m.dense_params_per_layer + m.router_params_per_layer) / tp +
                           m.expert_params * static_cast<double>(m.experts / s.ep) / tp;
  double bytes = per_layer * layers * bytes_per_element(d.precision.weights);
  // The fullest GPU: with one stage it holds the embedding and the LM head (once when tied); with
  // several, the last stage holds the LM head and is charged the larger of the two.
  const double embedding = m.embedding_params / tp * bytes_per_element(d.precision.lm_head);
  const double lm_head = m.lm_head_params / tp * bytes_per_element(d.precision.lm_head);
  const bool tied = m.config.tie_word_embeddings;
  if (s.pp == 1) bytes += tied ? embedding : embedding + lm_head;
  else bytes += std::max(embedding, lm_head);
  return bytes;
}

double kv_bytes_per_sequence(const ModelShape& m, double layers, int64_t tp, int64_t context, Precision kv) {
  return static_cast<double>(context) * m.kv_elements_per_token_per_layer / static_cast<double>(tp) * layers *
         bytes_per_element(kv);
}

}  // namespace

MemoryUse memory_per_gpu(const Deployment& d, int64_t batch, int64_t context, bool eagle, int64_t rows_per_sequence) {
  const ModelShape& m = d.target;
  MemoryUse u;
  u.available_bytes = d.hw.memory_bytes - d.hw.reserved_bytes;
  u.weights_bytes = stage_weight_bytes(d);
  const double b = static_cast<double>(batch);
  u.kv_bytes = b * kv_bytes_per_sequence(m, static_cast<double>(m.layers / d.split.pp), d.split.tp, context, d.precision.kv);
  const double rows = b * static_cast<double>(rows_per_sequence);
  const double h = static_cast<double>(m.config.hidden_size);
  const double widest = std::max(3.0 * h, 2.0 * static_cast<double>(m.config.intermediate_size) / d.split.tp);
  // fp32 logits of every row, and one layer's widest intermediate in the activation precision.
  u.activation_bytes = rows * (m.lm_head_rows / d.split.tp * 4.0 + widest * bytes_per_element(d.precision.activations));
  if (eagle) {
    const ModelShape& hd = d.head;
    const auto layers = static_cast<double>(hd.layers);
    const double head_params = (hd.attention_params_per_layer + hd.dense_params_per_layer) * layers + hd.extra_params +
                               hd.embedding_params;
    u.head_bytes = head_params * bytes_per_element(d.precision.head) +
                   b * kv_bytes_per_sequence(hd, layers, 1, context, d.precision.kv);
  }
  return u;
}

int64_t largest_batch(const Deployment& d, int64_t context, bool eagle, int64_t rows_per_sequence, int64_t limit) {
  int64_t lo = 0, hi = limit;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (memory_per_gpu(d, mid, context, eagle, rows_per_sequence).fits()) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

void check_context(const Deployment& d, int64_t context) {
  if (context > d.target.config.max_position)
    throw Error(fmt::format("--context {} exceeds {}'s context window of {} tokens", context, d.target.name,
                            d.target.config.max_position));
}

void check_fits(const Deployment& d, int64_t batch, int64_t context, bool eagle, int64_t rows_per_sequence) {
  const MemoryUse u = memory_per_gpu(d, batch, context, eagle, rows_per_sequence);
  if (u.fits()) return;
  constexpr double GiB = 1073741824.0;
  throw Error(fmt::format(
      "{} does not fit {} x {}: batch {} at context {} needs {:.1f} GiB per GPU (weights {:.1f}, KV {:.1f}, "
      "head {:.1f}, activations {:.1f}), a GPU has {:.1f} GiB after {:.1f} GiB reserved",
      d.target.name, d.split.gpus(), d.hw.name, batch, context, u.total_bytes() / GiB, u.weights_bytes / GiB,
      u.kv_bytes / GiB, u.head_bytes / GiB, u.activation_bytes / GiB, u.available_bytes / GiB, d.hw.reserved_bytes / GiB));
}

}  // namespace eaglerun::sim
