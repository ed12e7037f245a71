#include "core/model/model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/backend/cpu_backend.h"
#include "core/error.h"
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
    : Model(std::move(store), std::move(weights), shard, std::make_shared<CpuBackend>(pool, precision), pool,
            precision) {}

Model::Model(std::shared_ptr<const WeightStore> store, ModelWeights weights, const ModelShard& shard,
             std::shared_ptr<Backend> backend, ThreadPool& pool, Precision precision)
    : store_(std::move(store)),
      config_(store_->config()),
      local_(local_config(config_, shard)),
      shard_(shard),
      weights_(std::move(weights)),
      pool_(pool),
      precision_(precision),
      backend_(std::move(backend)) {
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l) {
    const LayerWeights& w = weights_.layers[l];
    require(w.wq.rows() == local_.q_dim() && w.wk.rows() == local_.kv_dim() && w.wo.cols() == local_.q_dim(),
            "layer " + std::to_string(l) + "'s attention weights do not match the shard's heads");
  }
  prepare_weights();
}

Model::~Model() { backend_->release_weights(); }

void Model::prepare_weights() {
  Backend& b = *backend_;
  auto add = [&](const TensorView& w) {
    if (w.data != nullptr) b.prepare(w);
  };
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l) {
    const LayerWeights& w = weights_.layers[l];
    for (const TensorView* t : {&w.wq, &w.wk, &w.wv, &w.wo, &w.mlp.gate, &w.mlp.up, &w.mlp.down, &w.router}) add(*t);
    for (const FeedForwardWeights& e : w.experts) {
      for (const TensorView* t : {&e.gate, &e.up, &e.down}) add(*t);
    }
    b.prepare(w.attn_norm);
    b.prepare(w.ffn_norm);
  }
  add(weights_.embedding);
  add(weights_.lm_head);
  b.prepare(weights_.final_norm);
}

KvCache Model::make_cache(int64_t capacity) const {
  require(capacity <= config_.max_position,
          "requested " + std::to_string(capacity) + " tokens but the model's context is " +
              std::to_string(config_.max_position) + " tokens");
  return KvCache(local_, capacity, precision_ == Precision::Fast ? DType::F16 : DType::F32, backend_);
}

void Model::embed(std::span<const int32_t> tokens, float* x) const {
  for (int32_t t : tokens) {
    require(t >= 0 && t < config_.vocab_size,
            "token id " + std::to_string(t) + " is outside the vocabulary of " + std::to_string(config_.vocab_size));
  }
  backend_->embed(weights_.embedding, tokens, x);
}

void Model::embed_on_host(std::span<const int32_t> tokens, float* x) const {
  const int64_t H = config_.hidden_size;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    require(tokens[i] >= 0 && tokens[i] < config_.vocab_size,
            "token id " + std::to_string(tokens[i]) + " is outside the vocabulary of " +
                std::to_string(config_.vocab_size));
    dequantize_row(weights_.embedding, tokens[i], x + static_cast<int64_t>(i) * H);
  }
}

void Model::lm_head_from_host(const float* hidden, int64_t n, float* logits) const {
  if (backend_->host_memory()) return lm_head(hidden, n, logits);
  const int64_t H = config_.hidden_size, V = weights_.lm_head.rows();
  const DeviceBuffer x = allocate_floats(*backend_, n * H), y = allocate_floats(*backend_, n * V);
  backend_->upload(x.data(), hidden, x.bytes());
  lm_head(x.as<float>(), n, y.as<float>());
  backend_->download(logits, y.data(), y.bytes());
}

void Model::final_norm(float* x, int64_t n) const {
  backend_->rmsnorm(x, weights_.final_norm, n, static_cast<float>(config_.rms_norm_eps), x);
}

void Model::lm_head(const float* hidden, int64_t n, float* logits) const {
  backend_->matmul(weights_.lm_head, hidden, n, logits);
}

