#include "simulator/report.h"

#include <fmt/core.h>

namespace eaglerun::sim {

namespace {

constexpr double kGiB = 1073741824.0;

std::string split_text(const ParallelSplit& s) {
  return fmt::format("tp {}, pp {}{}, ep {}", s.tp, s.pp, s.pp > 1 ? (s.pp_overlap ? " with micro-batch overlap" : " without overlap") : "",
                     s.ep);
}

nlohmann::json times_json(const ForwardTimes& t) {
  return {{"gemm_s", t.gemm_s},           {"attention_s", t.attention_s}, {"moe_s", t.moe_s},
          {"communication_s", t.communication_s}, {"launch_s", t.launch_s}, {"host_s", t.host_s},
          {"total_s", t.total_s()}};
}

nlohmann::json memory_json(const MemoryUse& m) {
  return {{"weights_bytes", m.weights_bytes}, {"kv_bytes", m.kv_bytes},         {"head_bytes", m.head_bytes},
          {"activation_bytes", m.activation_bytes}, {"total_bytes", m.total_bytes()}, {"available_bytes", m.available_bytes}};
}

std::string row(const std::string& name, double plain_ms, double eagle_ms) {
  const std::string plain = plain_ms < 0 ? "-" : fmt::format("{:.3f}", plain_ms);
  return fmt::format("  {:<22}{:>12}{:>12}\n", name, plain, fmt::format("{:.3f}", eagle_ms));
}

}  // namespace

std::string describe_deployment(const Deployment& d, const Scenario& s) {
  return fmt::format("{} on {} x {} ({}), runtime: {}\nweights {}, LM head {}, KV {}, head {}; tree {} ({} nodes, depth {}); "
                     "acceptance: {}; batch {}, context {}",
                     d.target.name, d.split.gpus(), d.hw.name, split_text(d.split), d.runtime.name,
                     precision_name(d.precision.weights), precision_name(d.precision.lm_head), precision_name(d.precision.kv),
                     precision_name(d.precision.head), s.tree.name, s.tree.verify_nodes, s.tree.depth, s.acceptance.source,
                     s.batch, s.context);
}

std::string format_table(const Deployment& d, const Scenario& s, const SimulationResult& r) {
  std::string out = describe_deployment(d, s) + "\n\n";
  out += fmt::format("  {:<22}{:>12}{:>12}\n", "per decode step (ms)", "plain", "EAGLE");
  out += row("draft", -1, r.draft_s * 1e3);
  out += row("matmuls", r.plain.gemm_s * 1e3, r.verify.gemm_s * 1e3);
  out += row("attention", r.plain.attention_s * 1e3, r.verify.attention_s * 1e3);
  out += row("MoE experts", r.plain.moe_s * 1e3, r.verify.moe_s * 1e3);
  out += row("communication", r.plain.communication_s * 1e3, r.verify.communication_s * 1e3);
  out += row("kernel launches", r.plain.launch_s * 1e3, r.verify.launch_s * 1e3);
  out += row("host", r.plain.host_s * 1e3, (r.verify.host_s + r.eagle_host_s) * 1e3);
  out += row("total", r.plain_step_s * 1e3, r.eagle_step_s * 1e3);
  out += fmt::format("\n  tokens/s (all sequences)  plain {:.1f}   EAGLE {:.1f}   speedup {:.2f}x   tau {:.2f}\n",
                     r.plain_tokens_per_s, r.eagle_tokens_per_s, r.speedup, r.tau);
  const auto mem = [](const char* name, const MemoryUse& m) {
    return fmt::format("  memory per GPU, {:<6} weights {:.2f} + KV {:.2f} + head {:.2f} + activations {:.2f} = {:.2f} GiB of {:.2f}\n",
                       name, m.weights_bytes / kGiB, m.kv_bytes / kGiB, m.head_bytes / kGiB, m.activation_bytes / kGiB,
                       m.total_bytes() / kGiB, m.available_bytes / kGiB);
  };
  out += mem("plain", r.plain_memory) + mem("EAGLE", r.eagle_memory);
  out += fmt::format("  largest batch at context {}: plain {}, EAGLE {}\n\n", s.context, r.max_batch_plain, r.max_batch_eagle);
  out += fmt::format("  {:>6}{:>16}{:>16}{:>10}\n", "batch", "plain tok/s", "EAGLE tok/s", "speedup");
  for (const BatchPoint& p : r.over_batch)
    out += fmt::format("  {:>6}{:>16.1f}{:>16.1f}{:>9.2f}x{}\n", p.batch, p.plain_tokens_per_s, p.eagle_tokens_per_s,
                       p.speedup, p.eagle_fits ? "" : "  (EAGLE does not fit)");
  return out;
}

nlohmann::json to_json(const Deployment& d, const Scenario& s, const SimulationResult& r) {
  nlohmann::json over = nlohmann::json::array();
  for (const BatchPoint& p : r.over_batch)
    over.push_back({{"batch", p.batch}, {"plain_tokens_per_s", p.plain_tokens_per_s},
                    {"eagle_tokens_per_s", p.eagle_tokens_per_s}, {"speedup", p.speedup}, {"eagle_fits", p.eagle_fits}});
  return {{"model", d.target.name},
          {"hardware", d.hw.name},
          {"runtime", d.runtime.name},
          {"tp", d.split.tp},
          {"pp", d.split.pp},
          {"ep", d.split.ep},
          {"pp_overlap", d.split.pp_overlap},
          {"gpus", d.split.gpus()},
          {"weights", precision_name(d.precision.weights)},
          {"kv", precision_name(d.precision.kv)},
          {"tree", s.tree.name},
          {"tree_nodes", s.tree.verify_nodes},
          {"tree_depth", s.tree.depth},
          {"acceptance", s.acceptance.source},
          {"batch", s.batch},
          {"context", s.context},
          {"tau", r.tau},
          {"plain_step", times_json(r.plain)},
          {"eagle_step", {{"draft_s", r.draft_s}, {"verify", times_json(r.verify)}, {"eagle_host_s", r.eagle_host_s},
                          {"total_s", r.eagle_step_s}}},
          {"plain_tokens_per_s", r.plain_tokens_per_s},
          {"eagle_tokens_per_s", r.eagle_tokens_per_s},
          {"speedup", r.speedup},
          {"memory_plain", memory_json(r.plain_memory)},
          {"memory_eagle", memory_json(r.eagle_memory)},
          {"max_batch_plain", r.max_batch_plain},
          {"max_batch_eagle", r.max_batch_eagle},
          {"over_batch", over}};
}

}  // namespace eaglerun::sim
