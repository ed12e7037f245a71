#pragma once
// Plain autoregressive decoding: prefill the prompt, then one target forward per new token. One
// loop for every placement of the target (core/runtime/target.h: this process, or MPI ranks). The
// EAGLE loop shares the request and result types, so both are reported the same way.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "core/runtime/target.h"
#include "core/sampling/sampler.h"

namespace eaglerun {

struct GenerationResult {
  std::vector<int32_t> output_tokens;  // new tokens, the stop token included when one was produced
  int64_t target_forwards = 0;         // forward passes of the target after the prefill
  double prefill_seconds = 0;          // time of the prompt's forward pass
  double decode_seconds = 0;           // time from the first new token to the last
  bool stopped = false;                // ended on a stop token rather than the token limit

  int64_t new_tokens() const { return static_cast<int64_t>(output_tokens.size()); }
  // Mean tokens produced per target forward (1 for plain decoding; the paper's tau for EAGLE).
  double tau() const;
  double seconds() const { return prefill_seconds + decode_seconds; }
  // Decode speed: new tokens after the first per second of decode time.
  double decode_tokens_per_second() const;
};

struct GenerationRequest {
  std::span<const int32_t> prompt;
  int64_t max_new_tokens = 128;
  std::vector<int32_t> stop_tokens;                 // generation ends after emitting one of these
  std::function<void(int32_t token)> on_token;      // called for every new token, may be empty
};

// Plain decoding. Throws Error when the prompt is empty or prompt + max_new_tokens exceeds the context.
GenerationResult generate_plain(Target& target, Sampler& sampler, const GenerationRequest& request);
// The same on a model in this process (a LocalTarget).
GenerationResult generate_plain(const Model& model, Sampler& sampler, const GenerationRequest& request);

// Greedy plain decoding of several requests together, each its own sequence (KV cache): prefill
// every prompt, then every round one step per unfinished sequence through Target::forward_batch
// (on a LocalTarget one model pass for all of them; on a DistributedTarget pipeline micro-batches).
// A sequence that has stopped (stop token or its token limit) leaves the batch. Each result's
// tokens equal generate_plain's greedy tokens for that request alone; the timings are the batch's
// (prefill of all prompts, then decoding of all). Throws Error for an empty list or a request
// generate_plain refuses.
std::vector<GenerationResult> generate_plain_batch(Target& target, const std::vector<GenerationRequest>& requests);

// Parts both loops share.
// Throws Error for an empty prompt, a non-positive token limit, or prompt + max_new_tokens +
// `extra` (a draft tree's depth) beyond `context`.
void check_request(const GenerationRequest& request, int64_t extra, int64_t context);
// Emits tokens into a result until a stop token or the token limit; later tokens are ignored.
struct Emitter {
  const GenerationRequest& request;
  GenerationResult& result;
  bool done = false;
  void operator()(int32_t token);
};
// The token of a step's last logits row, as Sampler::sample picks it (greedy: the target's argmax).
int32_t choose(const StepOutput& out, Sampler& sampler);

// Seconds since `start`, as a double.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace eaglerun