// x[n, H] <- x + attention(norm(x)); x <- x + mlp(norm(x)). The rows are the steps' new tokens in
// order; each step's keys and values go to the rows after its own cache's.
void Model::layer_forward(int64_t l, float* x, int64_t n, std::span<const int32_t> positions,
                          std::span<const SequenceStep> steps) const {
  const LayerWeights& w = weights_.layers[l];
  const ModelConfig& c = local_;
  Backend& b = *backend_;
  const int64_t H = c.hidden_size, Q = c.q_dim(), K = c.kv_dim();
  const int64_t cl = l - shard_.layer_begin;  // the layer's slot in this shard's cache
  const auto eps = static_cast<float>(c.rms_norm_eps);
  const DeviceBuffer h = allocate_floats(b, n * H), q = allocate_floats(b, n * Q);
  const DeviceBuffer attn = allocate_floats(b, n * Q), delta = allocate_floats(b, n * H);

  b.rmsnorm(x, w.attn_norm, n, eps, h.as<float>());
  // The new tokens' keys and values in fp32; each sequence's rows then enter its own cache (rounded
  // to the cache's type) after its cached rows [0, past), and attention reads them from there.
  const DeviceBuffer k = allocate_floats(b, n * K), v = allocate_floats(b, n * K);  // [n, K]
  const MatmulTarget qkv[] = {{&w.wq, q.as<float>()}, {&w.wk, k.as<float>()}, {&w.wv, v.as<float>()}};
  b.matmul_many(qkv, h.as<float>(), n);
  b.rope(q.as<float>(), positions, c.n_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  b.rope(k.as<float>(), positions, c.n_kv_heads, c.head_dim, c.rope_theta, c.rope_pairing);
  std::vector<AttentionSegment> segments;
  segments.reserve(steps.size());
  int64_t row = 0;
  for (const SequenceStep& s : steps) {
    const auto m = static_cast<int64_t>(s.tokens.size());
    s.kv->write(cl, s.kv->size(), k.as<float>() + row * K, v.as<float>() + row * K, m);
    segments.push_back({q.as<float>() + row * Q, s.kv->layer(cl), s.mask, attn.as<float>() + row * Q});
    row += m;
  }
  b.attention(segments, c);
  b.matmul(w.wo, attn.as<float>(), n, delta.as<float>());
  if (shard_.tensor_group) shard_.tensor_group->all_reduce_sum(delta.as<float>(), n * H);  // o_proj split by input
  b.add(x, delta.as<float>(), n * H);

  b.rmsnorm(x, w.ffn_norm, n, eps, h.as<float>());
  if (c.is_moe()) {
    sparse_moe(w, c, h.as<float>(), n, delta.as<float>(), b);
    if (shard_.expert_group) shard_.expert_group->all_reduce_sum(delta.as<float>(), n * H);
  } else {
    swiglu(w.mlp, h.as<float>(), n, delta.as<float>(), b);
    if (shard_.tensor_group) shard_.tensor_group->all_reduce_sum(delta.as<float>(), n * H);  // down_proj split by input
  }
  b.add(x, delta.as<float>(), n * H);
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

int64_t Model::check_steps(std::span<const SequenceStep> steps) const {
  require(!steps.empty(), "forward needs at least one sequence");
  int64_t n = 0;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const SequenceStep& step = steps[s];
    require(step.kv != nullptr && step.mask != nullptr, "forward: a sequence without a cache or a mask");
    for (std::size_t t = 0; t < s; ++t) require(steps[t].kv != step.kv, "forward: two sequences share a KV cache");
    check_step(static_cast<int64_t>(step.tokens.size()), step.positions, *step.mask, *step.kv);
    n += static_cast<int64_t>(step.tokens.size());
  }
  return n;
}

void Model::forward_layers(float* x, int64_t n, std::span<const int32_t> positions, const AttentionMask& mask,
                           KvCache& kv) const {
  require(static_cast<int64_t>(positions.size()) == n, "forward: one position per token");
  // The tokens are not read here: a span of the right length is all a step needs.
  const SequenceStep step{std::span(positions.data(), positions.size()), positions, &mask, &kv, LogitRows::None};
  forward_layers(x, std::span(&step, 1));
}

void Model::forward_layers(float* x, std::span<const SequenceStep> steps) const {
  std::vector<float> no_taps;
  run_layers(x, steps, {}, no_taps);
}

void Model::run_layers(float* x, std::span<const SequenceStep> steps, TapLayers taps,
                       std::vector<float>& tap_rows) const {
  const int64_t n = check_steps(steps), H = config_.hidden_size, k = static_cast<int64_t>(taps.size());
  for (int64_t l : taps) {
    require(l >= shard_.layer_begin && l < shard_.layer_end,
            "tap layer " + std::to_string(l) + " is outside the model's layers 0.." + std::to_string(config_.n_layers - 1));
  }
  std::vector<int32_t> positions;
  positions.reserve(static_cast<std::size_t>(n));
  for (const SequenceStep& s : steps) positions.insert(positions.end(), s.positions.begin(), s.positions.end());
  tap_rows.assign(static_cast<std::size_t>(n * k * H), 0.f);
  std::vector<float> layer_out(static_cast<std::size_t>(k > 0 ? n * H : 0));
  for (int64_t l = shard_.layer_begin; l < shard_.layer_end; ++l) {
    layer_forward(l, x, n, positions, steps);
    for (int64_t t = 0; t < k; ++t) {
      if (taps[t] != l) continue;
      backend_->download(layer_out.data(), x, n * H * 4);
      for (int64_t i = 0; i < n; ++i) {
        const float* row = layer_out.data() + i * H;
        double sum_sq = 0;
        for (int64_t j = 0; j < H; ++j) sum_sq += static_cast<double>(row[j]) * row[j];
        const auto scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(H) + config_.rms_norm_eps));
        float* out = tap_rows.data() + (i * k + t) * H;
        for (int64_t j = 0; j < H; ++j) out[j] = row[j] * scale;
      }
    }
  }
  for (const SequenceStep& s : steps) s.kv->commit(static_cast<int64_t>(s.tokens.size()));
}

