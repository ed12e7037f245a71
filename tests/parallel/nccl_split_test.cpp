// A split run on GPUs without a GPU (ctest label mpi): DistributedModel with each rank's shard on
// the CUDA backend's own code (core/backend/cuda_backend.cpp over host memory, the reference GEMM
// and the emulated kernels: tests/cuda) and the model's all-reduces on NcclCommunicator over the
// MPI stand-in of NCCL (mpi_nccl_api.h), the groups made by attach_nccl_groups as the command line
// makes them. Rank 0 holds the whole model on the CPU reference backend and checks:
//   logits   a prefill (all rows, hidden states), a tree step and keep()'s features: within
//            2e-4 x (1 + |reference|) of the CPU reference (the emulated backend's own tolerance
//            against the CPU, tests/cuda; the split sums o_proj/down_proj in rank order on top);
//            greedy argmax of every row identical;
//   plain    greedy decoding: the CPU reference's tokens;
//   eagle    EAGLE with a random draft head (features through keep() on the device) and the
//            target drafting for itself: the split's plain tokens (lossless);
//   batch    sequences decoded together (pipeline micro-batches): as decoded alone;
//   stats    the NCCL groups count each all-reduce as the MPI communicator does: one call,
//            2 (p-1) x ceil(n H / p) x 4 bytes; a tp split makes 2 per layer;
//   buffers  every device buffer is given back.
// With --fail-rank R --fail-after K, rank R's K-th ncclSend fails instead (NCCL's one-line error):
// the job must end at once with that line naming the call and the rank (nccl_split_error_test.sh).
//   mpirun -np N nccl_split_check --model DIR [--tp A] [--pp B] [--ep C] [--fail-rank R --fail-after K]
#include <atomic>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include "core/backend/cuda_backend.h"
#include "core/eagle/draft_head.h"
#include "core/eagle/draft_tree.h"
#include "core/eagle/eagle_drafter.h"
#include "core/eagle/model_drafter.h"
#include "core/eagle/speculative.h"
#include "core/eagle/tree_spec.h"
#include "core/error.h"
#include "core/kernels/ops.h"
#include "core/runtime/generator.h"
#include "core/weights/open_model.h"
#include "parallel/command_channel.h"
#include "parallel/mpi_communicator.h"
#include "parallel/nccl_communicator.h"
#include "tests/parallel/check_args.h"
#include "tests/cuda/host_device_api.h"
#include "tests/parallel/mpi_nccl_api.h"

namespace eaglerun {
namespace {

struct Options {
  std::string model;
  int tp = 1, ep = 1, pp = 1;
  int fail_rank = -1, fail_after = 0;
  int tokens = 16;
};

Options parse(int argc, char** argv) {
  Options o;
  for (test::ArgReader args(argc, argv); args.next();) {
    const std::string a = args.name();
    auto next = [&] { return args.value(); };
    if (a == "--model") o.model = next();
    else if (a == "--tp") o.tp = std::stoi(next());
    else if (a == "--pp") o.pp = std::stoi(next());
    else if (a == "--ep") o.ep = std::stoi(next());
    else if (a == "--tokens") o.tokens = std::stoi(next());
    else if (a == "--fail-rank") o.fail_rank = std::stoi(next());
    else if (a == "--fail-after") o.fail_after = std::stoi(next());
    else throw Error("unknown option " + a);
  }
  require(!o.model.empty(), "--model is required");
  return o;
}

// The stand-in, except that this rank's K-th ncclSend fails as libnccl reports a failure.
class FailingNccl final : public NcclApi {
 public:
  FailingNccl(int world_rank, int fail_after) : rank_(world_rank), left_(fail_after) {}
  NcclUniqueId get_unique_id() override { return inner_.get_unique_id(); }
  NcclComm init_rank(const NcclUniqueId& id, int size, int rank) override { return inner_.init_rank(id, size, rank); }
  void destroy(NcclComm comm) override { inner_.destroy(comm); }
  void abort(NcclComm comm) noexcept override { inner_.abort(comm); }
  void all_gather(const void* s, void* r, std::size_t b, NcclComm c, cudaStream_t st) override {
    inner_.all_gather(s, r, b, c, st);
  }
  void broadcast(const void* s, void* r, std::size_t b, int root, NcclComm c, cudaStream_t st) override {
    inner_.broadcast(s, r, b, root, c, st);
  }
  void send(const void* d, std::size_t b, int peer, NcclComm c, cudaStream_t st) override {
    if (--left_ == 0) {
      throw Error("NCCL ncclSend failed on rank " + std::to_string(rank_) +
                  ": unhandled system error (injected by nccl_split_check)");
    }
    inner_.send(d, b, peer, c, st);
  }
  void recv(void* d, std::size_t b, int peer, NcclComm c, cudaStream_t st) override { inner_.recv(d, b, peer, c, st); }
  void group_start() override { inner_.group_start(); }
  void group_end() override { inner_.group_end(); }
  bool finished(NcclComm c, cudaStream_t st) override { return inner_.finished(c, st); }

