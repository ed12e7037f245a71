// How far the target's verification forward is from this machine's limits. Measures, with the
// project's thread pool: the int8 multiply-add peak (vpdpbusd, or vpmaddubsw+vpmaddwd without
// AVX-512 VNNI), the bf16 peak (vdpbf16ps, or the fp32 FMA peak without AVX512_BF16), one core and
// all threads; the streaming read bandwidth; then, for n = 1..32, the median time of the target's
// forward of n tokens after a short cached prompt with logits for every row (the step that verifies
// an n-token chain; bench --verify-curve times the same call), next to the roofline
//   max(weight bytes / bandwidth, n x MACs per token / int8 peak of all threads)
// where weight bytes and MACs per token are counted from the loaded matmul weights (LM head
// included; attention over the cache and elementwise work are left out), and the share of the
// roofline reached (roofline / measured). "cpu ms" is the process's CPU time per forward (all
// threads, the pool's spinning included): on a machine other work shares it shows the work done,
// which wall time then does not. In the same run, for the same weights and threads: prefill (a
// forward of --prefill tokens into an empty cache, the last row's logits, as `eaglerun bench`
// times it) with its multiply-add rate against the int8 peak, and greedy decoding (one token a
// step after the prompt) with its share of the read bandwidth.
//   verify_roofline [--model PATH] [--threads N] [--prompt N] [--repeats N] [--isa avx2|avx512]
//                   [--bandwidth-mib N] [--json] [--tokens LIST] [--prefill N] [--decode N]
//                   [--profile N | --profile-prefill N [--seconds S]]
// --tokens: the n to time, e.g. 1-32 or 1,2,4,8 (default 1,2,3,4,6,8,12,16,24,32).
// --profile N skips the peaks and the table and runs only the n-token forward, back to back, for S
// seconds (default 10), then prints its median: a steady loop to sample with `perf record`;
// --profile-prefill N the same for a prefill of N tokens.
#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/verify_roofline_peaks.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/memory_bandwidth.h"
#include "core/runtime/engine.h"

using namespace eaglerun;

namespace {

constexpr const char* kPromptText =
    "The history of computing is a story of trade-offs between memory and arithmetic. Early machines "
    "stored programs on punched cards; later ones kept them in magnetic cores, and today billions of "
    "transistors hold both data and instructions. Each generation asked the same question: how quickly "
    "can numbers be brought to the units that multiply them, and how many of those units fit on a chip? ";

std::atomic<double> g_sink{0};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct PeakLoop {
  std::string name;
  int64_t macs_per_iter = 0;
  std::function<double(int64_t iters, int seed)> run;
};

struct Peak {
  double one_core = 0;     // multiply-adds per second, the calling thread alone
  double all_threads = 0;  // every thread of the pool at once
};

// Best of `trials` runs of about 50 ms each, on one thread and then on every thread of the pool.
Peak measure_peak(const PeakLoop& loop, ThreadPool& pool, int trials = 5) {
  int64_t iters = 1 << 14;
  for (;;) {  // calibrate to ~50 ms on one thread
    const auto start = std::chrono::steady_clock::now();
    g_sink = g_sink + loop.run(iters, 1);
    const double s = seconds_since(start);
    if (s > 0.02) {
      iters = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iters) * 0.05 / s));
      break;
    }
    iters *= 4;
  }
  Peak peak;
  const double macs = static_cast<double>(iters) * static_cast<double>(loop.macs_per_iter);
  for (int t = 0; t < trials; ++t) {
    const auto start = std::chrono::steady_clock::now();
    g_sink = g_sink + loop.run(iters, t + 1);
    peak.one_core = std::max(peak.one_core, macs / seconds_since(start));
  }
  const int threads = pool.size();
  for (int t = 0; t < trials; ++t) {
    std::vector<double> sinks(static_cast<std::size_t>(threads));
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(threads, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sinks[static_cast<std::size_t>(i)] = loop.run(iters, t + static_cast<int>(i) + 1);
    });
    const double s = seconds_since(start);
    for (double v : sinks) g_sink = g_sink + v;
    peak.all_threads = std::max(peak.all_threads, macs * threads / s);
  }
  return peak;
}

struct WeightCount {
  double bytes = 0;            // weight bytes one forward step reads (each matrix once)
  double macs_per_token = 0;   // rows x cols of every matmul weight a token goes through
  int64_t matrices = 0;
};

void count_matrix(WeightCount& c, const TensorView& t, double share = 1.0) {
  if (t.nbytes == 0) return;
  c.bytes += share * static_cast<double>(t.nbytes);
  c.macs_per_token += share * static_cast<double>(t.rows()) * static_cast<double>(t.cols());
  ++c.matrices;
}

