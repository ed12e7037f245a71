#pragma once
// One rank's share of a model spread over a job, and the forward pass all ranks run together.
// Every rank makes the same calls in the same order (the coordinator broadcasts them, see
// command_channel.h); results arrive on the coordinator (world rank 0) only.
//
// forward(step), on each rank of stage s:
//   stage 0 embeds the tokens; stage s > 0 receives the activations [n, H]: each of the S = tp x ep
//   ranks of stage s-1 sends 1/S of them to its peer, and stage s all-gathers them, so n x H
//   floats cross each stage boundary once;
//   the stage's layers run (the model all-reduces inside: after o_proj and down_proj over the tp
//   ranks, after the MoE block over the stage's ranks);
//   the last stage applies the final norm and its vocabulary slice of the LM head, then either
//   reduces each row to its argmax (each rank's best (value, index) gathered; the highest value
//   wins, the lowest index on ties: exactly argmax over the full row) or gathers the full rows.
// keep(nodes): every rank keeps the cached prefix plus those nodes of the last step in its KV
//   cache; the last stage sends their hidden states (the drafter's features) to the coordinator.
// Several sequences (begin(capacity, B)) each have their own KV cache; a step names its sequence.
//
// Devices: the shard runs on the Backend it is given (the CPU by default; one GPU per rank with
// --device cuda). Activations, the KV cache and the last stage's hidden states stay in the
// backend's memory; the model's all-reduces run on job.model_tensor() / model_stage() (NCCL groups
// on GPUs, which take device pointers). What crosses a stage boundary or goes to the coordinator
// (activation chunks, each rank's argmax or logits slice, hidden states, features) travels over the
// host groups (MPI): downloaded before a send, uploaded after a receive, when the backend does not
// use host memory (Backend::host_memory()).
// A failing all-reduce of the model ends the job (Communicator::abort: the error line names the
// rank and the failing call): its peers would otherwise wait in the same sum until --comm-timeout.
// launch() runs a step without waiting for its results on the coordinator, collect() returns them
// in launch order, so with pipeline stages the coordinator keeps B sequences in flight: stage 0
// works on sequence b + 1 while stage 1 works on b (micro-batches of one sequence each).
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "parallel/job.h"
#include "parallel/shard_plan.h"
#include "core/runtime/step.h"

namespace eaglerun {

class DistributedModel {
 public:
  // Maps this rank's shard of the model in `store` onto `backend` (null: the CPU backend with `pool`
  // and `precision`). Throws Error when the split does not fit it.
  DistributedModel(Job& job, std::shared_ptr<const WeightStore> store, ThreadPool& pool, Precision precision,
                   std::shared_ptr<Backend> backend = nullptr);
  ~DistributedModel();

  Job& job() { return job_; }
  const World& world() const { return job_.world(); }
  const Model& shard() const { return *shard_; }
  const ShardPlan& plan() const { return plan_; }
  const ModelConfig& config() const { return shard_->config(); }

  // Fresh KV caches of `capacity` tokens for `sequences` sequences.
  void begin(int64_t capacity, int32_t sequences = 1);
  StepOutput forward(const Step& step);  // launch() then collect()
  void launch(const Step& step);
  StepOutput collect();  // the coordinator's results of the oldest launched step; {} elsewhere
  // nodes: indices into sequence 0's last step's tokens, increasing. Returns their features [k, H]
  // on the coordinator when want_features.
  std::vector<float> keep(std::span<const int32_t> nodes, bool want_features);

 private:
  // x: the backend's memory.
  void receive_activations(float* x, int64_t count);
  void send_activations(const float* x, int64_t count);
  StepOutput last_stage_outputs(const Step& step, const float* x);
  // host[count] <- x[count] (the backend's memory), and back.
  void to_host(float* host, const float* x, int64_t count);
  void from_host(float* x, const float* host, int64_t count);
  StepOutput receive_outputs(const Step& step);  // the coordinator, when it is not on the last stage
  std::vector<int32_t> stage_argmax(const float* logits, int64_t rows);
  std::vector<float> stage_logits(const float* logits, int64_t rows);
  int last_stage_root() const;  // the world rank that holds the last stage's results

  Job& job_;
  ShardPlan plan_;
  struct Sequence {
    KvCache kv;
    int64_t last_step = 0;  // tokens of its last forward
    DeviceBuffer x;         // the residual stream [last_step, H]; on the last stage, after the final
                            // norm: the hidden states keep() takes features from
  };
  Sequence& sequence(int32_t index);
  // b holds at least `count` floats of the backend's memory (grown, never shrunk).
  float* floats(DeviceBuffer& b, int64_t count);

  class EndJobOnError;  // the model's collectives: a failing sum ends the job
  std::unique_ptr<EndJobOnError> tensor_sums_, stage_sums_;
  std::unique_ptr<Model> shard_;
  DeviceBuffer logits_, rows_;  // the last stage's LM head slice [rows, V'], keep()'s feature rows
  std::vector<Sequence> sequences_;
  std::deque<Step> pending_;        // coordinator off the last stage: launched, results not received
  std::deque<StepOutput> ready_;    // coordinator on the last stage: results not collected
};

}  // namespace eaglerun
