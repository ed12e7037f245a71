// eaglerun bench --verify-curve: the target's forward time for n = 1..N tokens at once after a
// fixed cached prefix, with logits for every row (what verifying an n-node tree costs).
#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/bench_options.h"
#include "core/runtime/generator.h"

namespace eaglerun::cli {
namespace {

// 1..16 every token, then every 4 to 64, then every 8.
std::vector<int64_t> curve_points(int64_t max) {
  std::vector<int64_t> points;
  for (int64_t n = 1; n <= max; n += n < 16 ? 1 : n < 64 ? 4 : 8) points.push_back(n);
  if (points.back() != max) points.push_back(max);
  return points;
}

}  // namespace

int run_verify_curve(Engine& engine, const BenchOptions& o) {
  const Model& model = engine.model();
  const int64_t prefix = o.prompt_tokens;
  const std::vector<int32_t> tokens = bench_tokens(engine, prefix + o.curve_max);
  KvCache kv = model.make_cache(prefix + o.curve_max);
  model.forward_causal(std::span(tokens).first(prefix), kv, LogitRows::None);
  nlohmann::json points = nlohmann::json::array();
  if (!o.json) std::cout << fmt::format("{:>6} {:>10} {:>12} {:>10}\n", "tokens", "ms", "ms/token", "vs n=1");
  double one = 0;
  for (int64_t n : curve_points(o.curve_max)) {
    double best = 1e30;
    for (int64_t r = 0; r < o.repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      model.forward_causal(std::span(tokens).subspan(prefix, n), kv, LogitRows::All);
      best = std::min(best, seconds_since(start));
      kv.truncate(prefix);
    }
    if (n == 1) one = best;
    points.push_back({{"tokens", n}, {"seconds", best}});
    if (!o.json) {
      std::cout << fmt::format("{:>6} {:>10.2f} {:>12.3f} {:>9.2f}x\n", n, best * 1e3, best * 1e3 / n, best / one);
    }
  }
  if (o.json) {
    std::cout << nlohmann::json{{"model", o.engine.model_path}, {"threads", o.engine.threads},
                                {"prefix_tokens", prefix}, {"curve", points}}.dump()
              << std::endl;
  }
  return 0;
}

}  // namespace eaglerun::cli
