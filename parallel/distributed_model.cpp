#include "parallel/distributed_model.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/kernels/ops.h"

namespace eaglerun {
namespace {

enum Tag : int { kActivations = 1, kArgmax, kLogits, kHidden, kFeatures };

// One rank's best entry of a row: the highest logit in its vocabulary slice and its token id.
struct RowBest {
  float value;
  int32_t token;
};

}  // namespace

// The model's sums over one group. An error there (an NCCL or MPI call failing on this rank) ends
// the job through the group's abort, naming this rank and the call: the group's other ranks wait in
// the same sum, and an exception would leave them waiting until the time limit.
class DistributedModel::EndJobOnError final : public ModelCollectives {
 public:
  explicit EndJobOnError(Communicator& group) : group_(group) {}
  void all_reduce_sum(float* data, int64_t count) override {
    try {
      group_.all_reduce_sum(data, count);
    } catch (const Error& e) {
      group_.abort(e.what(), 1);
    }
  }

 private:
  Communicator& group_;
};

DistributedModel::DistributedModel(Job& job, std::shared_ptr<const WeightStore> store, ThreadPool& pool,
                                   Precision precision, std::shared_ptr<Backend> backend)
    : job_(job),
      tensor_sums_(std::make_unique<EndJobOnError>(job.model_tensor())),
      stage_sums_(std::make_unique<EndJobOnError>(job.model_stage())) {
  const ModelConfig& c = store->config();
  ModelWeights full = ModelWeights::load(*store);  // views: nothing is read until used
  plan_ = ShardPlan::make(c, full, world());
  const ModelShard shard = model_shard(plan_, c, tensor_sums_.get(), stage_sums_.get());
  ModelWeights weights = apply_shard_plan(std::move(full), plan_, c);
  if (backend) {
    shard_ = std::make_unique<Model>(store, std::move(weights), shard, std::move(backend), pool, precision);
  } else {
    shard_ = std::make_unique<Model>(store, std::move(weights), shard, pool, precision);
  }
}

DistributedModel::~DistributedModel() = default;

float* DistributedModel::floats(DeviceBuffer& b, int64_t count) {
  const int64_t bytes = std::max<int64_t>(count, 1) * static_cast<int64_t>(sizeof(float));
  if (b.bytes() < bytes) {
    b.reset();
    b = shard_->backend().allocate(bytes);
  }
  return b.as<float>();
}

void DistributedModel::to_host(float* host, const float* x, int64_t count) {
  if (count <= 0) return;
  Backend& backend = shard_->backend();
  if (backend.host_memory()) {
    std::copy_n(x, count, host);
  } else {
    backend.download(host, x, count * static_cast<int64_t>(sizeof(float)));
  }
}

void DistributedModel::from_host(float* x, const float* host, int64_t count) {
  if (count <= 0) return;
  Backend& backend = shard_->backend();
  if (backend.host_memory()) {
    std::copy_n(host, count, x);
  } else {
    backend.upload(x, host, count * static_cast<int64_t>(sizeof(float)));
  }
}

void DistributedModel::begin(int64_t capacity, int32_t sequences) {
  require(sequences >= 1, "begin(): at least one sequence");
  sequences_.clear();
  for (int32_t i = 0; i < sequences; ++i) sequences_.push_back({shard_->make_cache(capacity), 0, DeviceBuffer{}});
  pending_.clear();
  ready_.clear();
}

DistributedModel::Sequence& DistributedModel::sequence(int32_t index) {
  require(index >= 0 && index < static_cast<int32_t>(sequences_.size()),
          "sequence " + std::to_string(index) + " was not begun (" + std::to_string(sequences_.size()) + " were)");
  return sequences_[static_cast<std::size_t>(index)];
}


int DistributedModel::last_stage_root() const { return world().rank_of(0, 0, world().pp - 1); }

StepOutput DistributedModel::forward(const Step& step) {
  launch(step);
  return collect();
}

StepOutput DistributedModel::collect() {
  if (world().rank != 0) return {};
  if (!ready_.empty()) {
    StepOutput out = std::move(ready_.front());
    ready_.pop_front();
    return out;
  }
  require(!pending_.empty(), "collect() without a launched step");
  const Step step = std::move(pending_.front());
  pending_.pop_front();
  return receive_outputs(step);
}

void DistributedModel::launch(const Step& step) {
  step.check();
  Sequence& seq = sequence(step.sequence);
  const int64_t n = step.size(), H = config().hidden_size, past = seq.kv.size();
  seq.last_step = 0;
  float* x = floats(seq.x, n * H);  // the residual stream [n, H], in the backend's memory
  if (world().first_stage()) {
    shard_->embed(step.tokens, x);
  } else {
    receive_activations(x, n * H);
  }
  shard_->forward_layers(x, n, step.positions(past), step.mask(past), seq.kv);
  seq.last_step = n;
  if (!world().last_stage()) {
    send_activations(x, n * H);
    if (world().rank == 0) pending_.push_back(step);
    return;
  }
  shard_->final_norm(x, n);  // x: the hidden states keep() reads
  StepOutput out = last_stage_outputs(step, x);
  if (world().rank == 0) ready_.push_back(std::move(out));
}

// Stage s-1's rank k sends chunk k of the activations to stage s's rank k; stage s all-gathers.
void DistributedModel::send_activations(const float* x, int64_t count) {
  const World& w = world();
  const int S = w.stage_size(), k = w.stage_index();
  const int64_t chunk = (count + S - 1) / S;
  std::vector<float> part(static_cast<std::size_t>(chunk), 0.f);
  const int64_t begin = std::min<int64_t>(count, k * chunk), end = std::min<int64_t>(count, begin + chunk);
  to_host(part.data(), x + begin, end - begin);
  job_.all().send(part.data(), part.size() * sizeof(float), w.rank_of(w.tp_rank, w.ep_rank, w.pp_rank + 1),
                  kActivations);
}

void DistributedModel::receive_activations(float* x, int64_t count) {
  const World& w = world();
  const int S = w.stage_size();
  const int64_t chunk = (count + S - 1) / S;
  std::vector<float> part(static_cast<std::size_t>(chunk)), all(static_cast<std::size_t>(chunk * S));
  job_.all().recv(part.data(), part.size() * sizeof(float), w.rank_of(w.tp_rank, w.ep_rank, w.pp_rank - 1),
                  kActivations);
  job_.stage().all_gather(part.data(), part.size() * sizeof(float), all.data());
  from_host(x, all.data(), count);
}

StepOutput DistributedModel::last_stage_outputs(const Step& step, const float* x) {
  const int64_t rows = step.logit_rows(), n = step.size(), H = config().hidden_size;
  const int64_t V = config().vocab_size;
  StepOutput out;
  if (rows > 0) {
    const int64_t local_count = rows * plan_.vocab.size();
    std::vector<float> local(static_cast<std::size_t>(local_count));
    if (shard_->backend().host_memory()) {
      shard_->lm_head(x + (n - rows) * H, rows, local.data());
    } else {
      float* logits = floats(logits_, local_count);
      shard_->lm_head(x + (n - rows) * H, rows, logits);
      to_host(local.data(), logits, local_count);
    }
    if (step.full_logits) {
      out.logits = stage_logits(local.data(), rows);
    } else {
      out.argmax = stage_argmax(local.data(), rows);
    }
  }
  if (step.want_hidden) {
    out.hidden.resize(static_cast<std::size_t>(n * H));
    to_host(out.hidden.data(), x, n * H);
  }
  const int root = last_stage_root();
  if (root == 0) return world().rank == 0 ? out : StepOutput{};
  Communicator& all = job_.all();
  if (world().rank == root) {  // the coordinator sits on another stage: send it the results
    if (!step.full_logits && rows > 0) all.send(out.argmax.data(), rows * sizeof(int32_t), 0, kArgmax);
    if (step.full_logits && rows > 0) all.send(out.logits.data(), rows * V * sizeof(float), 0, kLogits);
    if (step.want_hidden) all.send(out.hidden.data(), n * H * sizeof(float), 0, kHidden);
  }
  return {};
}

StepOutput DistributedModel::receive_outputs(const Step& step) {
  const int64_t rows = step.logit_rows(), n = step.size(), H = config().hidden_size;
  const int root = last_stage_root();
  Communicator& all = job_.all();
  StepOutput out;
  if (rows > 0 && !step.full_logits) {
    out.argmax.resize(static_cast<std::size_t>(rows));
    all.recv(out.argmax.data(), rows * sizeof(int32_t), root, kArgmax);
  }
  if (rows > 0 && step.full_logits) {
    out.logits.resize(static_cast<std::size_t>(rows * config().vocab_size));
    all.recv(out.logits.data(), out.logits.size() * sizeof(float), root, kLogits);
  }
  if (step.want_hidden) {
    out.hidden.resize(static_cast<std::size_t>(n * H));
    all.recv(out.hidden.data(), out.hidden.size() * sizeof(float), root, kHidden);
  }
  return out;
}

std::vector<int32_t> DistributedModel::stage_argmax(const float* logits, int64_t rows) {
  const int64_t local_v = plan_.vocab.size();
  const int S = world().stage_size();
  std::vector<RowBest> mine(static_cast<std::size_t>(rows)), all(static_cast<std::size_t>(rows * S));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = argmax(logits + r * local_v, local_v);
    mine[r] = {logits[r * local_v + i], static_cast<int32_t>(plan_.vocab.begin + i)};
  }
  job_.stage().all_gather(mine.data(), mine.size() * sizeof(RowBest), all.data());
  std::vector<int32_t> tokens(static_cast<std::size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {  // ranks hold increasing vocabulary slices: scan as argmax does
    float best = -std::numeric_limits<float>::infinity();
    int32_t token = 0;
    for (int s = 0; s < S; ++s) {
      const RowBest& b = all[s * rows + r];
      if (b.value > best) best = b.value, token = b.token;
    }
    tokens[r] = token;
  }
  return tokens;
}

std::vector<float> DistributedModel::stage_logits(const float* logits, int64_t rows) {
  const World& w = world();
  const int S = w.stage_size();
  const int64_t V = config().vocab_size, widest = split_range(V, S, 0).size(), local_v = plan_.vocab.size();
  std::vector<float> mine(static_cast<std::size_t>(rows * widest), 0.f), all(static_cast<std::size_t>(rows * widest * S));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(logits + r * local_v, local_v, mine.begin() + r * widest);
  job_.stage().all_gather(mine.data(), mine.size() * sizeof(float), all.data());
  std::vector<float> full(static_cast<std::size_t>(rows * V));
  for (int s = 0; s < S; ++s) {
    const Range v = split_range(V, S, s);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(all.begin() + (s * rows + r) * widest, v.size(), full.begin() + r * V + v.begin);
    }
  }
  return full;
}

