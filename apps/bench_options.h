#pragma once
// Options of `eaglerun bench` and its three modes:
//   speed         (default)        prefill/decode tokens/s, bytes per token, share of measured bandwidth
//   batch speed   (--batch B,...)  on one rank: B sequences decoded together, tokens/s per batch size
//   speculative   (--draft...)     plain vs speculative decoding on the same prompts, in one run
//   verify curve  (--verify-curve) the target's forward time for 1..N tokens at once
// Under mpirun/srun (--tp/--pp/--ep) speed and speculative modes run the split target and also
// report the communication per target forward (bench_distributed.cpp).
#include <string>
#include <vector>

#include "apps/cli_common.h"
#include "apps/draft_options.h"
#include "apps/target_session.h"
#include "core/sampling/sampler.h"

namespace eaglerun::cli {

struct BenchOptions {
  EngineOptions engine;
  ParallelOptions parallel;
  std::string precision;
  DraftOptions draft;
  SamplingParams sampling;
  std::string prompts_file;  // speculative mode; default: MT-bench
  int64_t limit = -1;
  int64_t max_new_tokens = 128;
  int64_t prompt_tokens = 128, decode_tokens = 128, repeats = 3;
  std::vector<int64_t> batches{1};  // --batch: sequences decoded together (one value under mpirun)
  bool batch_given = false;         // --batch on the command line (one rank: the batch table)
  bool verify_curve = false;
  int64_t curve_max = 128;
  bool json = false;
};

int run_speed_bench(Engine& engine, const BenchOptions& o);
int run_speculative_bench(TargetSession& session, const BenchOptions& o);
int run_distributed_speed_bench(TargetSession& session, const BenchOptions& o);
int run_batch_speed_bench(TargetSession& session, const BenchOptions& o);

// Communication per target forward over a run of `forwards` forwards: mean seconds inside
// communication calls (the slowest rank's) and bytes sent (all ranks together).
struct CommPerForward {
  double seconds = 0;
  double bytes = 0;
  static CommPerForward of(const std::vector<CommStats>& per_rank, int64_t forwards);
};
int run_verify_curve(Engine& engine, const BenchOptions& o);

// The built-in benchmark text encoded and repeated to exactly n tokens.
std::vector<int32_t> bench_tokens(const Engine& engine, int64_t n);

}  // namespace eaglerun::cli