WeightCount count_weights(const ModelWeights& w) {
  WeightCount c;
  for (const LayerWeights& l : w.layers) {
    for (const TensorView* t : {&l.wq, &l.wk, &l.wv, &l.wo}) count_matrix(c, *t);
    if (l.experts.empty()) {
      for (const TensorView* t : {&l.mlp.gate, &l.mlp.up, &l.mlp.down}) count_matrix(c, *t);
    } else {  // MoE: the router, plus on average k/E of every expert
      count_matrix(c, l.router);
      const double share = static_cast<double>(w.experts_per_token) / static_cast<double>(l.experts.size());
      for (const FeedForwardWeights& e : l.experts) {
        for (const TensorView* t : {&e.gate, &e.up, &e.down}) count_matrix(c, *t, share);
      }
    }
  }
  count_matrix(c, w.lm_head);
  return c;
}

std::string load_average() {
  double avg[3] = {0, 0, 0};
  if (getloadavg(avg, 3) != 3) return "n/a";
  return fmt::format("{:.2f} {:.2f} {:.2f}", avg[0], avg[1], avg[2]);
}

int64_t int_arg(int argc, char** argv, int& i) {
  if (i + 1 >= argc) throw std::runtime_error(fmt::format("{} needs a value", argv[i]));
  return std::stoll(argv[++i]);
}

// "1-32" or "1,2,4,8" (ranges allowed in the list) -> the values, each >= 1.
std::vector<int64_t> parse_tokens(const std::string& text) {
  std::vector<int64_t> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    const std::size_t dash = item.find('-');
    const int64_t first = std::stoll(item.substr(0, dash));
    const int64_t last = dash == std::string::npos ? first : std::stoll(item.substr(dash + 1));
    if (first < 1 || last < first) throw std::runtime_error("--tokens: bad item '" + item + "'");
    for (int64_t n = first; n <= last; ++n) out.push_back(n);
    at = comma + 1;
  }
  if (out.empty()) throw std::runtime_error("--tokens needs at least one value");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Tokens [0, count) of the prompt text repeated.
std::vector<int32_t> prompt_tokens(const Engine& engine, int64_t count) {
  std::vector<int32_t> tokens;
  const std::vector<int32_t> chunk = engine.tokenizer().encode(kPromptText);
  if (chunk.empty()) throw std::runtime_error("the tokenizer gave no tokens for the prompt text");
  while (static_cast<int64_t>(tokens.size()) < count) tokens.insert(tokens.end(), chunk.begin(), chunk.end());
  tokens.resize(static_cast<std::size_t>(count));
  return tokens;
}

