// Training throughput of the draft head at SmolLM2-135M's sizes (H 576, I 1536, 9 / 3 heads of 64,
// V 49152) on one sequence of 512 tokens, with a breakdown by phase. Not a test: prints numbers.
//   train_throughput [threads] [model]   (model: a GGUF/safetensors target for a real Trainer step)
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>

#include "core/train/adamw.h"
#include "core/train/gemm.h"
#include "core/train/sequence_loss.h"
#include "core/train/trainer.h"
#include "core/weights/open_model.h"

namespace eaglerun {
namespace {

double process_cpu() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Wall seconds of f; *cpu gets the process's CPU seconds (all threads) spent meanwhile.
double seconds(const std::function<void()>& f, double* cpu = nullptr) {
  const double c0 = process_cpu();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  if (cpu) *cpu = process_cpu() - c0;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<float> normal(int64_t n, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

void gemm_rate(ThreadPool& pool) {
  struct Case { const char* what; int64_t m, n, k; };
  for (const Case c : {Case{"X W^T  (MLP up, 512x1536x576)", 512, 1536, 576},
                       Case{"dY W   (MLP down input grad, 512x576x1536)", 512, 576, 1536},
                       Case{"dY^T X (weight grad, 1536x576x512)", 1536, 576, 512}}) {
    const auto a = normal(c.m * c.k, 1, 1.f), b = normal(c.k * c.n, 2, 1.f);
    std::vector<float> y(c.m * c.n);
    double best = 1e9, cpu = 0;
    for (int r = 0; r < 3; ++r) {
      double this_cpu = 0;
      const double s = seconds([&] {
        train::gemm(train::MatrixRef::row_major(a.data(), c.m, c.k), train::MatrixRef::row_major(b.data(), c.k, c.n),
                    y.data(), c.n, false, pool);
      }, &this_cpu);
      if (s < best) best = s, cpu = this_cpu;
    }
    const double flop = 2.0 * c.m * c.n * c.k;
    std::printf("  gemm %-44s %6.1f GFLOP/s wall, %6.1f per CPU-second\n", c.what, flop / best * 1e-9, flop / cpu * 1e-9);
  }
}

struct Phase {
  const char* name;
  double wall = 0, cpu = 0;
};

void breakdown(ThreadPool& pool) {
  DraftHeadConfig c;
  c.hidden_size = 576, c.intermediate_size = 1536, c.n_heads = 9, c.n_kv_heads = 3, c.head_dim = 64;
  c.vocab_size = 49152, c.rms_norm_eps = 1e-5;
  const int64_t T = 512, m = T - 1, H = 576, V = 49152;
  const DraftHead head = DraftHead::random(c, 1, 0.03f);
  const train::ParamLayout layout(c);
  std::vector<float> params = train::flatten<float>(layout, head), grads(params.size(), 0.f);
  const auto lm_w = normal(V * H, 2, 0.05f);
  train::FrozenLmHead lm;
  const double pack_s = seconds([&] { lm = train::FrozenLmHead::from_matrix(lm_w.data(), V, H, pool); });
  train::HeadExample<float> ex;
  ex.m = m;
  ex.emb = normal(m * H, 3, 0.05f), ex.features = normal(m * H, 4, 1.f), ex.targets = normal(m * H, 5, 1.f);
  for (int64_t j = 0; j < m; ++j) ex.selected.push_back(j);
  const auto w = train::head_tensors<const float>(layout, params.data());
  const auto g = train::head_tensors<float>(layout, grads.data());
  train::HeadActivations<float> a;
  std::vector<float> d_out(m * H, 0.f);
  train::OptimizerState opt;
  TrainerConfig tc;
  Phase fwd{"head forward"}, lm_fwd{"LM head: logits + CE (2 products)"}, lm_all{"LM head: + input grad (3 products)"},
      bwd{"head backward"}, upd{"clip + AdamW"};
  fwd.wall = seconds([&] { train::head_forward<float>(c, w, ex.emb.data(), ex.features.data(), m, a, pool); }, &fwd.cpu);
  lm_fwd.wall = seconds([&] {
    train::prediction_loss<float>(lm, a.out.data(), ex.targets.data(), m, {1.0, 0.1}, m, nullptr, pool);
  }, &lm_fwd.cpu);
  lm_all.wall = seconds([&] {
    train::prediction_loss<float>(lm, a.out.data(), ex.targets.data(), m, {1.0, 0.1}, m, d_out.data(), pool);
  }, &lm_all.cpu);
  bwd.wall = seconds([&] { train::head_backward<float>(c, w, a, d_out.data(), g, pool); }, &bwd.cpu);
  upd.wall = seconds([&] {
    train::clip_gradients(grads.data(), layout.total(), 0.5, 0);
    train::adamw_update(tc, 1e-4, layout, params.data(), grads.data(), opt);
  }, &upd.cpu);
  std::printf("  LM head dequantised and packed once: %.2f s (%.0f MB)\n", pack_s, 2.0 * V * H * 4 / 1e6);
  double wall = 0, cpu = 0;
  for (const Phase* p : {&fwd, &lm_fwd, &lm_all, &bwd, &upd}) {
    std::printf("  %-36s %7.3f s wall %7.3f s CPU\n", p->name, p->wall, p->cpu);
    if (p != &lm_fwd) wall += p->wall, cpu += p->cpu;
  }
  std::printf("  LM head products: %.1f GFLOP/s wall\n", 3.0 * 2.0 * m * V * H / lm_all.wall * 1e-9);
  std::printf("  => %.0f tokens/s wall, %.0f tokens per CPU-second (%lld-token sequence, %lld outputs with loss)\n",
              m / wall, m / cpu, static_cast<long long>(T), static_cast<long long>(m));
}

void trainer_step(ThreadPool& pool, const std::string& model_path) {
  Model target(std::shared_ptr<const WeightStore>(open_model(model_path)), pool, Precision::Fast);
  std::vector<TrainingSequence> seqs;
  std::mt19937_64 rng(1);
  for (int s = 0; s < 2; ++s) {
    TrainingSequence seq;
    for (int i = 0; i < 512; ++i) seq.tokens.push_back(static_cast<int32_t>(rng() % 20000));
    KvCache kv = target.make_cache(512);
    seq.features = target.forward_causal(seq.tokens, kv, LogitRows::None).hidden;
    seq.loss_mask.assign(512, 1);
    seqs.push_back(std::move(seq));
  }
  InMemoryDataSource data(seqs, target.config().hidden_size);
  TrainerConfig c;
  c.batch_sequences = 2;
  c.validation_fraction = 0;
  Trainer t(c, Trainer::initial_head(target, c.inputs, 1), target, data, pool, &data);
  const StepMetrics m = t.step();
  std::printf("  Trainer::step, 2 x 512 tokens: %.2f s, %.0f tokens/s (loss %.3f)\n", m.seconds,
              m.positions / m.seconds, m.loss);
  ValidationResult v;
  const double vs = seconds([&] { v = t.validate(); });
  std::printf("  Trainer::validate, 2 x 512 tokens, depths 0-4: %.2f s (loss %.3f)\n", vs, v.total_loss);
}

}  // namespace
}  // namespace eaglerun

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  eaglerun::ThreadPool pool(threads);
  std::printf("threads %d, gemm kernel %s\n", threads, eaglerun::train::gemm_kernel_name());
  eaglerun::gemm_rate(pool);
  eaglerun::breakdown(pool);
  if (argc > 2) eaglerun::trainer_step(pool, argv[2]);
  return 0;
}
