#include "core/eagle/speculative.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/eagle/auto_tree.h"
#include "core/eagle/context_lookup.h"
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
  lookup_verified += o.lookup_verified;
  lookup_accepted += o.lookup_accepted;
  draft_seconds += o.draft_seconds;
  verify_seconds += o.verify_seconds;
}

namespace {

// `copied`: tokens a copy from the context will add to the tree (auto sizes the drafted part for them).
DraftTree build_tree(Drafter& drafter, const TreeSpec& spec, int32_t root, Sampler& sampler, int64_t copied) {
  if (spec.kind == TreeSpec::Kind::Auto) {
    require(spec.policy != nullptr, "--tree auto needs its policy (the measured cost curve)");
    const auto start = std::chrono::steady_clock::now();
    const DraftTree drafted = build_dynamic_tree(drafter, spec.policy->draft_shape(), root);
    return spec.policy->choose(drafted, seconds_since(start), copied);
  }
  if (spec.kind == TreeSpec::Kind::Dynamic) return build_dynamic_tree(drafter, spec.dynamic, root);
  return build_static_tree(drafter, spec.shape, root, sampler);
}

}  // namespace

SpeculativeResult generate_speculative(Target& target, Drafter& drafter, const TreeSpec& spec, Sampler& sampler,
                                       const GenerationRequest& req, const SpeculativeOptions& options) {
  check_request(req, spec.max_depth(), target.config().max_position);
  const bool greedy = sampler.params().greedy();
  const int64_t V = target.config().vocab_size;
  target.set_feature_taps(drafter.tap_layers());
  target.begin(static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens + spec.max_nodes());
  SpeculativeResult res;
  GenerationResult& gen = res.generation;
  Emitter emit{req, gen};

  auto start = std::chrono::steady_clock::now();
  StepOutput out = target.forward(Step::causal(req.prompt, !greedy, true));
  emit(choose(out, sampler));
  gen.prefill_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  if (!emit.done) drafter.begin(req.prompt, out.hidden.data(), gen.output_tokens.back());

  double advance_seconds = 0;  // the drafter's advance after the previous step
  ContextLookup context;       // with spec.lookup: the prompt and every emitted token
  if (spec.lookup > 0) {
    context.reset(req.prompt);
    for (int32_t t : gen.output_tokens) context.append(t);
  }
  while (!emit.done) {
    // Draft: a tree rooted at the last token, and a copy from the context as one more branch.
    auto t0 = std::chrono::steady_clock::now();
    ContextLookup::Match copy;
    if (spec.lookup > 0) {
      copy = context.find(spec.lookup);
      copy.continuation.resize(static_cast<std::size_t>(
          spec.lookup_length->choose(copy.length, static_cast<int32_t>(copy.continuation.size()))));
    }
    const auto copied = static_cast<int64_t>(copy.continuation.size());
    const DraftTree tree = build_tree(drafter, spec, gen.output_tokens.back(), sampler, copied)
                               .with_path(copy.continuation);
    drafter.discard_tree();
    const double draft_seconds = advance_seconds + seconds_since(t0);

    // Verify: one target forward over every node; accept; keep the accepted rows.
    t0 = std::chrono::steady_clock::now();
    out = target.forward(tree.verification_step(!greedy));
    ++gen.target_forwards;
    const Acceptance acc = greedy ? verify_greedy_argmax(tree, out.argmax)
                                  : verify_sampling(tree, out.logits.data(), V, sampler, options.accept_rule);
    const std::vector<float> features = target.keep(acc.path, true);  // [path, H]
    const double verify_seconds = seconds_since(t0);
    res.stats.draft_seconds += draft_seconds;
    res.stats.verify_seconds += verify_seconds;
    ++res.stats.steps;
    res.stats.tree_tokens += tree.size();
    res.stats.record(acc.accepted_drafts(), tree.max_depth());
    if (spec.lookup > 0) {
      const int32_t copied = tree.accepted_along(copy.continuation, acc.path);
      spec.lookup_length->observe(copy.length, static_cast<int32_t>(copy.continuation.size()), copied);
      res.stats.lookup_verified += static_cast<int64_t>(copy.continuation.size());
    }
    const auto copied_only = std::count_if(acc.path.begin() + 1, acc.path.end(), [&](int32_t u) { return tree.from_lookup[u]; });
    res.stats.lookup_accepted += copied_only;
    // The policy predicts what the drafter's nodes yield, not the copy's.
    if (spec.policy) spec.policy->observe(tree, acc.accepted_drafts() - copied_only);
    if (options.on_step) options.on_step({tree, acc, draft_seconds, verify_seconds});

    // Commit: emit the accepted drafts and the bonus token; the drafter reads their features.
    std::vector<int32_t> next_tokens;  // the tokens that follow each accepted node
    for (std::size_t i = 0; i < acc.path.size(); ++i) {
      next_tokens.push_back(i + 1 < acc.path.size() ? tree.tokens[acc.path[i + 1]] : acc.bonus_token);
    }
    for (int32_t t : next_tokens) emit(t);
    if (spec.lookup > 0) {
      for (auto i = static_cast<std::size_t>(context.size()) - req.prompt.size(); i < gen.output_tokens.size(); ++i) {
        context.append(gen.output_tokens[i]);
      }
    }
    advance_seconds = 0;
    if (!emit.done) {
      t0 = std::chrono::steady_clock::now();  // the head reads the accepted features: drafting work
      drafter.advance(features.data(), next_tokens);
      advance_seconds = seconds_since(t0);
      if (spec.policy) spec.policy->observe_advance(advance_seconds);
    }
  }
  gen.decode_seconds = seconds_since(start);
  return res;
}

SpeculativeResult generate_speculative(const Model& model, Drafter& drafter, const TreeSpec& spec, Sampler& sampler,
                                       const GenerationRequest& req, const SpeculativeOptions& options) {
  LocalTarget target(model);
  return generate_speculative(target, drafter, spec, sampler, req, options);
}

}  // namespace eaglerun
