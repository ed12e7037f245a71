#include "core/model/model.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "core/error.h"
#include "core/kernels/ops.h"
#include "core/model/attention.h"
#include "core/model/feed_forward.h"

namespace eaglerun {

namespace {

// The config one shard computes with: its own heads and layer count.
ModelConfig local_config(const ModelConfig& c, const ModelShard& s) {
  require(s.n_heads > 0 && s.n_kv_heads > 0 && s.n_heads * c.n_kv_heads == s.n_kv_heads * c.n_heads,
          "a shard must hold whole groups of query heads with their KV heads");
  require(s.layer_begin >= 0 && s.layer_begin < s.layer_end && s.layer_end <= c.n_layers,
          "a shard's layers must be a non-empty range of the model's " + std::to_string(c.n_layers));
  ModelConfig local = c;
  local.n_heads = s.n_heads;
  local.n_kv_heads = s.n_kv_heads;
  local.n_layers = s.n_layers();
  return local;
}

}  // namespace

Model::Model(std::shared_ptr<const WeightStore> store, ThreadPool& pool, Precision precision)
    : Model(store, ModelWeights::load(*store), ModelShard::whole(store->config()), pool, precision) {}

Model::Model(std::shared_ptr<const WeightStore> store, ModelWeights weights, const ModelShard& shard,
             ThreadPool& pool, Precision precision)
    : store_(std::move(store)),
      config_(store_->config()),
      local_(local_config(config_, shard)),
      shard_(shard),
      weights_(std::move(weights)),
      pool_(pool),
      precision_(precision) {
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l) {
    const LayerWeights& w = weights_.layers[l];
    require(w.wq.rows() == local_.q_dim() && w.wk.rows() == local_.kv_dim() && w.wo.cols() == local_.q_dim(),
            "layer " + std::to_string(l) + "'s attention weights do not match the shard's heads");
  }
}

KvCache Model::make_cache(int64_t capacity) const {
  require(capacity <= config_.max_position,
          "requested " + std::to_string(capacity) + " tokens but the model's context is " +
              std::to_string(config_.max_position) + " tokens");
  return KvCache(local_, capacity);
}

void Model::embed(std::span<const int32_t> tokens, float* x) const {
  const int64_t H = config_.hidden_size;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    require(tokens[i] >= 0 && tokens[i] < config_.vocab_size,
            "token id " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                std::to_string(config_.vocab_size));
    dequantize_row(weights_.embedding, tokens[i], x + static_cast<int64_t>(i) * H);
  }
}

void Model::final_norm(float* x, int64_t n) const {
  rmsnorm(x, weights_.final_norm.data(), n, config_.hidden_size, static_cast<float>(config_.rms_norm_eps), x);
}

void Model::lm_head(const float* hidden, int64_t n, float* logits) const {
  matmul(weights_.lm_head, hidden, n, logits, precision_, pool_);
}

// x[n, H] <- x + attention(norm(x)); x <- x + mlp(norm(x)).
void Model::layer_forward(int64_t l, float* x, int64_t n, std::span<const int32_t> positions,
                          const AttentionMask& mask, KvCache& kv) const {
  const LayerWeights& w = weights_.layers[l];
  const ModelConfig& c = local_;
  const int64_t H = c.hidden_size, Q = c.q_dim(), K = c.kv_dim(), past = kv.size();
  const int64_t cl = l - shard_.layer_begin;  // the layer's slot in this shard's cache
  const auto eps = static_cast<float>(c.rms_norm_eps);
  std::vector<float> h(static_cast<std::size_t>(n * H)), q(static_cast<std::size_t>(n * Q));
  std::vector<float> attn(static_cast<std::size_t>(n * Q)), delta(static_cast<std::size_t>(n * H));

  rmsnorm(x, w.attn_norm.data(), n, H, eps, h.data());
  float* k_new = kv.keys(cl) + past * K;  // the new tokens' rows of the cache: [n, K]
  float* v_new = kv.values(cl) + past * K;
  matmul(w.wq, h.data(), n, q.data(), precision_, pool_);
  matmul(w.wk, h.data(), n, k_new, precision_, pool_);
  matmul(w.wv, h.data(), n, v_new, precision_, pool_);
  rope(q.data(), positions.data(), n, c.n_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  rope(k_new, positions.data(), n, c.n_kv_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  masked_attention(q.data(), kv.keys(cl), kv.values(cl), mask, c, attn.data(), pool_);
  matmul(w.wo, attn.data(), n, delta.data(), precision_, pool_);
  if (shard_.tensor_group) shard_.tensor_group->all_reduce_sum(delta.data(), n * H);  // o_proj split by input
  add_inplace(x, delta.data(), n * H);

  rmsnorm(x, w.ffn_norm.data(), n, H, eps, h.data());
  if (c.is_moe()) {
    sparse_moe(w, c, h.data(), n, delta.data(), precision_, pool_);
    if (shard_.expert_group) shard_.expert_group->all_reduce_sum(delta.data(), n * H);
  } else {
    swiglu(w.mlp, h.data(), n, delta.data(), precision_, pool_);
    if (shard_.tensor_group) shard_.tensor_group->all_reduce_sum(delta.data(), n * H);  // down_proj split by input
  }
  add_inplace(x, delta.data(), n * H);
}

void Model::check_step(int64_t n, std::span<const int32_t> positions, const AttentionMask& mask,
                       const KvCache& kv) const {
  require(n > 0, "forward needs at least one token");
  require(static_cast<int64_t>(positions.size()) == n, "forward: one position per token");
  require(mask.n_new == n && mask.n_past == kv.size(), "forward: mask shape does not match tokens and cache");
  for (int32_t p : positions) {
    require(p >= 0 && p < config_.max_position,
            "position " + std::to_string(p) + " is outside the model's context of " +
                std::to_string(config_.max_position));
  }
  kv.reserve_rows(n);
}

void Model::forward_layers(float* x, int64_t n, std::span<const int32_t> positions, const AttentionMask& mask,
                           KvCache& kv) const {
  check_step(n, positions, mask, kv);
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l) layer_forward(l, x, n, positions, mask, kv);
  kv.commit(n);
}

ForwardOutput Model::forward(std::span<const int32_t> tokens, std::span<const int32_t> positions,
                             const AttentionMask& mask, KvCache& kv, LogitRows rows) const {
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t H = config_.hidden_size, V = weights_.lm_head.rows();
  require(shard_.holds_all_layers(config_), "forward needs every layer; a pipeline stage runs forward_layers");
  check_step(n, positions, mask, kv);

  ForwardOutput out;
  out.hidden.resize(static_cast<std::size_t>(n * H));
  float* x = out.hidden.data();  // the residual stream [n, H], normed in place at the end
  embed(tokens, x);
  forward_layers(x, n, positions, mask, kv);
  final_norm(x, n);

  if (rows == LogitRows::All) {
    out.logits.resize(static_cast<std::size_t>(n * V));
    lm_head(x, n, out.logits.data());
  } else if (rows == LogitRows::Last) {
    out.logits.resize(static_cast<std::size_t>(V));
    lm_head(x + (n - 1) * H, 1, out.logits.data());
  }
  return out;
}

ForwardOutput Model::forward_causal(std::span<const int32_t> tokens, KvCache& kv, LogitRows rows) const {
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<int32_t> positions(static_cast<std::size_t>(n));
  std::iota(positions.begin(), positions.end(), static_cast<int32_t>(kv.size()));
  return forward(tokens, positions, AttentionMask::causal(kv.size(), n), kv, rows);
}

}  // namespace eaglerun
