// Multi-rank check, run under mpirun by ctest (label mpi): the model spread over the job's ranks
// must give what one rank gives. Rank 0 holds a whole copy of the model as the reference.
//   logits   a prefill, a tree step and a step after keep(): fp32 logits within --tolerance,
//            argmax identical
//   plain    greedy (and seeded sampling) decoding: identical tokens
//   eagle    EAGLE with a random draft head, greedy: identical tokens to one rank and to plain
//            decoding (always to the split's own plain decoding: lossless under any split). Seeded EAGLE sampling is only reported: a split sums in another order
//            (logits differ by ~1e-6), and the residual max(0, p - q) of rejection sampling can
//            turn that into a different draw; its distribution is what matters (tests/eagle).
//   self     the target drafting for itself (every path accepted in full: deep keep() paths)
//   oracle   the oracle drafter (tests/support/oracle_drafter.h), greedy: trees holding the split's
//            own plain continuation at scheduled sibling ranks and depths; identical tokens to the
//            split's plain decoding, and every accepted length 0..D and deep paths through
//            non-first siblings must have occurred (counted from the verified trees)
//   batch    all prompts decoded together (one sequence each, launched before any is collected:
//            pipeline micro-batches): each one's greedy tokens as decoded alone
// usage: parallel_check --model PATH [--tp A] [--pp B] [--ep C] [--precision reference|fast]
//                       [--tokens N] [--prompts K] [--tree SPEC] [--tolerance T] [--skip-logits]
//                       [--text-prompts] [--greedy-only]
// --text-prompts: the first K MT-bench questions in the model's chat template (random token ids
// otherwise, whose flat logits make near-ties, where a quantised model's summation order decides).
// --lossless-only: a tensor-parallel split sums o_proj/down_proj partials in another order; with
// the fast kernels' 8-bit activation quantisation a last-bit difference can flip a rounding and
// grow (SmolLM2 Q4_1 at tp=3: logits ~1 apart), so compare the split with itself only: EAGLE
// and self-drafted tokens identical to the split's plain tokens, one rank's only reported.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/eagle/draft_head.h"
#include "core/eagle/draft_tree.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/error.h"
#include "core/kernels/ops.h"
#include "core/runtime/engine.h"
#include "core/runtime/generator.h"
#include "core/weights/open_model.h"
#include "parallel/command_channel.h"
#include "tests/parallel/check_args.h"
#include "tests/support/acceptance_counts.h"
#include "tests/support/oracle_drafter.h"

namespace eaglerun {
namespace {

struct Options {
  std::string model;
  ParallelOptions parallel;
  Precision precision = Precision::Reference;
  int tokens = 24, prompts = 3;
  std::string tree = "eagle1";
  double tolerance = 1e-4;
  bool logits = true, text_prompts = false, greedy_only = false, lossless_only = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (test::ArgReader args(argc, argv); args.next();) {
    const std::string a = args.name();
    auto next = [&] { return args.value(); };
    if (a == "--model") o.model = next();
    else if (a == "--tp") o.parallel.tp = std::stoi(next());
    else if (a == "--pp") o.parallel.pp = std::stoi(next());
    else if (a == "--ep") o.parallel.ep = std::stoi(next());
    else if (a == "--precision") o.precision = next() == "fast" ? Precision::Fast : Precision::Reference;
    else if (a == "--tokens") o.tokens = std::stoi(next());
    else if (a == "--prompts") o.prompts = std::stoi(next());
    else if (a == "--tree") o.tree = next();
    else if (a == "--tolerance") o.tolerance = std::stod(next());
    else if (a == "--skip-logits") o.logits = false;
    else if (a == "--text-prompts") o.text_prompts = true;
    else if (a == "--greedy-only") o.greedy_only = true;
    else if (a == "--lossless-only") o.lossless_only = true;
    else throw Error("unknown option " + a);
  }
  require(!o.model.empty(), "--model is required");
  return o;
}

std::vector<std::vector<int32_t>> make_prompts(const Options& o, int64_t vocab) {
  std::vector<std::vector<int32_t>> prompts;
  if (!o.text_prompts) {
    for (int i = 0; i < o.prompts; ++i) prompts.push_back(test::random_prompt(static_cast<uint64_t>(i), 9, vocab));
    return prompts;
  }
  const Engine engine({.model_path = o.model, .threads = 1});
  std::ifstream in(std::string(EAGLERUN_SOURCE_DIR) + "/data/eval/mt_bench/question.jsonl");
  std::string line;
  while (static_cast<int>(prompts.size()) < o.prompts && std::getline(in, line)) {
    prompts.push_back(engine.encode_prompt(nlohmann::json::parse(line)["turns"][0].get<std::string>(), false));
  }
  return prompts;
}

class Checker {
 public:
  Checker(DistributedTarget& target, const Model& whole, const Options& o, std::vector<std::vector<int32_t>> prompts)
      : target_(target), whole_(whole), o_(o), prompts_(std::move(prompts)) {}

  bool ok() const { return failures_ == 0; }

