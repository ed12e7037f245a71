// eaglerun bench: prefill and decode speed, weight bytes read per token, and the share of this
// machine's measured streaming-read bandwidth that decoding reaches.
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/bench_options.h"
#include "core/backend/copy_bandwidth.h"
#include "core/error.h"
#include "core/kernels/memory_bandwidth.h"
#include "core/kernels/ops.h"
#include "core/runtime/generator.h"

namespace eaglerun::cli {
namespace {

constexpr const char* kBenchText =
    "The history of computing is a story of trade-offs between memory and arithmetic. Early machines "
    "stored programs on punched cards; later ones kept them in magnetic cores, and today billions of "
    "transistors hold both data and instructions. Each generation asked the same question: how quickly "
    "can the processor be fed? ";


struct BenchResult {
  double prefill_tokens_per_second = 0, decode_tokens_per_second = 0;
  double bandwidth_gbps = 0;
  std::string bandwidth_kind;     // what bandwidth_gbps measured (the CPU's read, a device's copy)
  int64_t bytes_per_token = 0;
  int64_t kv_bytes_per_row = 0;   // one token's keys and values over every layer
  std::string kv_type;            // the cache's element type: f16 (fast) or f32 (reference)
};

}  // namespace

std::vector<int32_t> bench_tokens(const Engine& engine, int64_t n) {
  std::vector<int32_t> ids;
  const std::vector<int32_t> chunk = engine.tokenizer().encode(kBenchText);
  while (static_cast<int64_t>(ids.size()) < n) ids.insert(ids.end(), chunk.begin(), chunk.end());
  ids.resize(static_cast<std::size_t>(n));
  return ids;
}

namespace {

// Best of `repeats`: prefill the prompt into a fresh cache, then greedy-decode `decode_tokens`.
BenchResult run_bench(Engine& engine, const BenchOptions& o) {
  const Model& model = engine.model();
  const std::vector<int32_t> prompt = bench_tokens(engine, o.prompt_tokens);
  const int64_t V = model.config().vocab_size;
  BenchResult r;
  for (int64_t rep = 0; rep < o.repeats; ++rep) {
    KvCache kv = model.make_cache(o.prompt_tokens + o.decode_tokens + 1);
    r.kv_bytes_per_row = kv.bytes_per_token();
    r.kv_type = dtype_info(kv.dtype()).name;
    auto start = std::chrono::steady_clock::now();
    ForwardOutput out = model.forward_causal(prompt, kv, LogitRows::Last);
    r.prefill_tokens_per_second = std::max(r.prefill_tokens_per_second, o.prompt_tokens / seconds_since(start));
    start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < o.decode_tokens; ++i) {
      const auto next = static_cast<int32_t>(argmax(out.logits.data(), V));
      out = model.forward_causal(std::span(&next, 1), kv, LogitRows::Last);
    }
    r.decode_tokens_per_second = std::max(r.decode_tokens_per_second, o.decode_tokens / seconds_since(start));
  }
  r.bytes_per_token = model.weights().bytes_read_per_token();
  // The CPU's streaming read; a device's copy bandwidth (a GPU decode step reads device memory).
  Backend& backend = model.backend();
  r.bandwidth_kind = backend.host_memory() ? "streaming read" : "device copy, " + backend.name();
  r.bandwidth_gbps = backend.host_memory() ? measure_read_bandwidth_gbps(engine.pool())
                                           : measure_copy_bandwidth_gbps(backend);
  return r;
}

// Cached rows a decode step reads, averaged over the decoded tokens: the prompt, the tokens decoded
// before it and itself.
int64_t mean_context(const BenchOptions& o) { return o.prompt_tokens + (o.decode_tokens + 1) / 2; }

void print_text(const BenchOptions& o, const Engine& e, const BenchResult& r) {
  const double achieved = r.bytes_per_token * r.decode_tokens_per_second / 1e9;
  std::cout << fmt::format("model        {} ({} threads, {} precision)\n", o.engine.model_path, o.engine.threads,
                           o.precision)
            << fmt::format("prefill      {:.1f} tokens/s ({} tokens)\n", r.prefill_tokens_per_second, o.prompt_tokens)
            << fmt::format("decode       {:.1f} tokens/s ({} tokens)\n", r.decode_tokens_per_second, o.decode_tokens)
            << fmt::format("weights read {:.1f} MB per decoded token\n", r.bytes_per_token / 1e6)
            << fmt::format("kv cache     {:.1f} MB read per decoded token at the mean context of {} tokens ({} rows)\n",
                           r.kv_bytes_per_row * mean_context(o) / 1e6, mean_context(o), r.kv_type)
            << fmt::format("achieved     {:.2f} GB/s of {:.2f} GB/s measured {} ({:.0f}%)\n", achieved,
                           r.bandwidth_gbps, r.bandwidth_kind, 100 * achieved / r.bandwidth_gbps);
}

nlohmann::json result_json(const BenchOptions& o, const BenchResult& r) {
  const double achieved = r.bytes_per_token * r.decode_tokens_per_second / 1e9;
  return {{"model", o.engine.model_path},
          {"threads", o.engine.threads},
          {"precision", o.precision},
          {"prompt_tokens", o.prompt_tokens},
          {"decode_tokens", o.decode_tokens},
          {"prefill_tokens_per_second", r.prefill_tokens_per_second},
          {"decode_tokens_per_second", r.decode_tokens_per_second},
          {"weight_bytes_per_token", r.bytes_per_token},
          {"kv_type", r.kv_type},
          {"kv_bytes_per_context_token", r.kv_bytes_per_row},
          {"achieved_gbps", achieved},
          {"measured_bandwidth_gbps", r.bandwidth_gbps},
          {"measured_bandwidth_kind", r.bandwidth_kind},
          {"bandwidth_share", achieved / r.bandwidth_gbps}};
}

}  // namespace

