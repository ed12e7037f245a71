#pragma once
// The LLaMA / Mixtral decoder: embeddings, n_layers x (RMSNorm, GQA attention with RoPE, RMSNorm,
// SwiGLU MLP or sparse MoE, residuals), final RMSNorm, LM head. Knows nothing of speculation or ranks.
//
// forward() takes explicit positions and an explicit attention mask over [cached + new] tokens,
// so a whole draft tree is verified in one call. It returns the top-layer hidden state after the
// final norm (the feature EAGLE drafts from) and the logits.
//
// Several independent sequences, each with its own KV cache, positions and mask, run through one
// pass (forward(steps)): their rows share every matmul and the LM head, and attention reads each
// sequence's own cache. Every kernel computes a row the same way whatever the rows beside it, so
// each sequence's hidden states and logits are bit-identical to forward() on it alone; the
// single-sequence forward() is this pass with one sequence.
//
// Every op runs on the model's Backend (core/backend/backend.h): the CPU kernels by default, a GPU
// when one is given. Inputs (tokens, positions, masks) and outputs (ForwardOutput) are host memory;
// the activations and the KV cache live on the backend's device. forward_layers(), final_norm() and
// lm_head() take device pointers.
//
// A rank that holds only a shard of the model (ModelShard: some heads, layers or experts; the
// weights already narrowed by parallel/) runs the pieces forward() is made of: embed(),
// forward_layers(), final_norm(), lm_head().
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/backend/attention_mask.h"
#include "core/backend/backend.h"
#include "core/kernels/matmul.h"
#include "core/model/kv_cache.h"
#include "core/model/model_shard.h"
#include "core/model/model_weights.h"

namespace eaglerun {

enum class LogitRows { All, Last, None };

struct ForwardOutput {
  std::vector<float> hidden;  // [n, H]: after the final RMSNorm
  std::vector<float> logits;  // [n, V] (All), [1, V] (Last), empty (None)
  std::vector<float> taps;    // [n, k H] for k tap layers (empty without): row i's tap t at columns [t H, (t+1) H)
};

// Lower layers' outputs copied out of a pass, for draft heads that read more of the target than its
// top feature (EAGLE-3's low/middle/high fusion). Tap l is the residual stream after decoder layer l
// (0-based), divided by its RMS (an RMSNorm without weight, the model's eps), so every tap has the
// scale of a normed feature whatever the layer's activation magnitudes.
using TapLayers = std::span<const int64_t>;

// One sequence's part of a batched forward pass: its new tokens after its own cache.
struct SequenceStep {
  std::span<const int32_t> tokens;     // [n]
  std::span<const int32_t> positions;  // [n]
  const AttentionMask* mask = nullptr;  // n_past == kv->size(), n_new == n
  KvCache* kv = nullptr;                // distinct for every sequence of a pass
  LogitRows rows = LogitRows::Last;
};

class Model {
 public:
  // Keeps `store` alive: the weights are views into its memory mapping. Runs on the CPU backend
  // with `pool` and `precision`.
  Model(std::shared_ptr<const WeightStore> store, ThreadPool& pool, Precision precision = Precision::Fast);
  // A shard: `weights` narrowed to `shard` by the caller. Throws Error when they disagree.
  Model(std::shared_ptr<const WeightStore> store, ModelWeights weights, const ModelShard& shard, ThreadPool& pool,
        Precision precision);
  // The same on `backend` (`pool` and `precision` still serve the CPU-side work: training, host-side
  // embedding rows).
  Model(std::shared_ptr<const WeightStore> store, ModelWeights weights, const ModelShard& shard,
        std::shared_ptr<Backend> backend, ThreadPool& pool, Precision precision);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  const ModelShard& shard() const { return shard_; }
  const ModelWeights& weights() const { return weights_; }
  Precision precision() const { return precision_; }
  ThreadPool& pool() const { return pool_; }
  Backend& backend() const { return *backend_; }
  const std::shared_ptr<Backend>& shared_backend() const { return backend_; }

