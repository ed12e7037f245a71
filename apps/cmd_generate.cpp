// eaglerun generate: plain or speculative decoding of one prompt or a JSONL file of prompts, in
// this process or under mpirun/srun with the target spread over the ranks (--tp/--pp/--ep).
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli_common.h"
#include "apps/draft_options.h"
#include "apps/target_session.h"
#include "core/error.h"
#include "core/runtime/generator.h"

namespace eaglerun::cli {
namespace {

struct GenerateOptions {
  EngineOptions engine;
  ParallelOptions parallel;
  DraftOptions draft;
  std::string precision;
  std::string prompt, prompts_file;
  int64_t limit = -1;
  int64_t max_new_tokens = 128;
  SamplingParams sampling;
  bool no_chat = false, json = false;
};

po::options_description generate_options(GenerateOptions& o) {
  po::options_description desc("generate options");
  add_engine_options(desc, o.engine, o.precision);
  add_device_option(desc, o.engine);
  add_draft_options(desc, o.draft);
  add_parallel_options(desc, o.parallel);
  desc.add_options()
      ("prompt", po::value(&o.prompt), "the user message")
      ("prompts", po::value(&o.prompts_file), "JSONL file of prompts (question_id, turns): first turn of each")
      ("limit", po::value(&o.limit)->default_value(-1), "use only the first N prompts of --prompts")
      ("max-new-tokens", po::value(&o.max_new_tokens)->default_value(128), "tokens to generate at most")
      ("temperature", po::value(&o.sampling.temperature)->default_value(0.f), "0 = greedy")
      ("top-p", po::value(&o.sampling.top_p)->default_value(1.f), "nucleus sampling mass (1 = off)")
      ("top-k", po::value(&o.sampling.top_k)->default_value(0), "sample among the k most likely (0 = off)")
      ("seed", po::value(&o.sampling.seed)->default_value(0), "random seed for sampling")
      ("no-chat", po::bool_switch(&o.no_chat), "use the prompt as raw text, without the chat template")
      ("json", po::bool_switch(&o.json), "one JSON object per prompt per line");
  return desc;
}

// Prints text as it is generated, holding back bytes of an unfinished UTF-8 character.
class TextStreamer {
 public:
  explicit TextStreamer(const Tokenizer& tok) : tok_(tok) {}
  void push(int32_t token) {
    tokens_.push_back(token);
    const std::string text = tok_.decode(tokens_);
    std::size_t end = text.size();
    while (end > printed_ && (static_cast<unsigned char>(text[end - 1]) & 0xC0) == 0x80) --end;
    if (end > printed_ && (static_cast<unsigned char>(text[end - 1]) & 0x80)) --end;  // a lead byte
    if (end <= printed_) return;
    std::cout << text.substr(printed_, end - printed_) << std::flush;
    printed_ = end;
  }
  void finish() {
    const std::string text = tok_.decode(tokens_);
    if (text.size() > printed_) std::cout << text.substr(printed_);
    std::cout << std::endl;
  }

 private:
  const Tokenizer& tok_;
  std::vector<int32_t> tokens_;
  std::size_t printed_ = 0;
};

// The generated text, without the stop token that ended it.
std::string answer_text(const GenerationResult& r, const Tokenizer& tok) {
  std::span<const int32_t> tokens = r.output_tokens;
  if (r.stopped) tokens = tokens.first(tokens.size() - 1);
  return tok.decode(tokens);
}

nlohmann::json result_json(const Prompt& p, const std::vector<int32_t>& prompt_ids, const SpeculativeResult& sr,
                           const Tokenizer& tok) {
  const GenerationResult& r = sr.generation;
  return {{"id", p.id},
          {"prompt_tokens", prompt_ids},
          {"output_tokens", r.output_tokens},
          {"text", answer_text(r, tok)},
          {"new_tokens", r.new_tokens()},
          {"target_forwards", r.target_forwards},
          {"tau", r.tau()},
          {"accepted_by_depth", sr.stats.accepted_by_depth()},
          {"draft_seconds", sr.stats.draft_seconds},
          {"verify_seconds", sr.stats.verify_seconds},
          {"stopped", r.stopped},
          {"prefill_seconds", r.prefill_seconds},
          {"seconds", r.seconds()},
          {"tokens_per_second", r.decode_tokens_per_second()}};
}

}  // namespace

int run_generate(int argc, char** argv) {
  GenerateOptions o;
  po::variables_map vm;
  if (!parse_args("generate", argc, argv, generate_options(o), vm)) return 0;
  require(o.prompt.empty() != o.prompts_file.empty(), "give exactly one of --prompt and --prompts");
  finish_engine_options(o.engine, o.precision);
  o.sampling.validate();
  const std::vector<Prompt> prompts =
      o.prompts_file.empty() ? std::vector<Prompt>{{"0", o.prompt}} : read_prompts_jsonl(o.prompts_file, o.limit);

  auto session = TargetSession::start(o.parallel, o.engine);
  if (session->worker()) return session->serve();
  Engine& engine = session->engine();
  std::vector<std::vector<int32_t>> prompt_ids;
  int64_t longest = 0;
  for (const Prompt& p : prompts) {
    prompt_ids.push_back(engine.encode_prompt(p.text, o.no_chat));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompt_ids.back().size()));
  }
  DraftSetup draft;
  if (o.draft.enabled()) draft = make_draft_setup(o.draft, engine, session->target(), o.engine, longest + o.max_new_tokens);
  Sampler sampler(o.sampling);
  int64_t total_tokens = 0;
  double total_decode_seconds = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const Prompt& p = prompts[i];
    const std::vector<int32_t>& ids = prompt_ids[i];
    TextStreamer streamer(engine.tokenizer());
    GenerationRequest req{ids, o.max_new_tokens, engine.stop_tokens(o.no_chat), {}};
    if (!o.json) {
      req.on_token = [&](int32_t t) {
        if (std::find(req.stop_tokens.begin(), req.stop_tokens.end(), t) == req.stop_tokens.end()) streamer.push(t);
      };
    }
    const SpeculativeResult sr = session->run(&draft, sampler, req);
    const GenerationResult& r = sr.generation;
    total_tokens += r.new_tokens() - 1;
    total_decode_seconds += r.decode_seconds;
    if (o.json) {
      std::cout << result_json(p, ids, sr, engine.tokenizer()).dump() << std::endl;
    } else {
      streamer.finish();
      std::cerr << fmt::format("[{}] prompt {} tokens, {} new tokens, prefill {:.3f} s, decode {:.1f} tokens/s, tau {:.2f}\n",
                               p.id, ids.size(), r.new_tokens(), r.prefill_seconds, r.decode_tokens_per_second(), r.tau());
    }
  }
  if (prompts.size() > 1 && total_decode_seconds > 0) {
    std::cerr << fmt::format("all {} prompts: decode {:.1f} tokens/s ({} threads{})\n", prompts.size(),
                             total_tokens / total_decode_seconds, o.engine.threads,
                             session->distributed() ? " per rank, " + split_text(session->world()) : "");
  }
  session->finish();
  return 0;
}

}  // namespace eaglerun::cli