  // Distributed logits against the whole model's, on the same sequence of steps.
  void check_logits() {
    const std::vector<int32_t> p = test::random_prompt(99, 11, whole_.config().vocab_size);
    target_.begin(64);
    KvCache kv = whole_.make_cache(64);
    Step prefill{p, {}, LogitRows::All, true, true};
    compare("prefill", target_.forward(prefill), whole_.forward_causal(p, kv, LogitRows::All));
    DraftTree tree(p.back());
    for (int32_t parent : {0, 0, 1, 1, 2, 3, 5}) tree.add(parent, static_cast<int32_t>((parent * 37 + 11) % 200));
    const Step step = tree.verification_step(true);
    const int64_t past = kv.size();
    compare("tree", target_.forward(step), whole_.forward(tree.tokens, step.positions(past), step.mask(past), kv));
    const std::vector<int32_t> path = {0, 1, 3, 6};
    target_.keep(path, false);
    std::vector<int64_t> rows(static_cast<std::size_t>(past));
    for (int64_t i = 0; i < past; ++i) rows[i] = i;
    for (int32_t n : path) rows.push_back(past + n);
    kv.keep(rows);
    const std::vector<int32_t> more = {3, 4, 5};
    Step greedy{more, {}, LogitRows::All, false, false};
    const StepOutput g = target_.forward(greedy);
    const ForwardOutput want = whole_.forward_causal(more, kv, LogitRows::All);
    const int64_t V = whole_.config().vocab_size;
    for (std::size_t r = 0; r < more.size(); ++r) {
      expect(g.argmax[r] == argmax(want.logits.data() + r * V, V), "argmax after keep, row " + std::to_string(r));
    }
  }

  void check_generation() {
    const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(whole_.config()), 7, 0.2f);
    const TreeSpec spec = parse_tree_spec(o_.tree);
    for (std::size_t i = 0; i < prompts_.size(); ++i) {
      const std::vector<int32_t>& p = prompts_[i];
      for (float temperature : {0.f, 0.8f}) {
        if (temperature > 0 && o_.greedy_only) continue;
        const SamplingParams sp{.temperature = temperature, .seed = 17u + static_cast<uint64_t>(i)};
        const GenerationRequest req{p, o_.tokens, {}, {}};
        Sampler s1(sp), s2(sp), s3(sp), s4(sp);
        const auto want = generate_plain(whole_, s1, req).output_tokens;
        const auto plain = generate_plain(target_, s2, req).output_tokens;
        EagleDrafter d1(whole_, head, 256), d2(whole_, head, 256);
        const auto eagle_one = generate_speculative(whole_, d1, spec, s3, req).generation.output_tokens;
        const SpeculativeResult eagle = generate_speculative(target_, d2, spec, s4, req);
        const std::string what = "prompt " + std::to_string(i) + " T=" + std::to_string(temperature);
        const bool exact = !o_.lossless_only;
        expect_if(exact, plain == want, "plain tokens vs one rank's, " + what);
        if (temperature == 0.f) {
          expect_if(exact, eagle.generation.output_tokens == eagle_one, "EAGLE tokens vs one rank's EAGLE, " + what);
          expect(eagle.generation.output_tokens == plain, "EAGLE tokens vs the split's plain tokens, " + what);
        } else {  // reported only: see the header
          sampled_same_ += eagle.generation.output_tokens == eagle_one;
          ++sampled_;
        }
        accepted_ += eagle.stats.tau();
        ++runs_;
      }
      Sampler s5({}), s6({});
      ModelDrafter self(whole_, 256);
      const GenerationRequest req{p, o_.tokens, {}, {}};
      const SpeculativeResult r = generate_speculative(target_, self, spec, s6, req);
      expect(r.generation.output_tokens == generate_plain(target_, s5, req).output_tokens,
             "self-drafted EAGLE tokens vs the split's plain tokens, prompt " + std::to_string(i));
      self_tau_ = std::max(self_tau_, r.stats.tau());
      check_oracle(spec, p, i);
    }
    expect_oracle_exercised(spec);
  }

  // Greedy EAGLE with the oracle drafter against the split's plain decoding of kOracleTokens.
  void check_oracle(const TreeSpec& spec, const std::vector<int32_t>& p, std::size_t i) {
    const GenerationRequest req{p, kOracleTokens, {}, {}};
    Sampler s1({}), s2({});
    const auto plain = generate_plain(target_, s1, req).output_tokens;
    test::OracleDrafter oracle(plain, whole_.config().vocab_size, test::OracleSchedule::for_tree(spec, 100 + i), 7 + i);
    SpeculativeOptions options;
    options.on_step = oracle_.observer();
    const SpeculativeResult r = generate_speculative(target_, oracle, spec, s2, req, options);
    expect(r.generation.output_tokens == plain, "oracle EAGLE tokens vs the split's plain tokens, prompt " +
                                                    std::to_string(i));
  }
  void expect_oracle_exercised(const TreeSpec& spec) {
    for (int64_t a = 0; a <= spec.max_depth(); ++a) {
      expect(oracle_.accepted(static_cast<std::size_t>(a)) > 0,
             "oracle: no step accepted " + std::to_string(a) + " drafts; " + oracle_.summary());
    }
    const bool siblings = spec.kind != TreeSpec::Kind::Static || spec.shape.max_rank() > 0;
    expect(!siblings || oracle_.deep_non_first > 0,
           "oracle: no step accepted 2+ drafts through a non-first sibling; " + oracle_.summary());
  }
  std::string oracle_summary() const { return oracle_.summary(); }

