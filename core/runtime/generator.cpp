#include "core/runtime/generator.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace eaglerun {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double GenerationResult::tau() const {
  // The prefill produces the first token; every later forward produces the rest.
  return target_forwards > 0 ? static_cast<double>(new_tokens() - 1) / static_cast<double>(target_forwards) : 0.0;
}

double GenerationResult::decode_tokens_per_second() const {
  return decode_seconds > 0 ? static_cast<double>(new_tokens() - 1) / decode_seconds : 0.0;
}

GenerationResult generate_plain(const Model& model, Sampler& sampler, const GenerationRequest& req) {
  const auto prompt_len = static_cast<int64_t>(req.prompt.size());
  require(prompt_len > 0, "the prompt is empty");
  require(req.max_new_tokens > 0, "--max-new-tokens must be positive");
  const int64_t context = model.config().max_position;
  require(prompt_len + req.max_new_tokens <= context,
          "prompt of " + std::to_string(prompt_len) + " tokens + " + std::to_string(req.max_new_tokens) +
              " new tokens exceeds the model's context of " + std::to_string(context) + " tokens");
  KvCache kv = model.make_cache(prompt_len + req.max_new_tokens);
  GenerationResult result;

  auto emit = [&](int32_t token) {
    result.output_tokens.push_back(token);
    if (req.on_token) req.on_token(token);
    const bool stop = std::find(req.stop_tokens.begin(), req.stop_tokens.end(), token) != req.stop_tokens.end();
    result.stopped = stop;
    return stop || result.new_tokens() >= req.max_new_tokens;
  };

  auto start = std::chrono::steady_clock::now();
  ForwardOutput out = model.forward_causal(req.prompt, kv, LogitRows::Last);
  bool done = emit(sampler.sample(out.logits));
  result.prefill_seconds = seconds_since(start);

  start = std::chrono::steady_clock::now();
  while (!done) {
    const int32_t last = result.output_tokens.back();
    out = model.forward_causal(std::span(&last, 1), kv, LogitRows::Last);
    ++result.target_forwards;
    done = emit(sampler.sample(out.logits));
  }
  result.decode_seconds = seconds_since(start);
  return result;
}

}  // namespace eaglerun