std::vector<float> DistributedModel::keep(std::span<const int32_t> nodes, bool want_features) {
  Sequence& seq = sequence(0);
  require(seq.last_step > 0, "keep() needs a forward step first");
  const int64_t past = seq.kv.size() - seq.last_step, H = config().hidden_size;
  std::vector<int64_t> rows(static_cast<std::size_t>(past));
  std::iota(rows.begin(), rows.end(), 0);
  for (int32_t node : nodes) {
    require(node >= 0 && node < seq.last_step, "keep(): node " + std::to_string(node) + " is not in the last step");
    rows.push_back(past + node);
  }
  seq.kv.keep(rows);
  seq.last_step = 0;
  if (!want_features) return {};
  const int root = last_stage_root();
  if (!world().last_stage()) {
    if (world().rank != 0) return {};
    std::vector<float> features(nodes.size() * static_cast<std::size_t>(H));
    job_.all().recv(features.data(), features.size() * sizeof(float), root, kFeatures);
    return features;
  }
  if (world().rank != root) return {};
  // The kept nodes' rows of the last step's hidden states (seq.x), gathered in the backend's memory.
  std::vector<float> features(nodes.size() * static_cast<std::size_t>(H));
  if (!nodes.empty()) {
    const std::vector<int64_t> picked(nodes.begin(), nodes.end());
    const float* x = seq.x.as<float>();
    if (shard_->backend().host_memory()) {
      for (std::size_t i = 0; i < picked.size(); ++i) std::copy_n(x + picked[i] * H, H, features.begin() + i * H);
    } else {
      float* gathered = floats(rows_, static_cast<int64_t>(features.size()));
      shard_->backend().gather_rows(x, picked, H, gathered);
      to_host(features.data(), gathered, static_cast<int64_t>(features.size()));
    }
  }
  if (root == 0) return features;
  job_.all().send(features.data(), features.size() * sizeof(float), 0, kFeatures);
  return {};
}

}  // namespace eaglerun
