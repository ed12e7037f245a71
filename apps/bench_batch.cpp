// eaglerun bench --batch B[,B...] on one rank: greedy plain decoding of B sequences together
// (generate_plain_batch: one model pass per step for all of them), for each batch size in one run.
// Every sequence is the benchmark prompt (--prompt-tokens) followed by --decode-tokens new tokens;
// the decode rate counts the tokens after the prefill's over the batch's decode time. Printed per
// batch size: total and per-sequence tokens/s, and the total's ratio to B = 1's (to the first size
// when 1 is not in the list).
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/bench_options.h"
#include "core/error.h"

namespace eaglerun::cli {

int run_batch_speed_bench(TargetSession& session, const BenchOptions& o) {
  require(!session.distributed(), "run_batch_speed_bench is the one-rank batch table");
  const std::vector<int32_t> prompt = bench_tokens(session.engine(), o.prompt_tokens);
  struct Row {
    int64_t batch;
    double prefill = 0, decode = 0;  // tokens/s over the batch, best of --repeats
  };
  std::vector<Row> rows;
  session.run_batch({{prompt, 2, {}, {}}});  // warm-up: page in the weights
  for (const int64_t B : o.batches) {
    const std::vector<GenerationRequest> requests(static_cast<std::size_t>(B),
                                                  {prompt, o.decode_tokens + 1, {}, {}});
    Row row{B};
    for (int64_t rep = 0; rep < o.repeats; ++rep) {
      const std::vector<GenerationResult> results = session.run_batch(requests);
      int64_t tokens = 0;  // decoded after the prefill, over the batch
      for (const GenerationResult& r : results) tokens += r.new_tokens() - 1;
      const GenerationResult& r = results.front();  // the batch's timings
      row.prefill = std::max(row.prefill, static_cast<double>(B * o.prompt_tokens) / r.prefill_seconds);
      row.decode = std::max(row.decode, static_cast<double>(tokens) / r.decode_seconds);
    }
    rows.push_back(row);
  }
  const auto base = std::find_if(rows.begin(), rows.end(), [](const Row& r) { return r.batch == 1; });
  const double base_rate = (base != rows.end() ? *base : rows.front()).decode;
  if (o.json) {
    nlohmann::json j = {{"model", o.engine.model_path},   {"threads", o.engine.threads},
                        {"precision", o.precision},       {"prompt_tokens", o.prompt_tokens},
                        {"decode_tokens", o.decode_tokens}, {"batches", nlohmann::json::array()}};
    for (const Row& r : rows) {
      j["batches"].push_back({{"batch", r.batch},
                              {"prefill_tokens_per_second", r.prefill},
                              {"decode_tokens_per_second", r.decode},
                              {"decode_tokens_per_second_per_sequence", r.decode / static_cast<double>(r.batch)},
                              {"decode_ratio_to_first", r.decode / base_rate}});
    }
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("model   {} ({} threads, {} precision)\n", o.engine.model_path, o.engine.threads, o.precision)
            << fmt::format("greedy plain decoding, B sequences together: {} prompt tokens + {} new tokens each, "
                           "best of {}\n",
                           o.prompt_tokens, o.decode_tokens, o.repeats)
            << fmt::format("{:>5} {:>16} {:>20} {:>18} {:>16}\n", "B", "decode tokens/s", "per sequence tok/s",
                           base != rows.end() ? "ratio to B = 1" : "ratio to first", "prefill tok/s");
  for (const Row& r : rows) {
    std::cout << fmt::format("{:>5} {:>16.1f} {:>20.1f} {:>17.2f}x {:>16.1f}\n", r.batch, r.decode,
                             r.decode / static_cast<double>(r.batch), r.decode / base_rate, r.prefill);
  }
  return 0;
}

}  // namespace eaglerun::cli
