#include "parallel/distributed_generation.h"

#include <algorithm>

#include "core/error.h"

namespace eaglerun {

std::vector<GenerationResult> generate_plain_batch_distributed(DistributedTarget& target,
                                                               const std::vector<GenerationRequest>& requests) {
  require(!requests.empty(), "an empty batch");
  int64_t capacity = 0;
  for (const GenerationRequest& req : requests) {
    check_request(req, 0, target.config().max_position);
    capacity = std::max<int64_t>(capacity, static_cast<int64_t>(req.prompt.size()) + req.max_new_tokens);
  }
  const auto B = static_cast<int32_t>(requests.size());
  target.begin_batch(capacity, B);
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
  run_round([&](int32_t b) { return Step::causal(requests[b].prompt, false, false); });
  const double prefill = seconds_since(start);
  start = std::chrono::steady_clock::now();
  for (;;) {
    const std::size_t n = run_round([&](int32_t b) {
      ++results[b].target_forwards;
      return Step::causal(std::span(&results[b].output_tokens.back(), 1), false, false);
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

}  // namespace eaglerun