  void check_batch() {
    std::vector<GenerationRequest> requests;
    for (const auto& p : prompts_) requests.push_back({p, o_.tokens, {}, {}});
    const std::vector<GenerationResult> batch = generate_plain_batch(target_, requests);
    for (std::size_t i = 0; i < prompts_.size(); ++i) {
      Sampler alone({});
      const auto want = o_.lossless_only ? generate_plain(target_, alone, requests[i]).output_tokens
                                         : generate_plain(whole_, alone, requests[i]).output_tokens;
      expect(batch[i].output_tokens == want, "batched tokens vs decoded alone, prompt " + std::to_string(i));
    }
  }

  double max_diff() const { return max_diff_; }
  double tau() const { return runs_ ? accepted_ / runs_ : 0; }
  double self_tau() const { return self_tau_; }
  std::string sampled() const { return std::to_string(sampled_same_) + "/" + std::to_string(sampled_); }

 private:
  void compare(const std::string& what, const StepOutput& got, const ForwardOutput& want) {
    double d = 0;
    expect(got.logits.size() == want.logits.size(), what + ": logits size");
    for (std::size_t i = 0; i < got.logits.size() && i < want.logits.size(); ++i) {
      d = std::max(d, static_cast<double>(std::abs(got.logits[i] - want.logits[i])));
    }
    for (std::size_t i = 0; i < got.hidden.size(); ++i) {
      d = std::max(d, static_cast<double>(std::abs(got.hidden[i] - want.hidden[i])));
    }
    max_diff_ = std::max(max_diff_, d);
    expect(d <= o_.tolerance, what + ": max |logit difference| " + std::to_string(d));
  }
  // A check that counts only when `required`; otherwise it is reported (same_as_one_rank()).
  void expect_if(bool required, bool cond, const std::string& what) {
    if (required) return expect(cond, what);
    ++compared_;
    same_ += cond;
  }
  void expect(bool cond, const std::string& what) {
    if (cond) return;
    ++failures_;
    std::fprintf(stderr, "parallel_check: FAILED: %s\n", what.c_str());
  }

  DistributedTarget& target_;
  const Model& whole_;
  static constexpr int64_t kOracleTokens = 32;  // each prompt covers a round of the lengths 0..5
  const Options& o_;
  std::vector<std::vector<int32_t>> prompts_;
  test::AcceptanceCounts oracle_;
  int failures_ = 0;
  double max_diff_ = 0, accepted_ = 0;
  int runs_ = 0, sampled_ = 0, sampled_same_ = 0;
  double self_tau_ = 0;
  int compared_ = 0, same_ = 0;

 public:
  // Lossless-only runs: how many token sequences matched one rank's anyway.
  std::string same_as_one_rank() const { return std::to_string(same_) + "/" + std::to_string(compared_); }
};

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  auto job = Job::start(o.parallel);
  ThreadPool pool(1);
  std::shared_ptr<const WeightStore> store = open_model(o.model);
  DistributedModel model(*job, store, pool, o.precision);
  if (!job->world().is_coordinator()) return serve(model);
  DistributedTarget target(model);
  const Model whole(store, pool, o.precision);
  Checker check(target, whole, o, make_prompts(o, whole.config().vocab_size));
  if (o.logits) check.check_logits();
  check.check_generation();
  check.check_batch();
  const std::vector<CommStats> stats = target.gather_stats();
  int64_t bytes = 0;
  for (const CommStats& s : stats) bytes += s.bytes;
  target.end();
  const World& w = job->world();
  std::printf("parallel_check: %s tp=%d ep=%d pp=%d: max |diff| %.2e, mean tau %.2f, sampled EAGLE outputs "
              "identical %s, self-draft tau %.2f, oracle %s, %lld bytes sent in all%s: %s\n",
              whole.config().name.c_str(), w.tp, w.ep, w.pp, check.max_diff(), check.tau(), check.sampled().c_str(),
              check.self_tau(), check.oracle_summary().c_str(),
              static_cast<long long>(bytes),
              o.lossless_only ? (", token sequences as one rank's " + check.same_as_one_rank()).c_str() : "", check.ok() ? "PASS" : "FAIL");
  return check.ok() ? 0 : 1;
}

}  // namespace
}  // namespace eaglerun

int main(int argc, char** argv) {
  try {
    return eaglerun::run(argc, argv);
  } catch (const eaglerun::Error& e) {
    std::fprintf(stderr, "parallel_check: error: %s\n", e.what());
    return 1;
  }
}
