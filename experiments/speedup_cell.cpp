#include "experiments/speedup_cell.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "experiments/feature_noise_drafter.h"
#include "experiments/regenerate.h"

namespace eaglerun {
namespace {

// The answer as chat content: the output without its stop token, decoded, with any bytes that are
// not valid UTF-8 (an answer cut inside a character) replaced by U+FFFD.
std::string answer_text(const Engine& engine, std::vector<int32_t> output, const std::vector<int32_t>& stops) {
  if (!output.empty() && std::find(stops.begin(), stops.end(), output.back()) != stops.end()) output.pop_back();
  return sanitize_utf8(engine.tokenizer().decode(output));
}

}  // namespace

std::vector<EvalQuestion> read_eval_set(const std::string& name_or_path, int64_t limit) {
  const bool is_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".jsonl");
  const std::string path = is_path ? name_or_path : source_path("data/eval/" + name_or_path + "/question.jsonl");
  std::ifstream in(path);
  require(in.good(), "eval set '" + name_or_path + "': cannot read " + path);
  std::vector<EvalQuestion> out;
  std::string line;
  for (int64_t n = 1; std::getline(in, line) && (limit == 0 || static_cast<int64_t>(out.size()) < limit); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      EvalQuestion q;
      const nlohmann::json& id = j.at("question_id");
      q.id = id.is_string() ? id.get<std::string>() : id.dump();
      q.turns = j.at("turns").get<std::vector<std::string>>();
      require(!q.turns.empty(), "no turns");
      out.push_back(std::move(q));
    } catch (const std::exception& e) {
      throw Error(path + ":" + std::to_string(n) + ": not an eval question (" + e.what() + ")");
    }
  }
  require(!out.empty(), "eval set '" + name_or_path + "' (" + path + ") has no questions");
  return out;
}

CellRecord run_speedup_cell(const ExperimentConfig& config, const ExperimentCell& cell, Target& target,
                            const Engine& engine, Drafter& drafter, const TreeSpec& tree,
                            const std::function<void(const CellProgress&)>& progress) {
  const std::vector<EvalQuestion> questions = read_eval_set(cell.eval_set, config.prompt_limit);
  const std::vector<int32_t> stops = engine.stop_tokens(false);
  const SamplingParams sampling{.temperature = static_cast<float>(cell.temperature), .top_k = config.top_k,
                                .top_p = static_cast<float>(config.top_p), .seed = cell.seed};
  CellProgress p;
  for (const EvalQuestion& q : questions) {
    p.requests_total += config.max_turns > 0 ? std::min<int64_t>(config.max_turns, q.turns.size()) : q.turns.size();
  }
  // Robustness cells: the head reads noisy features (seeded by the cell's seed).
  FeatureNoiseDrafter noisy(drafter, target.config().hidden_size, config.noise, cell.noise_scale, cell.seed + 1);
  Drafter& draft = cell.noise_scale > 0 ? static_cast<Drafter&>(noisy) : drafter;
  CellRecord record;
  SpeculativeOptions options;
  options.on_step = [&](const StepRecord& s) { record.add_step(s); };
  for (const EvalQuestion& q : questions) {
    std::vector<ChatMessage> chat;
    for (std::size_t turn = 0; turn < q.turns.size(); ++turn) {
      if (config.max_turns > 0 && static_cast<int>(turn) >= config.max_turns) break;
      chat.push_back({"user", q.turns[turn]});
      RequestRecord r;
      r.id = q.id;
      r.eval_set = cell.eval_set;
      r.turn = static_cast<int32_t>(turn);
      r.prompt = engine.encode_conversation(chat);
      const GenerationRequest request{r.prompt, config.max_new_tokens, stops, {}};
      // Plain first, then EAGLE, each with a sampler seeded alike: interleaved request by request.
      Sampler plain_sampler(sampling), eagle_sampler(sampling);
      const GenerationResult plain = generate_plain(target, plain_sampler, request);
      const SpeculativeResult eagle = generate_speculative(target, draft, tree, eagle_sampler, request, options);
      r.plain_output = plain.output_tokens;
      r.eagle_output = eagle.generation.output_tokens;
      r.plain_prefill_seconds = plain.prefill_seconds;
      r.plain_decode_seconds = plain.decode_seconds;
      r.eagle_prefill_seconds = eagle.generation.prefill_seconds;
      r.eagle_decode_seconds = eagle.generation.decode_seconds;
      r.plain_target_forwards = plain.target_forwards;
      r.eagle_target_forwards = eagle.generation.target_forwards;
      r.tau = eagle.stats.tau();
      chat.push_back({"assistant", answer_text(engine, plain.output_tokens, stops)});
      record.add_request(std::move(r));
      ++p.requests_done;
      p.eagle_tokens += eagle.generation.new_tokens();
      p.eagle_seconds += eagle.generation.seconds();
      if (progress) progress(p);
    }
  }
  return record;
}

}  // namespace eaglerun