  // A cache of this shard's layers and KV heads for up to `capacity` tokens; throws Error when that
  // exceeds the model's context. Its rows are fp16 on the fast path (half the bytes attention reads
  // at long contexts; error bound in tests/model/attention_test.cpp) and fp32 on the reference path.
  KvCache make_cache(int64_t capacity) const;

  // tokens, positions: [n]; mask: n_past == kv.size(), n_new == n. Appends n rows to kv.
  // Throws Error for token ids outside the vocabulary or a full cache.
  ForwardOutput forward(std::span<const int32_t> tokens, std::span<const int32_t> positions, const AttentionMask& mask,
                        KvCache& kv, LogitRows rows = LogitRows::All) const;

  // Several sequences in one pass (see the top of this file): out[s] is what forward() returns for
  // steps[s] alone. Throws Error for an empty list, two steps sharing a cache, or what forward() refuses.
  // With taps, every output also holds those layers' taps (throws Error for a layer outside the model).
  std::vector<ForwardOutput> forward(std::span<const SequenceStep> steps, TapLayers taps = {}) const;

  // Plain causal forward of `tokens` after the cache: positions kv.size() ... kv.size() + n - 1.
  ForwardOutput forward_causal(std::span<const int32_t> tokens, KvCache& kv, LogitRows rows = LogitRows::Last,
                               TapLayers taps = {}) const;

  // x[n, H] (device): the residual stream after the layers before this shard's; runs layers
  // [shard.layer_begin, shard.layer_end) in place and appends n rows to kv (shapes as forward()).
  void forward_layers(float* x, int64_t n, std::span<const int32_t> positions, const AttentionMask& mask,
                      KvCache& kv) const;
  // The same for several sequences: x[sum of n, H] (device), the steps' rows in order (their tokens unused).
  void forward_layers(float* x, std::span<const SequenceStep> steps) const;
  // x[n, H] (device) <- the final RMSNorm of x.
  void final_norm(float* x, int64_t n) const;
  // logits[n, V'] = LM head applied to hidden[n, H] (already final-normed; both device); V' = the LM
  // head rows held here (V for a whole model).
  void lm_head(const float* hidden, int64_t n, float* logits) const;
  // x[n, H] (device) = embedding rows of tokens; throws Error for ids outside the vocabulary.
  void embed(std::span<const int32_t> tokens, float* x) const;
  // The same two with host memory (the drafter's inputs and outputs, training): embedding rows
  // dequantised on the host; the LM head on the device, its input and output copied when the
  // device has memory of its own.
  void embed_on_host(std::span<const int32_t> tokens, float* x) const;
  void lm_head_from_host(const float* hidden, int64_t n, float* logits) const;

 private:
  // Gives the backend every weight this shard reads (prepare()).
  void prepare_weights();
  // Throws Error for an empty step, positions outside the context or a mask/cache mismatch.
  void check_step(int64_t n, std::span<const int32_t> positions, const AttentionMask& mask, const KvCache& kv) const;
  // Checks every step (and that no two share a cache); returns the total row count.
  int64_t check_steps(std::span<const SequenceStep> steps) const;
  // positions: every step's positions, concatenated.
  void layer_forward(int64_t l, float* x, int64_t n, std::span<const int32_t> positions,
                     std::span<const SequenceStep> steps) const;
  // forward_layers(x, steps), copying the taps of x[n, H] (device) into taps[n, k H] (host) on the way.
  void run_layers(float* x, std::span<const SequenceStep> steps, TapLayers taps, std::vector<float>& tap_rows) const;

  std::shared_ptr<const WeightStore> store_;
  ModelConfig config_;
  ModelConfig local_;  // config_ with this shard's heads and layer count (attention, KV cache)
  ModelShard shard_;
  ModelWeights weights_;
  ThreadPool& pool_;
  Precision precision_;
  std::shared_ptr<Backend> backend_;  // holds copies of weights_ until ~Model releases them
};

}  // namespace eaglerun
