// eaglerun bench --draft ...: plain and speculative decoding of the same prompts in one run,
// interleaved prompt by prompt, with the speedup, tau and per-depth acceptance.
#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/bench_options.h"
#include "core/eagle/auto_tree.h"
#include "core/error.h"

namespace eaglerun::cli {
namespace {

struct Totals {
  int64_t tokens = 0;
  double seconds = 0;
  double tokens_per_second() const { return seconds > 0 ? tokens / seconds : 0.0; }
  void add(const GenerationResult& r) {
    tokens += r.new_tokens();
    seconds += r.seconds();
  }
};

std::string default_prompts() { return source_path("data/eval/mt_bench/question.jsonl"); }

}  // namespace

int run_speculative_bench(TargetSession& session, const BenchOptions& o) {
  Engine& engine = session.engine();
  const std::vector<Prompt> prompts =
      read_prompts_jsonl(o.prompts_file.empty() ? default_prompts() : o.prompts_file, o.limit);
  std::vector<std::vector<int32_t>> ids;
  int64_t longest = 0;
  for (const Prompt& p : prompts) {
    ids.push_back(engine.encode_prompt(p.text, false));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.back().size()));
  }
  DraftSetup draft = make_draft_setup(o.draft, engine, session.target(), o.engine, longest + o.max_new_tokens);
  const std::vector<int32_t> stops = engine.stop_tokens(false);
  {  // warm-up: page in the weights
    Sampler s(o.sampling);
    session.run(nullptr, s, {ids[0], 4, stops, {}});
  }
  session.take_comm_stats();
  std::vector<CommStats> plain_comm, spec_comm;  // per rank
  int64_t plain_forwards = 0, spec_forwards = 0;
  auto add_comm = [&](std::vector<CommStats>& into) {
    const std::vector<CommStats> now = session.take_comm_stats();
    into.resize(now.size());
    for (std::size_t r = 0; r < now.size(); ++r) into[r] += now[r];
  };
  Totals plain, spec;
  SpeculativeStats stats;
  int64_t identical = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    SamplingParams sp = o.sampling;
    sp.seed = o.sampling.seed + i;
    Sampler a(sp), b(sp);
    const SpeculativeResult base = session.run(nullptr, a, {ids[i], o.max_new_tokens, stops, {}});
    add_comm(plain_comm);
    const SpeculativeResult fast = session.run(&draft, b, {ids[i], o.max_new_tokens, stops, {}});
    add_comm(spec_comm);
    plain_forwards += base.generation.target_forwards + 1;
    spec_forwards += fast.generation.target_forwards + 1;
    plain.add(base.generation);
    spec.add(fast.generation);
    stats.merge(fast.stats);
    identical += base.generation.output_tokens == fast.generation.output_tokens;
    if (!o.json) {
      std::cerr << fmt::format("[{}] plain {:.1f} tok/s, speculative {:.1f} tok/s, tau {:.2f}\n", prompts[i].id,
                               base.generation.new_tokens() / base.generation.seconds(),
                               fast.generation.new_tokens() / fast.generation.seconds(), fast.stats.tau());
    }
  }
  const double speedup = spec.tokens_per_second() / plain.tokens_per_second();
  nlohmann::json j = {{"model", o.engine.model_path},
                      {"draft", o.draft.draft.empty() ? o.draft.draft_model : o.draft.draft},
                      {"tree", o.draft.tree},
                      {"threads", o.engine.threads},
                      {"temperature", o.sampling.temperature},
                      {"prompts", prompts.size()},
                      {"plain_tokens", plain.tokens},
                      {"eagle_tokens", spec.tokens},
                      {"plain_tokens_per_second", plain.tokens_per_second()},
                      {"eagle_tokens_per_second", spec.tokens_per_second()},
                      {"speedup", speedup},
                      {"tau", stats.tau()},
                      {"accepted_by_depth", stats.accepted_by_depth()},
                      {"mean_tree_tokens", stats.steps ? double(stats.tree_tokens) / stats.steps : 0.0},
                      {"lookup_verified", stats.lookup_verified},
                      {"lookup_accepted", stats.lookup_accepted},
                      {"draft_seconds", stats.draft_seconds},
                      {"verify_seconds", stats.verify_seconds},
                      {"identical_outputs", identical}};
  if (session.distributed()) {
    const World& w = session.world();
    const CommPerForward pc = CommPerForward::of(plain_comm, plain_forwards);
    const CommPerForward sc = CommPerForward::of(spec_comm, spec_forwards);
    j["ranks"] = w.size;
    j["tp"] = w.tp;
    j["pp"] = w.pp;
    j["ep"] = w.ep;
    j["plain_comm_seconds_per_forward"] = pc.seconds;
    j["plain_comm_bytes_per_forward"] = pc.bytes;
    j["eagle_comm_seconds_per_forward"] = sc.seconds;
    j["eagle_comm_bytes_per_forward"] = sc.bytes;
  }
  if (const auto& policy = draft.tree.policy) {  // --tree auto: what each arm took and measured
    for (int32_t arm = 0; arm <= AutoTreePolicy::kChainArms; ++arm) {
      j["auto_arms"].push_back({{"tree", arm == 0 ? std::string("dynamic") : "chain:" + std::to_string(arm)},
                                {"steps", policy->arm_steps(arm)},
                                {"tokens_per_second", policy->arm_rate(arm)}});
    }
  }
  if (o.json) {
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("plain        {:.1f} tokens/s\n", plain.tokens_per_second())
            << fmt::format("speculative  {:.1f} tokens/s ({}, tree {})\n", spec.tokens_per_second(),
                           j["draft"].get<std::string>(), o.draft.tree)
            << fmt::format("speedup      {:.2f}x\n", speedup)
            << fmt::format("tau          {:.2f} (mean tree {:.1f} tokens)\n", stats.tau(),
                           j["mean_tree_tokens"].get<double>())
            << "n-alpha      ";
  for (double a : stats.accepted_by_depth()) std::cout << fmt::format("{:.2f} ", a);
  std::cout << "\n";
  if (stats.lookup_verified > 0) {
    std::cout << fmt::format("lookup       {} tokens copied from the context, {} accepted that the draft had not proposed ({:.2f} a step)\n", stats.lookup_verified,
                             stats.lookup_accepted, double(stats.lookup_accepted) / std::max<int64_t>(stats.steps, 1));
  }
  if (j.contains("auto_arms")) {
    std::cout << "auto         ";
    for (const auto& arm : j["auto_arms"]) {
      std::cout << fmt::format("{} {} steps {:.0f} tok/s; ", arm["tree"].get<std::string>(), arm["steps"].get<int64_t>(),
                               arm["tokens_per_second"].get<double>());
    }
    std::cout << "\n";
  }
  std::cout << fmt::format("time         draft {:.1f} s, verify {:.1f} s\n", stats.draft_seconds, stats.verify_seconds)
            << fmt::format("identical    {} of {} outputs equal plain decoding\n", identical, prompts.size());
  if (session.distributed()) {
    std::cout << fmt::format("split        {}\n", split_text(session.world()))
              << fmt::format("comm         plain {:.3f} ms, {:.0f} bytes per forward; EAGLE {:.3f} ms, {:.0f} bytes per "
                             "forward\n",
                             1e3 * j["plain_comm_seconds_per_forward"].get<double>(),
                             j["plain_comm_bytes_per_forward"].get<double>(),
                             1e3 * j["eagle_comm_seconds_per_forward"].get<double>(),
                             j["eagle_comm_bytes_per_forward"].get<double>());
  }
  return 0;
}

}  // namespace eaglerun::cli