int run_speed_bench(Engine& engine, const BenchOptions& o) {
  const BenchResult r = run_bench(engine, o);
  if (o.json) {
    std::cout << result_json(o, r).dump() << std::endl;
  } else {
    print_text(o, engine, r);
  }
  return 0;
}

namespace {

// "1,4,8,16" -> {1, 4, 8, 16}; each a positive integer.
std::vector<int64_t> parse_batch_sizes(const std::string& text) {
  std::vector<int64_t> sizes;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::size_t used = 0;
    int64_t b = 0;
    try {
      b = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(!item.empty() && used == item.size() && b > 0 && b < (int64_t{1} << 22),
            "--batch: '" + text + "' is not a list of positive batch sizes like 1,4,8,16");
    sizes.push_back(b);
    if (comma == std::string::npos) return sizes;
    start = comma + 1;
  }
}

}  // namespace

int run_bench(int argc, char** argv) {
  BenchOptions o;
  std::string batch_text;
  po::options_description desc("bench options");
  add_engine_options(desc, o.engine, o.precision);
  add_device_option(desc, o.engine);
  add_draft_options(desc, o.draft);
  add_parallel_options(desc, o.parallel);
  desc.add_options()
      ("prompt-tokens", po::value(&o.prompt_tokens)->default_value(128), "speed: prefill length")
      ("decode-tokens", po::value(&o.decode_tokens)->default_value(128), "speed: tokens decoded after the prefill")
      ("repeats", po::value(&o.repeats)->default_value(3), "speed, verify curve: runs; the best is reported")
      ("batch", po::value(&batch_text)->default_value("1"),
       "speed: sequences decoded together; one rank: B[,B...] prints greedy decode tokens/s for each batch size "
       "(one model pass per step for all B); under mpirun: one B, each sequence a pipeline micro-batch")
      ("prompts", po::value(&o.prompts_file), "speculative: JSONL prompts (default: MT-bench)")
      ("limit", po::value(&o.limit)->default_value(-1), "speculative: use only the first N prompts")
      ("max-new-tokens", po::value(&o.max_new_tokens)->default_value(128), "speculative: tokens per prompt")
      ("temperature", po::value(&o.sampling.temperature)->default_value(0.f), "speculative: 0 = greedy")
      ("top-p", po::value(&o.sampling.top_p)->default_value(1.f), "speculative: nucleus mass")
      ("top-k", po::value(&o.sampling.top_k)->default_value(0), "speculative: top-k")
      ("seed", po::value(&o.sampling.seed)->default_value(0), "speculative: sampling seed")
      ("verify-curve", po::bool_switch(&o.verify_curve), "time one target forward of 1..N tokens (the tree cost curve)")
      ("curve-max", po::value(&o.curve_max)->default_value(128), "verify curve: largest N")
      ("json", po::bool_switch(&o.json), "print one JSON object");
  po::variables_map vm;
  if (!parse_args("bench", argc, argv, desc, vm)) return 0;
  o.batches = parse_batch_sizes(batch_text);
  o.batch_given = !vm["batch"].defaulted();
  require(o.prompt_tokens > 0 && o.decode_tokens > 0 && o.repeats > 0 && o.max_new_tokens > 0 && o.curve_max > 0,
          "--prompt-tokens, --decode-tokens, --repeats, --max-new-tokens and --curve-max must be positive");
  finish_engine_options(o.engine, o.precision);
  o.sampling.validate();
  auto session = TargetSession::start(o.parallel, o.engine);
  if (session->worker()) return session->serve();
  int status = 0;
  if (o.verify_curve) {
    require(!session->distributed(), "--verify-curve measures one rank; run it without mpirun/srun");
    status = run_verify_curve(session->engine(), o);
  } else if (o.draft.enabled()) {
    status = run_speculative_bench(*session, o);
  } else if (session->distributed()) {  // also --batch
    status = run_distributed_speed_bench(*session, o);
  } else if (o.batch_given) {
    status = run_batch_speed_bench(*session, o);
  } else {
    status = run_speed_bench(session->engine(), o);
  }
  session->finish();
  return status;
}

}  // namespace eaglerun::cli
