// eaglerun bench under mpirun/srun without --draft: prefill and greedy decode speed of the split
// target for --batch sequences decoded together (pipeline micro-batches), and per decode step of
// one sequence the time inside communication calls and the bytes sent.
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/bench_options.h"
#include "core/error.h"

namespace eaglerun::cli {

CommPerForward CommPerForward::of(const std::vector<CommStats>& per_rank, int64_t forwards) {
  CommPerForward c;
  if (forwards <= 0) return c;
  for (const CommStats& s : per_rank) {
    c.seconds = std::max(c.seconds, s.seconds / static_cast<double>(forwards));
    c.bytes += static_cast<double>(s.bytes) / static_cast<double>(forwards);
  }
  return c;
}

int run_distributed_speed_bench(TargetSession& session, const BenchOptions& o) {
  require(o.batches.size() == 1, "--batch: one batch size under mpirun/srun");
  const int64_t batch = o.batches.front();
  const std::vector<int32_t> prompt = bench_tokens(session.engine(), o.prompt_tokens);
  // The batch's requests: `batch` copies of the prompt; the first new token comes from the prefill.
  auto requests = [&](int64_t new_tokens) {
    return std::vector<GenerationRequest>(static_cast<std::size_t>(batch), {prompt, new_tokens, {}, {}});
  };
  double prefill = 0, decode = 0;
  CommPerForward comm;
  session.run_batch(requests(2));  // warm-up: page in the weights
  for (int64_t rep = 0; rep < o.repeats; ++rep) {
    session.take_comm_stats();
    session.run_batch(requests(1));  // the prefill alone, to subtract
    const std::vector<CommStats> prefill_comm = session.take_comm_stats();
    const std::vector<GenerationResult> results = session.run_batch(requests(o.decode_tokens + 1));
    std::vector<CommStats> decode_comm = session.take_comm_stats();
    for (std::size_t k = 0; k < decode_comm.size(); ++k) {
      decode_comm[k].bytes -= prefill_comm[k].bytes;
      decode_comm[k].seconds = std::max(0.0, decode_comm[k].seconds - prefill_comm[k].seconds);
    }
    int64_t steps = 0, tokens = 0;  // decode steps and the tokens they gave, over the batch
    for (const GenerationResult& r : results) {
      steps += r.target_forwards;
      tokens += r.new_tokens() - 1;
    }
    const GenerationResult& r = results.front();  // the batch's timings
    const double rate = tokens / r.decode_seconds;
    prefill = std::max(prefill, static_cast<double>(batch * o.prompt_tokens) / r.prefill_seconds);
    if (rate > decode) {
      decode = rate;
      comm = CommPerForward::of(decode_comm, steps);
    }
  }
  const World& w = session.world();
  nlohmann::json j = {{"model", o.engine.model_path},
                      {"threads", o.engine.threads},
                      {"precision", o.precision},
                      {"ranks", w.size},
                      {"tp", w.tp},
                      {"pp", w.pp},
                      {"ep", w.ep},
                      {"batch", batch},
                      {"prompt_tokens", o.prompt_tokens},
                      {"decode_tokens", o.decode_tokens},
                      {"prefill_tokens_per_second", prefill},
                      {"decode_tokens_per_second", decode},
                      {"comm_seconds_per_forward", comm.seconds},
                      {"comm_bytes_per_forward", comm.bytes}};
  if (o.json) {
    std::cout << j.dump() << std::endl;
    return 0;
  }
  std::cout << fmt::format("model        {} ({} threads per rank, {}, {} precision)\n", o.engine.model_path, o.engine.threads,
                           split_text(w), o.precision)
            << fmt::format("prefill      {:.1f} tokens/s ({} tokens)\n", prefill, o.prompt_tokens)
            << fmt::format("decode       {:.1f} tokens/s ({} tokens x {} sequences)\n", decode, o.decode_tokens, batch)
            << fmt::format("comm         {:.3f} ms (slowest rank) and {:.0f} bytes (all ranks) per decode step\n",
                           1e3 * comm.seconds, comm.bytes);
  return 0;
}

}  // namespace eaglerun::cli
