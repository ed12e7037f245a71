#include "core/eagle/speculative.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/eagle/auto_tree.h"
#include "core/eagle/tree_builder.h"
#include "core/eagle/verifier.h"

namespace eaglerun {

double SpeculativeStats::tau() const {
  if (accepted_per_step.empty()) return 0.0;
  double sum = 0;
  for (int64_t a : accepted_per_step) sum += static_cast<double>(a + 1);
  return sum / static_cast<double>(accepted_per_step.size());
}

std::vector<double> SpeculativeStats::accepted_by_depth() const {
  std::vector<double> alpha;
  for (std::size_t d = 0; d < depth_tries.size(); ++d) {
    alpha.push_back(depth_tries[d] > 0 ? static_cast<double>(depth_accepts[d]) / depth_tries[d] : 0.0);
  }
  return alpha;
}

void SpeculativeStats::record(int64_t accepted, int64_t tree_depth) {
  accepted_per_step.push_back(accepted);
  if (static_cast<int64_t>(depth_tries.size()) < tree_depth) {
    depth_tries.resize(static_cast<std::size_t>(tree_depth), 0);
    depth_accepts.resize(static_cast<std::size_t>(tree_depth), 0);
  }
  // Depth d+1 was tried when the first d drafts were accepted and the tree reaches that deep.
  for (int64_t d = 0; d < tree_depth && d <= accepted; ++d) {
    ++depth_tries[d];
    if (d < accepted) ++depth_accepts[d];
  }
}

void SpeculativeStats::merge(const SpeculativeStats& o) {
  steps += o.steps;
  tree_tokens += o.tree_tokens;
  accepted_per_step.insert(accepted_per_step.end(), o.accepted_per_step.begin(), o.accepted_per_step.end());
  if (depth_tries.size() < o.depth_tries.size()) {
    depth_tries.resize(o.depth_tries.size(), 0);
    depth_accepts.resize(o.depth_tries.size(), 0);
  }
  for (std::size_t d = 0; d < o.depth_tries.size(); ++d) {
    depth_tries[d] += o.depth_tries[d];
    depth_accepts[d] += o.depth_accepts[d];
  }
  draft_seconds += o.draft_seconds;
  verify_seconds += o.verify_seconds;
}

namespace {

DraftTree build_tree(Drafter& drafter, const TreeSpec& spec, int32_t root, Sampler& sampler) {
  if (spec.kind == TreeSpec::Kind::Auto) {
    require(spec.policy != nullptr, "--tree auto needs its policy (the measured cost curve)");
    const auto start = std::chrono::steady_clock::now();
    const DraftTree drafted = build_dynamic_tree(drafter, spec.policy->draft_shape(), root);
    return spec.policy->choose(drafted, seconds_since(start));
  }
  if (spec.kind == TreeSpec::Kind::Dynamic) return build_dynamic_tree(drafter, spec.dynamic, root);
  return build_static_tree(drafter, spec.shape, root, sampler);
}

// KV rows to keep after a step: the cached prefix, then the accepted tree nodes.
std::vector<int64_t> kept_rows(int64_t past, const std::vector<int32_t>& path) {
  std::vector<int64_t> keep(static_cast<std::size_t>(past));
  for (int64_t i = 0; i < past; ++i) keep[i] = i;
  for (int32_t node : path) keep.push_back(past + node);
  return keep;
}

}  // namespace

SpeculativeResult generate_speculative(const Model& target, Drafter& drafter, const TreeSpec& spec, Sampler& sampler,
                                       const GenerationRequest& req, const SpeculativeOptions& options) {
  const auto prompt_len = static_cast<int64_t>(req.prompt.size());
  const int64_t context = target.config().max_position, H = target.config().hidden_size;
  const int64_t V = target.config().vocab_size;
  require(prompt_len > 0, "the prompt is empty");
  require(req.max_new_tokens > 0, "--max-new-tokens must be positive");
  require(prompt_len + req.max_new_tokens + spec.max_depth() <= context,
          "prompt of " + std::to_string(prompt_len) + " tokens + " + std::to_string(req.max_new_tokens) +
              " new tokens + a draft tree of depth " + std::to_string(spec.max_depth()) +
              " exceeds the model's context of " + std::to_string(context) + " tokens");
  KvCache kv(target.config(), prompt_len + req.max_new_tokens + spec.max_nodes());
  SpeculativeResult res;
  GenerationResult& gen = res.generation;
  bool done = false;
  auto emit = [&](int32_t token) {
    if (done) return;
    gen.output_tokens.push_back(token);
    if (req.on_token) req.on_token(token);
    gen.stopped = std::find(req.stop_tokens.begin(), req.stop_tokens.end(), token) != req.stop_tokens.end();
    done = gen.stopped || gen.new_tokens() >= req.max_new_tokens;
  };

  auto start = std::chrono::steady_clock::now();
  ForwardOutput out = target.forward_causal(req.prompt, kv, LogitRows::Last);
  emit(sampler.sample(out.logits));
  gen.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  if (!done) drafter.begin(req.prompt, out.hidden.data(), gen.output_tokens.back());

  while (!done) {
    auto t0 = std::chrono::steady_clock::now();
    const DraftTree tree = build_tree(drafter, spec, gen.output_tokens.back(), sampler);
    drafter.discard_tree();
    res.stats.draft_seconds += seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    const int64_t past = kv.size();
    out = target.forward(tree.tokens, tree.positions(static_cast<int32_t>(past)), tree.mask(past), kv, LogitRows::All);
    ++gen.target_forwards;
    const Acceptance acc = sampler.params().greedy() ? verify_greedy(tree, out.logits.data(), V)
                                                     : verify_sampling(tree, out.logits.data(), V, sampler, options.accept_rule);
    kv.keep(kept_rows(past, acc.path));
    res.stats.verify_seconds += seconds_since(t0);
    ++res.stats.steps;
    res.stats.tree_tokens += tree.size();
    res.stats.record(acc.accepted_drafts(), tree.max_depth());
    if (spec.policy) spec.policy->observe(tree, acc.accepted_drafts());
    if (options.on_step) options.on_step(tree, acc);

    std::vector<int32_t> next_tokens;  // the tokens that follow each accepted node
    std::vector<float> features;       // [path, H]
    for (std::size_t i = 0; i < acc.path.size(); ++i) {
      const int32_t node = acc.path[i];
      features.insert(features.end(), out.hidden.begin() + node * H, out.hidden.begin() + (node + 1) * H);
      next_tokens.push_back(i + 1 < acc.path.size() ? tree.tokens[acc.path[i + 1]] : acc.bonus_token);
    }
    for (int32_t t : next_tokens) emit(t);
    if (!done) {
      t0 = std::chrono::steady_clock::now();  // the head reads the accepted features: drafting work
      drafter.advance(features.data(), next_tokens);
      res.stats.draft_seconds += seconds_since(t0);
    }
  }
  gen.decode_seconds = seconds_since(start);
  return res;
}

}  // namespace eaglerun