 private:
  test::MpiNcclApi inner_;
  int rank_;
  int left_;
};

class Checker {
 public:
  Checker(DistributedTarget& target, Job& job, const Model& whole, int tokens)
      : target_(target), job_(job), whole_(whole), tokens_(tokens) {}
  bool ok() const { return failures_ == 0; }
  double max_excess() const { return max_excess_; }
  double self_tau() const { return self_tau_; }

  void check_logits() {
    const int64_t V = whole_.config().vocab_size, H = whole_.config().hidden_size;
    const std::vector<int32_t> p = test::random_prompt(99, 11, V);
    target_.begin(64);
    KvCache kv = whole_.make_cache(64);
    const Step prefill{p, {}, LogitRows::All, true, true};
    const StepOutput got = target_.forward(prefill);
    const ForwardOutput want = whole_.forward_causal(p, kv, LogitRows::All);
    compare("prefill logits", got.logits, want.logits);
    compare("prefill hidden states", got.hidden, want.hidden);
    for (std::size_t r = 0; r < p.size(); ++r) {
      expect(argmax(got.logits.data() + r * V, V) == argmax(want.logits.data() + r * V, V),
             "prefill argmax, row " + std::to_string(r));
    }
    DraftTree tree(p.back());
    for (int32_t parent : {0, 0, 1, 1, 2, 3, 5}) tree.add(parent, static_cast<int32_t>((parent * 37 + 11) % V));
    const Step step = tree.verification_step(false);
    const int64_t past = kv.size();
    const StepOutput t = target_.forward(step);
    const ForwardOutput tw = whole_.forward(tree.tokens, step.positions(past), step.mask(past), kv);
    for (std::size_t r = 0; r < tree.tokens.size(); ++r) {
      expect(t.argmax.size() == tree.tokens.size() && t.argmax[r] == argmax(tw.logits.data() + r * V, V),
             "tree argmax, row " + std::to_string(r));
    }
    // keep(): the kept nodes' features come from the last stage's device buffer.
    const std::vector<int32_t> path = {0, 1, 3, 6};
    const std::vector<float> features = target_.keep(path, true);
    std::vector<float> want_features;
    for (int32_t n : path) want_features.insert(want_features.end(), tw.hidden.begin() + n * H, tw.hidden.begin() + (n + 1) * H);
    compare("keep() features", features, want_features);
    std::vector<int64_t> rows(static_cast<std::size_t>(past));
    std::iota(rows.begin(), rows.end(), 0);
    for (int32_t n : path) rows.push_back(past + n);
    kv.keep(rows);
    const std::vector<int32_t> more = {3, 4, 5};
    const StepOutput g = target_.forward(Step{more, {}, LogitRows::All, true, false});
    compare("logits after keep()", g.logits, whole_.forward_causal(more, kv, LogitRows::All).logits);
  }

  void check_generation() {
    const DraftHead head = DraftHead::random(DraftHeadConfig::for_target(whole_.config()), 7, 0.2f);
    const TreeSpec spec = parse_tree_spec("eagle1");
    for (uint64_t i = 0; i < 2; ++i) {
      const std::vector<int32_t> prompt = test::random_prompt(i, 9, whole_.config().vocab_size);
      const GenerationRequest req{prompt, tokens_, {}, {}};  // a view of prompt
      Sampler s1({}), s2({}), s3({}), s4({});
      const auto want = generate_plain(whole_, s1, req).output_tokens;
      const auto plain = generate_plain(target_, s2, req).output_tokens;
      expect(plain == want, "greedy tokens vs the CPU reference's, prompt " + std::to_string(i));
      EagleDrafter drafter(whole_, head, 256);
      const auto eagle = generate_speculative(target_, drafter, spec, s3, req).generation.output_tokens;
      expect(eagle == plain, "EAGLE tokens vs the split's plain tokens, prompt " + std::to_string(i));
      ModelDrafter self(whole_, 256);
      const SpeculativeResult r = generate_speculative(target_, self, spec, s4, req);
      expect(r.generation.output_tokens == plain, "self-drafted tokens vs the split's plain tokens, prompt " +
                                                      std::to_string(i));
      self_tau_ = std::max(self_tau_, r.stats.tau());
    }
    expect(self_tau_ > 1.5, "self-drafted EAGLE accepted too little: tau " + std::to_string(self_tau_));
  }

  void check_batch() {
    std::vector<std::vector<int32_t>> prompts;
    for (uint64_t i = 0; i < 3; ++i) prompts.push_back(test::random_prompt(10 + i, 7, whole_.config().vocab_size));
    std::vector<GenerationRequest> requests;
    for (const auto& p : prompts) requests.push_back({p, 8, {}, {}});
    const std::vector<GenerationResult> batch = generate_plain_batch(target_, requests);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      Sampler alone({});
      expect(batch[i].output_tokens == generate_plain(whole_, alone, requests[i]).output_tokens,
             "batched tokens vs decoded alone, prompt " + std::to_string(i));
    }
  }