// --profile: the n-token forward after the prompt (all rows' logits), or with prefill a forward of
// n tokens into an empty cache (the last row's logits), back to back for `seconds`.
int profile(const Engine& engine, int64_t prompt, int64_t n, double seconds, bool prefill) {
  const Model& model = engine.model();
  if (prefill) prompt = 0;
  const std::vector<int32_t> tokens = prompt_tokens(engine, prompt + n);
  KvCache kv = model.make_cache(prompt + n);
  if (prompt > 0) model.forward_causal(std::span(tokens).first(static_cast<std::size_t>(prompt)), kv, LogitRows::None);
  const auto step = std::span(tokens).subspan(static_cast<std::size_t>(prompt), static_cast<std::size_t>(n));
  const LogitRows rows = prefill ? LogitRows::Last : LogitRows::All;
  std::vector<double> times, cpu_times;
  const auto begin = std::chrono::steady_clock::now();
  while (seconds_since(begin) < seconds) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const ForwardOutput out = model.forward_causal(step, kv, rows);
    times.push_back(seconds_since(start));
    cpu_times.push_back(cpu_seconds() - cpu_start);
    g_sink = g_sink + out.logits.back();
    kv.truncate(prompt);
  }
  fmt::print("{}n = {}: {} forwards, median {:.3f} ms, min {:.3f} ms, cpu {:.3f} ms\n", prefill ? "prefill " : "", n,
             times.size(), median(times) * 1e3, *std::min_element(times.begin(), times.end()) * 1e3,
             median(cpu_times) * 1e3);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    EngineOptions eo;
    eo.threads = 2;
    int64_t prompt = 64, repeats = 9, bandwidth_mib = 1024;
    bool json = false;
    std::vector<int64_t> ns = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
    int64_t prefill_tokens = 128, decode_tokens = 64;
    int64_t profile_n = 0;
    bool profile_prefill = false;
    double profile_seconds = 10;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--model" && i + 1 < argc) {
        eo.model_path = argv[++i];
      } else if (a == "--threads") {
        eo.threads = static_cast<int>(int_arg(argc, argv, i));
      } else if (a == "--prompt") {
        prompt = int_arg(argc, argv, i);
      } else if (a == "--repeats") {
        repeats = int_arg(argc, argv, i);
      } else if (a == "--bandwidth-mib") {
        bandwidth_mib = int_arg(argc, argv, i);
      } else if (a == "--isa" && i + 1 < argc) {
        const std::string isa = argv[++i];
        if (isa == "avx2") {
          set_kernel_isa(KernelIsa::Avx2);
        } else if (isa == "avx512") {
          set_kernel_isa(KernelIsa::Avx512);
        } else {
          throw std::runtime_error("--isa takes avx2 or avx512");
        }
      } else if (a == "--tokens" && i + 1 < argc) {
        ns = parse_tokens(argv[++i]);
      } else if (a == "--prefill") {
        prefill_tokens = int_arg(argc, argv, i);
      } else if (a == "--decode") {
        decode_tokens = int_arg(argc, argv, i);
      } else if (a == "--profile" || a == "--profile-prefill") {
        profile_prefill = a == "--profile-prefill";
        profile_n = int_arg(argc, argv, i);
      } else if (a == "--seconds" && i + 1 < argc) {
        profile_seconds = std::stod(argv[++i]);
      } else if (a == "--json") {
        json = true;
      } else {
        fmt::print(stderr,
                   "usage: verify_roofline [--model PATH] [--threads N] [--prompt N] [--repeats N] "
                   "[--isa avx2|avx512] [--bandwidth-mib N] [--json] [--tokens LIST] [--prefill N] [--decode N] "
                   "[--profile N | --profile-prefill N [--seconds S]]\n");
        return a == "--help" || a == "-h" ? 0 : 2;
      }
    }
    if (eo.threads < 1 || prompt < 1 || repeats < 1 || bandwidth_mib < 1 || profile_n < 0 || prefill_tokens < 1 ||
        decode_tokens < 1) {
      throw std::runtime_error("values must be >= 1");
    }
    if (eo.model_path.empty()) eo.model_path = default_model_path();
    const std::string load_before = load_average();

    Engine engine(eo);
    ThreadPool& pool = engine.pool();
    const KernelIsa isa = active_kernel_isa();

    if (profile_n > 0) return profile(engine, prompt, profile_n, profile_seconds, profile_prefill);

    // 1. Peaks.
    PeakLoop int8_loop, bf16_loop;
    if (isa == KernelIsa::Avx512) {  // Avx512 implies VNNI (kernel_isa.h)
      int8_loop = {"vpdpbusd (AVX-512 VNNI)", bench::kVnniMacsPerIter,
                   [](int64_t n, int s) { return static_cast<double>(bench::int8_loop_vnni(n, s)); }};
    } else if (kernel_isa_supported(KernelIsa::Avx2)) {
      int8_loop = {"vpmaddubsw+vpmaddwd (AVX2)", bench::kAvx2Int8MacsPerIter,
                   [](int64_t n, int s) { return static_cast<double>(bench::int8_loop_avx2(n, s)); }};
    } else {
      throw std::runtime_error("this CPU has neither AVX-512 VNNI nor AVX2: no int8 peak loop");
    }
    if (isa == KernelIsa::Avx512 && bench::cpu_has_avx512_bf16()) {
      bf16_loop = {"vdpbf16ps (AVX512_BF16)", bench::kBf16MacsPerIter, bench::bf16_loop_avx512};
    } else if (isa == KernelIsa::Avx512) {
      bf16_loop = {"fp32 FMA (zmm; no AVX512_BF16)", bench::kFmaAvx512MacsPerIter, bench::fma_loop_avx512};
    } else {
      bf16_loop = {"fp32 FMA (ymm; no AVX512_BF16)", bench::kFmaAvx2MacsPerIter, bench::fma_loop_avx2};
    }
    const Peak int8 = measure_peak(int8_loop, pool);
    const Peak bf16 = measure_peak(bf16_loop, pool);

    // 2. Bandwidth.
    const double bandwidth_gbps = measure_read_bandwidth_gbps(pool, static_cast<std::size_t>(bandwidth_mib) << 20);

    // 3. Verification forward of n tokens after the prompt, all rows' logits.
    const Model& model = engine.model();
    const WeightCount wc = count_weights(model.weights());
    const int64_t max_n = ns.back();
    const std::vector<int32_t> tokens = prompt_tokens(engine, prompt + max_n);
    KvCache kv = model.make_cache(prompt + max_n);
    model.forward_causal(std::span(tokens).first(static_cast<std::size_t>(prompt)), kv, LogitRows::None);

    struct Row {
      int64_t n;
      double median_s, min_s, memory_s, compute_s, roofline_s, cpu_s;
    };
    std::vector<Row> rows;
    for (int64_t n : ns) {
      const auto step = std::span(tokens).subspan(static_cast<std::size_t>(prompt), static_cast<std::size_t>(n));
      model.forward_causal(step, kv, LogitRows::All);  // warm-up
      kv.truncate(prompt);
      std::vector<double> times, cpu_times;
      for (int64_t r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = cpu_seconds();
        const ForwardOutput out = model.forward_causal(step, kv, LogitRows::All);
        times.push_back(seconds_since(start));
        cpu_times.push_back(cpu_seconds() - cpu_start);
        g_sink = g_sink + out.logits.back();
        kv.truncate(prompt);
      }
      Row row{n, median(times), *std::min_element(times.begin(), times.end()), 0, 0, 0, median(cpu_times)};
      row.memory_s = wc.bytes / (bandwidth_gbps * 1e9);
      row.compute_s = static_cast<double>(n) * wc.macs_per_token / int8.all_threads;
      row.roofline_s = std::max(row.memory_s, row.compute_s);
      rows.push_back(row);
    }
    const double one = rows.front().median_s;

    // 4. Prefill: --prefill tokens into an empty cache, the last row's logits (median of repeats).
    //    Its multiply-adds: every layer's matrices for every token, the LM head for one row.
    const WeightCount layers_only = [&] {
      WeightCount c = wc;
      c.macs_per_token -= static_cast<double>(model.weights().lm_head.rows()) * static_cast<double>(model.weights().lm_head.cols());
      return c;
    }();
    const std::vector<int32_t> prefill_ids = prompt_tokens(engine, prefill_tokens);
    std::vector<double> prefill_times;
    for (int64_t r = 0; r <= repeats; ++r) {  // the first is a warm-up
      KvCache fresh = model.make_cache(prefill_tokens);
      const auto start = std::chrono::steady_clock::now();
      const ForwardOutput out = model.forward_causal(prefill_ids, fresh, LogitRows::Last);
      if (r > 0) prefill_times.push_back(seconds_since(start));
      g_sink = g_sink + out.logits.back();
    }
    const double prefill_s = median(prefill_times);
    const double prefill_macs = static_cast<double>(prefill_tokens) * layers_only.macs_per_token +
                                (wc.macs_per_token - layers_only.macs_per_token);
    const double prefill_rate = prefill_macs / prefill_s;

    // 5. Greedy decoding: --decode steps of one token after the prompt, each with the last row's
    //    logits (median over steps).
    std::vector<double> decode_times;
    {
      KvCache dkv = model.make_cache(prompt + decode_tokens + 1);
      ForwardOutput out = model.forward_causal(std::span(tokens).first(static_cast<std::size_t>(prompt)), dkv, LogitRows::Last);
      const int64_t V = model.config().vocab_size;
      for (int64_t i = 0; i < decode_tokens; ++i) {
        const auto next = static_cast<int32_t>(std::max_element(out.logits.begin(), out.logits.begin() + V) - out.logits.begin());
        const auto start = std::chrono::steady_clock::now();
        out = model.forward_causal(std::span(&next, 1), dkv, LogitRows::Last);
        decode_times.push_back(seconds_since(start));
      }
    }
    const double decode_s = median(decode_times);
    const std::string load_after = load_average();

    if (json) {
      std::string points;
      for (const Row& r : rows) {
        points += fmt::format(
            "{}{{\"tokens\":{},\"median_seconds\":{:.6g},\"min_seconds\":{:.6g},\"memory_bound_seconds\":{:.6g},"
            "\"compute_bound_seconds\":{:.6g},\"roofline_seconds\":{:.6g},\"share_of_roofline\":{:.4f},"
            "\"ratio_to_n1\":{:.4f},\"median_cpu_seconds\":{:.6g}}}",
            points.empty() ? "" : ",", r.n, r.median_s, r.min_s, r.memory_s, r.compute_s, r.roofline_s,
            r.roofline_s / r.median_s, r.median_s / one, r.cpu_s);
      }
      fmt::print(
          "{{\"model\":\"{}\",\"threads\":{},\"kernel_isa\":\"{}\",\"prompt_tokens\":{},\"repeats\":{},"
          "\"load_average_before\":\"{}\",\"load_average_after\":\"{}\","
          "\"int8\":{{\"instruction\":\"{}\",\"one_core_macs_per_s\":{:.6g},\"all_threads_macs_per_s\":{:.6g}}},"
          "\"bf16\":{{\"instruction\":\"{}\",\"one_core_macs_per_s\":{:.6g},\"all_threads_macs_per_s\":{:.6g}}},"
          "\"read_bandwidth_gbps\":{:.6g},\"weight_bytes\":{:.0f},\"macs_per_token\":{:.0f},\"matrices\":{},"
          "\"prefill\":{{\"tokens\":{},\"median_seconds\":{:.6g},\"tokens_per_second\":{:.6g},\"macs_per_second\":{:.6g},"
          "\"share_of_int8_peak\":{:.4f}}},"
          "\"decode\":{{\"tokens\":{},\"median_step_seconds\":{:.6g},\"tokens_per_second\":{:.6g},"
          "\"share_of_bandwidth\":{:.4f}}},"
          "\"points\":[{}]}}\n",
          eo.model_path, eo.threads, kernel_isa_name(isa), prompt, repeats, load_before, load_after, int8_loop.name,
          int8.one_core, int8.all_threads, bf16_loop.name, bf16.one_core, bf16.all_threads, bandwidth_gbps, wc.bytes,
          wc.macs_per_token, wc.matrices, prefill_tokens, prefill_s, static_cast<double>(prefill_tokens) / prefill_s,
          prefill_rate, prefill_rate / int8.all_threads, decode_tokens, decode_s, 1.0 / decode_s,
          wc.bytes / decode_s / (bandwidth_gbps * 1e9), points);
      return 0;
    }
    fmt::print("model        {}\n", eo.model_path);
    fmt::print("threads      {}   kernels {}   prompt {} tokens   median of {}   load average {} (before), {} (after)\n",
               eo.threads, kernel_isa_name(isa), prompt, repeats, load_before, load_after);
    fmt::print("int8 peak    {:>8.1f} G MAC/s one core, {:>8.1f} G MAC/s {} threads   [{}]\n", int8.one_core / 1e9,
               int8.all_threads / 1e9, eo.threads, int8_loop.name);
    fmt::print("bf16 peak    {:>8.1f} G MAC/s one core, {:>8.1f} G MAC/s {} threads   [{}]\n", bf16.one_core / 1e9,
               bf16.all_threads / 1e9, eo.threads, bf16_loop.name);
    fmt::print("read bandwidth {:.1f} GB/s ({} MiB buffer)\n", bandwidth_gbps, bandwidth_mib);
    fmt::print("weights      {} matrices (LM head included): {:.1f} MB read per step, {:.1f} M MACs per token\n",
               wc.matrices, wc.bytes / 1e6, wc.macs_per_token / 1e6);
    fmt::print("prefill      {} tokens: {:.1f} tokens/s, {:.1f} G MAC/s = {:.1f}% of the int8 peak ({:.1f} M MACs per token "
               "in the layers, the LM head once)\n",
               prefill_tokens, static_cast<double>(prefill_tokens) / prefill_s, prefill_rate / 1e9,
               100.0 * prefill_rate / int8.all_threads, layers_only.macs_per_token / 1e6);
    fmt::print("decode       {:.1f} tokens/s (median of {} steps after the prompt: {:.3f} ms), {:.1f}% of the read "
               "bandwidth\n",
               1.0 / decode_s, decode_tokens, decode_s * 1e3, 100.0 * wc.bytes / decode_s / (bandwidth_gbps * 1e9));
    fmt::print("roofline(n) = max({:.3f} ms memory, n x {:.3f} ms compute at the int8 peak of all threads)\n\n",
               rows.front().memory_s * 1e3, wc.macs_per_token / int8.all_threads * 1e3);
    fmt::print("{:>4} {:>10} {:>10} {:>10} {:>11} {:>8} {:>7} {:>11} {:>9} {:>11}\n", "n", "median ms", "min ms", "ms/token",
               "roofline ms", "bound", "share", "vs n=1", "cpu ms", "cpu vs n=1");
    for (const Row& r : rows) {
      fmt::print("{:>4} {:>10.3f} {:>10.3f} {:>10.3f} {:>11.3f} {:>8} {:>6.1f}% {:>10.2f}x {:>9.3f} {:>10.2f}x\n", r.n, r.median_s * 1e3,
                 r.min_s * 1e3, r.median_s * 1e3 / static_cast<double>(r.n), r.roofline_s * 1e3,
                 r.compute_s > r.memory_s ? "compute" : "memory", 100.0 * r.roofline_s / r.median_s, r.median_s / one,
                 r.cpu_s * 1e3, r.cpu_s / rows.front().cpu_s);
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "verify_roofline: {}\n", e.what());
    return 1;
  }
}
