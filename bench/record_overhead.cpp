// What recording an experiment costs the decoding it measures: EAGLE on MT-bench questions with the
// default model and head, each prompt decoded twice in alternation, without and with the per-step
// recorder the experiment runner attaches (CellRecord::add_step for every step, add_request after
// each request); the cell's HDF5 file is written after the timed runs, as the runner does. Prints
// the decode seconds of both, their ratio, and the write time.
//   record_overhead [--prompts N] [--tokens N] [--tree SPEC] [--rounds N]
#include <fmt/core.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/eagle/auto_tree.h"
#include "core/eagle/draft_head.h"
#include "core/eagle/eagle_drafter.h"
#include "core/runtime/engine.h"
#include "core/eagle/draft_lm_head.h"
#include "experiments/experiment_record.h"
#include "experiments/speedup_cell.h"

using namespace eaglerun;

int main(int argc, char** argv) {
  int prompts = 10, tokens = 128, rounds = 2;
  std::string tree_text = "eagle1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--prompts")) prompts = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--tree")) tree_text = argv[i + 1];
  }
  try {
    const Engine engine({.model_path = default_model_path(), .threads = 2});
    DraftHead head = DraftHead::load(source_path("data/heads/smollm2-135m-instruct"));
    head.quantize_for_inference();
    const int64_t V = engine.model().config().vocab_size;
    EagleDrafter drafter(engine.model(), head, 4096,
                         read_draft_vocabulary(source_path("data/heads/smollm2-135m-instruct/draft_vocab.json"), 2048, V));
    const TreeSpec tree = parse_tree_spec(tree_text);
    const std::vector<EvalQuestion> questions = read_eval_set("mt_bench", prompts);
    const std::vector<int32_t> stops = engine.stop_tokens(false);
    LocalTarget target(engine.model());
    CellRecord record;
    SpeculativeOptions recording;
    recording.on_step = [&](const StepRecord& s) { record.add_step(s); };
    double off = 0, on = 0;
    int64_t steps = 0;
    for (int round = 0; round < rounds; ++round) {
      for (const EvalQuestion& q : questions) {
        const std::vector<int32_t> prompt = engine.encode_prompt(q.turns[0], false);
        const GenerationRequest req{prompt, tokens, stops, {}};
        for (bool with : {round % 2 == 0, round % 2 != 0}) {  // alternate which goes first
          Sampler s({});
          const SpeculativeResult r = generate_speculative(target, drafter, tree, s, req, with ? recording : SpeculativeOptions{});
          (with ? on : off) += r.generation.decode_seconds;
          if (with) {
            RequestRecord request;
            request.id = q.id;
            request.prompt = prompt;
            request.eagle_output = r.generation.output_tokens;
            record.add_request(request);
            steps += r.stats.steps;
          }
        }
      }
    }
    const std::string path = (std::filesystem::temp_directory_path() / "eaglerun-record-overhead.h5").string();
    const auto start = std::chrono::steady_clock::now();
    record.write(path, Provenance{});
    const double write = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::filesystem::remove(path);
    fmt::print("tree {}, {} prompts x {} rounds, {} recorded steps\n", tree_text, questions.size(), rounds, steps);
    fmt::print("decode seconds: without recording {:.3f}, with {:.3f}: ratio {:.4f} ({:+.2f}%)\n", off, on, on / off,
               100 * (on / off - 1));
    fmt::print("writing the cell afterwards: {:.1f} ms ({:.2f} us per step)\n", 1e3 * write, 1e6 * write / steps);
  } catch (const std::exception& e) {
    fmt::print(stderr, "record_overhead: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
