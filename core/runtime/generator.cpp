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

void check_request(const GenerationRequest& req, int64_t extra, int64_t context) {
  const auto prompt_len = static_cast<int64_t>(req.prompt.size());
  require(prompt_len > 0, "the prompt is empty");
  require(req.max_new_tokens > 0, "--max-new-tokens must be positive");
  require(prompt_len + req.max_new_tokens + extra <= context,
          "prompt of " + std::to_string(prompt_len) + " tokens + " + std::to_string(req.max_new_tokens) +
              " new tokens" + (extra ? " + a draft tree of depth " + std::to_string(extra) : "") +
              " exceeds the model's context of " + std::to_string(context) + " tokens");
}

void Emitter::operator()(int32_t token) {
  if (done) return;
  result.output_tokens.push_back(token);
  if (request.on_token) request.on_token(token);
  result.stopped = std::find(request.stop_tokens.begin(), request.stop_tokens.end(), token) != request.stop_tokens.end();
  done = result.stopped || result.new_tokens() >= request.max_new_tokens;
}

int32_t choose(const StepOutput& out, Sampler& sampler) {
  return sampler.params().greedy() ? out.argmax.back() : sampler.sample(out.logits);
}

GenerationResult generate_plain(Target& target, Sampler& sampler, const GenerationRequest& req) {
  check_request(req, 0, target.config().max_position);
  const bool full_logits = !sampler.params().greedy();
  target.set_feature_taps({});  // nothing reads features here
  target.begin(static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens);
  GenerationResult result;
  Emitter emit{req, result};

  auto start = std::chrono::steady_clock::now();
  emit(choose(target.forward(Step::causal(req.prompt, full_logits, false)), sampler));
  result.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  while (!emit.done) {
    const int32_t last = result.output_tokens.back();
    const StepOutput out = target.forward(Step::causal(std::span(&last, 1), full_logits, false));
    ++result.target_forwards;
    emit(choose(out, sampler));
  }
  result.decode_seconds = seconds_since(start);
  return result;
}

std::vector<GenerationResult> generate_plain_batch(Target& target, const std::vector<GenerationRequest>& requests) {
  require(!requests.empty(), "an empty batch: no requests to decode");
  require(requests.size() < (std::size_t{1} << 22), "a batch of more than 4M sequences");
  int64_t capacity = 0;
  for (const GenerationRequest& req : requests) {
    check_request(req, 0, target.config().max_position);
    capacity = std::max<int64_t>(capacity, static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens);
  }
  const auto B = static_cast<int32_t>(requests.size());
  target.set_feature_taps({});
  target.begin_batch(capacity, B);
  std::vector<GenerationResult> results(requests.size());
  std::vector<Emitter> emit;
  for (int32_t b = 0; b < B; ++b) emit.push_back({requests[b], results[b]});
  // One step of every unfinished sequence, then each one's greedy token; returns how many ran.
  auto run_round = [&](auto step_of_sequence) {
    std::vector<Step> steps;
    for (int32_t b = 0; b < B; ++b) {
      if (emit[b].done) continue;
      steps.push_back(step_of_sequence(b));
      steps.back().sequence = b;
    }
    if (steps.empty()) return std::size_t{0};
    const std::vector<StepOutput> outs = target.forward_batch(steps);
    for (std::size_t i = 0; i < steps.size(); ++i) emit[steps[i].sequence](outs[i].argmax.back());
    return steps.size();
  };
  auto start = std::chrono::steady_clock::now();
  run_round([&](int32_t b) { return Step::causal(requests[b].prompt, false, false); });
  const double prefill = seconds_since(start);
  start = std::chrono::steady_clock::now();
  while (run_round([&](int32_t b) {
    ++results[b].target_forwards;
    return Step::causal(std::span(&results[b].output_tokens.back(), 1), false, false);
  }) > 0) {
  }
  const double decode = seconds_since(start);
  for (GenerationResult& r : results) {
    r.prefill_seconds = prefill;
    r.decode_seconds = decode;
  }
  return results;
}

GenerationResult generate_plain(const Model& model, Sampler& sampler, const GenerationRequest& req) {
  LocalTarget target(model);
  return generate_plain(target, sampler, req);
}

}  // namespace eaglerun