ForwardOutput Model::forward(std::span<const int32_t> tokens, std::span<const int32_t> positions,
                             const AttentionMask& mask, KvCache& kv, LogitRows rows) const {
  const SequenceStep step{tokens, positions, &mask, &kv, rows};
  return std::move(forward(std::span(&step, 1)).front());
}

std::vector<ForwardOutput> Model::forward(std::span<const SequenceStep> steps, TapLayers taps) const {
  const int64_t H = config_.hidden_size, V = weights_.lm_head.rows();
  require(shard_.holds_all_layers(config_), "forward needs every layer; a pipeline stage runs forward_layers");
  const int64_t n = check_steps(steps);

  std::vector<float> hidden(static_cast<std::size_t>(n * H));
  HostResult hidden_out(*backend_, hidden);
  float* x = hidden_out.data();  // the residual stream [n, H], normed in place at the end
  int64_t row = 0;
  for (const SequenceStep& s : steps) {
    embed(s.tokens, x + row * H);
    row += static_cast<int64_t>(s.tokens.size());
  }
  std::vector<float> tap_rows;  // [n, k H]
  run_layers(x, steps, taps, tap_rows);
  final_norm(x, n);

  // The rows whose logits are asked for, every sequence's in order, through one LM head call.
  std::vector<int64_t> logit_rows;
  row = 0;
  for (const SequenceStep& s : steps) {
    const auto m = static_cast<int64_t>(s.tokens.size());
    if (s.rows == LogitRows::All) {
      for (int64_t i = 0; i < m; ++i) logit_rows.push_back(row + i);
    } else if (s.rows == LogitRows::Last) {
      logit_rows.push_back(row + m - 1);
    }
    row += m;
  }
  const auto R = static_cast<int64_t>(logit_rows.size());
  std::vector<float> logits(static_cast<std::size_t>(R * V));
  if (R > 0) {
    HostResult logits_out(*backend_, logits);
    const bool contiguous = logit_rows.back() - logit_rows.front() == R - 1;
    DeviceBuffer gathered;
    if (!contiguous) {
      gathered = allocate_floats(*backend_, R * H);
      backend_->gather_rows(x, logit_rows, H, gathered.as<float>());
    }
    lm_head(contiguous ? x + logit_rows.front() * H : gathered.as<float>(), R, logits_out.data());
    logits_out.download();
  }
  hidden_out.download();

  std::vector<ForwardOutput> out(steps.size());
  if (steps.size() == 1) {
    out[0].hidden = std::move(hidden);
    out[0].logits = std::move(logits);
    out[0].taps = std::move(tap_rows);
    return out;
  }
  row = 0;
  int64_t r = 0;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto m = static_cast<int64_t>(steps[s].tokens.size());
    const int64_t k = steps[s].rows == LogitRows::All ? m : steps[s].rows == LogitRows::Last ? 1 : 0;
    out[s].hidden.assign(hidden.begin() + row * H, hidden.begin() + (row + m) * H);
    out[s].logits.assign(logits.begin() + r * V, logits.begin() + (r + k) * V);
    const int64_t tap_width = static_cast<int64_t>(taps.size()) * H;
    out[s].taps.assign(tap_rows.begin() + row * tap_width, tap_rows.begin() + (row + m) * tap_width);
    row += m;
    r += k;
  }
  return out;
}

ForwardOutput Model::forward_causal(std::span<const int32_t> tokens, KvCache& kv, LogitRows rows, TapLayers taps) const {
  const auto n = static_cast<int64_t>(tokens.size());
  std::vector<int32_t> positions(static_cast<std::size_t>(n));
  std::iota(positions.begin(), positions.end(), static_cast<int32_t>(kv.size()));
  const AttentionMask mask = AttentionMask::causal(kv.size(), n);
  const SequenceStep step{tokens, positions, &mask, &kv, rows};
  return std::move(forward(std::span(&step, 1), taps).front());
}

}  // namespace eaglerun
