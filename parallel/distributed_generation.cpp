#include "parallel/distributed_generation.h"

#include <algorithm>
#include <string>

#include "core/eagle/tree_builder.h"
#include "core/error.h"
#include "core/eagle/verifier.h"

namespace eaglerun {
namespace {

// Emits tokens into a result until a stop token or the token limit.
struct Emitter {
  const GenerationRequest& req;
  GenerationResult& result;
  bool done = false;
  void operator()(int32_t token) {
    if (done) return;
    result.output_tokens.push_back(token);
    if (req.on_token) req.on_token(token);
    result.stopped = std::find(req.stop_tokens.begin(), req.stop_tokens.end(), token) != req.stop_tokens.end();
    done = result.stopped || result.new_tokens() >= req.max_new_tokens;
  }
};

void check_request(const GenerationRequest& req, int64_t extra, int64_t context) {
  const auto prompt_len = static_cast<int64_t>(req.prompt.size());
  require(prompt_len > 0, "the prompt is empty");
  require(req.max_new_tokens > 0, "--max-new-tokens must be positive");
  require(prompt_len + req.max_new_tokens + extra <= context,
          "prompt of " + std::to_string(prompt_len) + " tokens + " + std::to_string(req.max_new_tokens) +
              " new tokens" + (extra ? " + a draft tree of depth " + std::to_string(extra) : "") +
              " exceeds the model's context of " + std::to_string(context) + " tokens");
}

// The token of the step's (last) logits row, as Sampler::sample picks it.
int32_t choose(const StepOutput& out, Sampler& sampler) {
  return sampler.params().greedy() ? out.argmax.back() : sampler.sample(out.logits);
}

Step causal_step(std::span<const int32_t> tokens, bool greedy, bool want_hidden) {
  Step s;
  s.tokens.assign(tokens.begin(), tokens.end());
  s.rows = LogitRows::Last;
  s.full_logits = !greedy;
  s.want_hidden = want_hidden;
  return s;
}

Step tree_step(const DraftTree& tree, bool greedy) {
  Step s;
  s.tokens = tree.tokens;
  s.parents = tree.parent;
  s.rows = LogitRows::All;
  s.full_logits = !greedy;
  return s;
}

DraftTree build_tree(Drafter& drafter, const TreeSpec& spec, int32_t root, Sampler& sampler) {
  if (spec.kind == TreeSpec::Kind::Dynamic) return build_dynamic_tree(drafter, spec.dynamic, root);
  return build_static_tree(drafter, spec.shape, root, sampler);
}

}  // namespace

GenerationResult generate_plain_distributed(DistributedTarget& target, Sampler& sampler,
                                            const GenerationRequest& req) {
  check_request(req, 0, target.config().max_position);
  const bool greedy = sampler.params().greedy();
  target.begin(static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens);
  GenerationResult result;
  Emitter emit{req, result};

  auto start = std::chrono::steady_clock::now();
  emit(choose(target.forward(causal_step(req.prompt, greedy, false)), sampler));
  result.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  while (!emit.done) {
    const int32_t last = result.output_tokens.back();
    const StepOutput out = target.forward(causal_step(std::span(&last, 1), greedy, false));
    ++result.target_forwards;
    emit(choose(out, sampler));
  }
  result.decode_seconds = seconds_since(start);
  return result;
}

std::vector<GenerationResult> generate_plain_batch_distributed(DistributedTarget& target,
                                                               const std::vector<GenerationRequest>& requests) {
  require(!requests.empty(), "an empty batch");
  int64_t capacity = 0;
  for (const GenerationRequest& req : requests) {
    check_request(req, 0, target.config().max_position);
    capacity = std::max<int64_t>(capacity, static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens);
  }
  const auto B = static_cast<int32_t>(requests.size());
  target.begin(capacity, B);
  std::vector<GenerationResult> results(requests.size());
  std::vector<Emitter> emit;
  for (int32_t b = 0; b < B; ++b) emit.push_back({requests[b], results[b]});
  auto run_round = [&](auto step_of_sequence) {  // launch every unfinished sequence, then collect
    std::vector<int32_t> launched;
    for (int32_t b = 0; b < B; ++b) {
      if (emit[b].done) continue;
      Step s = step_of_sequence(b);
      s.sequence = b;
      target.launch(s);
      launched.push_back(b);
    }
    for (int32_t b : launched) emit[b](target.collect().argmax.back());
    return launched.size();
  };
  auto start = std::chrono::steady_clock::now();
  run_round([&](int32_t b) { return causal_step(requests[b].prompt, true, false); });
  const double prefill = seconds_since(start);
  start = std::chrono::steady_clock::now();
  for (;;) {
    const std::size_t n = run_round([&](int32_t b) {
      ++results[b].target_forwards;
      return causal_step(std::span(&results[b].output_tokens.back(), 1), true, false);
    });
    if (n == 0) break;
  }
  const double decode = seconds_since(start);
  for (GenerationResult& r : results) {
    r.prefill_seconds = prefill;
    r.decode_seconds = decode;
  }
  return results;
}

SpeculativeResult generate_speculative_distributed(DistributedTarget& target, Drafter& drafter, const TreeSpec& spec,
                                                   Sampler& sampler, const GenerationRequest& req,
                                                   const SpeculativeOptions& options) {
  require(spec.kind != TreeSpec::Kind::Auto, "--tree auto is for one rank (its cost curve is measured locally); "
                                             "give a static or dynamic tree with --tp/--pp/--ep");
  const ModelConfig& c = target.config();
  check_request(req, spec.max_depth(), c.max_position);
  const bool greedy = sampler.params().greedy();
  const int64_t V = c.vocab_size;
  target.begin(static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens + spec.max_nodes());
  SpeculativeResult res;
  GenerationResult& gen = res.generation;
  Emitter emit{req, gen};

  auto start = std::chrono::steady_clock::now();
  StepOutput out = target.forward(causal_step(req.prompt, greedy, true));
  emit(choose(out, sampler));
  gen.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  if (!emit.done) drafter.begin(req.prompt, out.hidden.data(), gen.output_tokens.back());

  while (!emit.done) {
    auto t0 = std::chrono::steady_clock::now();
    const DraftTree tree = build_tree(drafter, spec, gen.output_tokens.back(), sampler);
    drafter.discard_tree();
    res.stats.draft_seconds += seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    out = target.forward(tree_step(tree, greedy));
    ++gen.target_forwards;
    const Acceptance acc = greedy ? verify_greedy_argmax(tree, out.argmax)
                                  : verify_sampling(tree, out.logits.data(), V, sampler, options.accept_rule);
    const std::vector<float> features = target.keep(acc.path, true);  // [path, H]
    res.stats.verify_seconds += seconds_since(t0);
    ++res.stats.steps;
    res.stats.tree_tokens += tree.size();
    res.stats.record(acc.accepted_drafts(), tree.max_depth());
    if (options.on_step) options.on_step(tree, acc);

    std::vector<int32_t> next_tokens;  // the tokens that follow each accepted node
    for (std::size_t i = 0; i < acc.path.size(); ++i) {
      next_tokens.push_back(i + 1 < acc.path.size() ? tree.tokens[acc.path[i + 1]] : acc.bonus_token);
    }
    for (int32_t t : next_tokens) emit(t);
    if (!emit.done) drafter.advance(features.data(), next_tokens);
  }
  gen.decode_seconds = seconds_since(start);
  return res;
}

}  // namespace eaglerun