  // Rank 0's model groups after one step of n tokens: each all-reduce one call of the MPI
  // communicator's bytes.
  void check_stats() {
    const World& w = job_.world();
    if (w.stage_size() == 1) return;  // no sums: no NCCL groups
    const int64_t n = 5, H = whole_.config().hidden_size;
    target_.begin(16);
    job_.reset_stats();
    const std::vector<int32_t> prompt = test::random_prompt(5, static_cast<int>(n), whole_.config().vocab_size);
    target_.forward(Step::causal(prompt, false, false));
    for (Communicator* group : {&job_.model_tensor(), &job_.model_stage()}) {
      if (group->size() == 1) continue;
      expect(dynamic_cast<NcclCommunicator*>(group) != nullptr, "the model's group is not an NCCL communicator");
      const int64_t p = group->size(), block = (n * H + p - 1) / p;
      const CommStats s = group->stats();
      expect(s.calls > 0 && s.bytes == s.calls * 2 * (p - 1) * block * 4 && s.seconds > 0,
             "NCCL stats: " + std::to_string(s.calls) + " calls, " + std::to_string(s.bytes) + " bytes");
      if (group == &job_.model_tensor() && w.tp > 1 && !whole_.config().is_moe()) {
        const int64_t layers = whole_.config().n_layers / w.pp;
        expect(s.calls == 2 * layers, "expected 2 all-reduces per layer, counted " + std::to_string(s.calls));
      }
    }
    const CommStats all = job_.stats();
    expect(all.bytes >= job_.model_tensor().stats().bytes, "Job::stats() leaves out the model's groups");
  }

 private:
  void compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
    expect(got.size() == want.size() && !want.empty(), what + ": size " + std::to_string(got.size()) + " vs " +
                                                           std::to_string(want.size()));
    double worst = 0;
    for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
      const double excess = std::abs(got[i] - want[i]) / (2e-4 * (1.0 + std::abs(want[i])));
      worst = std::max(worst, excess);
    }
    max_excess_ = std::max(max_excess_, worst);
    expect(worst <= 1.0, what + ": a difference " + std::to_string(worst) + " x the tolerance");
  }
  void expect(bool cond, const std::string& what) {
    if (cond) return;
    ++failures_;
    std::fprintf(stderr, "nccl_split_check: FAILED: %s\n", what.c_str());
  }

  DistributedTarget& target_;
  Job& job_;
  const Model& whole_;
  int tokens_;
  int failures_ = 0;
  double max_excess_ = 0, self_tau_ = 0;
};

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::unique_ptr<Communicator> world = mpi_world(60);
  const int rank = world->rank(), size = world->size();
  std::atomic<int64_t> live{0};
  bool ok = true;
  {
    Job job(std::move(world), World::make(rank, size, o.tp, o.ep, o.pp));
    auto device = std::make_shared<test::HostDeviceApi>(&live);
    // The shard's backend and the NCCL groups share the DeviceApi, as make_cuda_backend_on does.
    auto backend = std::make_shared<CudaBackend>("cuda:emulated", std::make_unique<SharedDeviceApi>(device),
                                                 std::make_unique<test::ReferenceGemm>());
    std::shared_ptr<NcclApi> nccl;
    if (rank == o.fail_rank) {
      nccl = std::make_shared<FailingNccl>(rank, o.fail_after);
    } else {
      nccl = std::make_shared<test::MpiNcclApi>();
    }
    if (split_sums_partials(job.world())) attach_nccl_groups(job, NcclResources{nccl, device, 60});
    ThreadPool pool(1);
    std::shared_ptr<const WeightStore> store = open_model(o.model);
    DistributedModel model(job, store, pool, Precision::Reference, std::move(backend));
    if (!job.world().is_coordinator()) {
      serve(model);
    } else {
      DistributedTarget target(model);
      const Model whole(store, pool, Precision::Reference);
      Checker check(target, job, whole, o.tokens);
      check.check_logits();
      check.check_generation();
      check.check_batch();
      check.check_stats();
      target.end();
      const World& w = job.world();
      std::printf("nccl_split_check: %s tp=%d ep=%d pp=%d on the emulated CUDA backend: largest difference %.2f x "
                  "the tolerance, self-draft tau %.2f: %s\n",
                  whole.config().name.c_str(), w.tp, w.ep, w.pp, check.max_excess(), check.self_tau(),
                  check.ok() ? "PASS" : "FAIL");
      ok = check.ok();
    }
  }  // the model, its backend and the NCCL groups give their buffers back
  if (live.load() != 0) {
    std::fprintf(stderr, "nccl_split_check: FAILED: rank %d: %lld device buffers not given back\n", rank,
                 static_cast<long long>(live.load()));
    ok = false;
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace eaglerun

int main(int argc, char** argv) {
  try {
    return eaglerun::run(argc, argv);
  } catch (const eaglerun::Error& e) {
    std::fprintf(stderr, "nccl_split_check: error: %s\n", e.what());
    return 1;
  }
}
