#include "simulator/sweep.h"


#include "core/error.h"

namespace eaglerun::sim {

namespace {

template <typename T>
std::vector<T> or_base(const std::vector<T>& values, const T& base) {
  return values.empty() ? std::vector<T>{base} : values;
}

}  // namespace

int64_t SweepAxes::size() const {
  const auto n = [](std::size_t k) { return static_cast<int64_t>(k == 0 ? 1 : k); };
  return n(models.size()) * n(hardware.size()) * n(runtimes.size()) * n(weights.size()) * n(trees.size()) * n(tp.size()) * n(pp.size()) *
         n(ep.size()) * n(batch.size()) * n(context.size()) * n(tau.size());
}

std::vector<SimulationInputs> expand(const SweepAxes& a) {
  std::vector<SimulationInputs> out;
  const SimulationInputs& b = a.base;
  for (const auto& model : or_base(a.models, b.model_path))
    for (const auto& hw : or_base(a.hardware, b.hardware_path))
      for (const auto& runtime : or_base(a.runtimes, b.runtime_path))
      for (const auto& w : or_base(a.weights, b.weights))
        for (const auto& tree : or_base(a.trees, b.tree))
          for (int64_t tp : or_base(a.tp, b.tp))
            for (int64_t pp : or_base(a.pp, b.pp))
              for (int64_t ep : or_base(a.ep, b.ep))
                for (double tau : or_base(a.tau, b.acceptance.tau))
                  for (int64_t context : or_base(a.context, b.context))
                    for (int64_t batch : or_base(a.batch, b.batch)) {
                      SimulationInputs in = b;
                      in.model_path = model;
                      in.hardware_path = hw;
                      in.runtime_path = runtime;
                      in.weights = w;
                      in.tree = tree;
                      in.tp = tp;
                      in.pp = pp;
                      in.ep = ep;
                      if (!a.tau.empty()) {
                        in.acceptance.kind = AcceptanceInput::Kind::Tau;
                        in.acceptance.tau = tau;
                      }
                      in.context = context;
                      in.batch = batch;
                      out.push_back(in);
                    }
  return out;
}

SweepPoint evaluate(const SimulationInputs& inputs) {
  SweepPoint p;
  p.inputs = inputs;
  try {
    const Deployment d = make_deployment(inputs);
    const Scenario s = make_scenario(inputs);
    const SimulationResult r = simulate(d, s);
    p.tau = r.tau;
    p.plain_tokens_per_s = r.plain_tokens_per_s;
    p.eagle_tokens_per_s = r.eagle_tokens_per_s;
    p.speedup = r.speedup;
    p.draft_s = r.draft_s;
    p.verify_s = r.verify.total_s();
    p.plain_step_s = r.plain_step_s;
    p.eagle_step_s = r.eagle_step_s;
    p.gemm_s = r.verify.gemm_s;
    p.attention_s = r.verify.attention_s;
    p.moe_s = r.verify.moe_s;
    p.communication_s = r.verify.communication_s;
    p.launch_s = r.verify.launch_s;
    p.host_s = r.verify.host_s + r.eagle_host_s;
    p.memory_per_gpu_bytes = r.eagle_memory.total_bytes();
    p.gpus = d.split.gpus();
    p.tree_nodes = s.tree.verify_nodes;
    p.max_batch_plain = r.max_batch_plain;
    p.max_batch_eagle = r.max_batch_eagle;
  } catch (const Error& e) {
    p.error = e.what();
  }
  return p;
}

}  // namespace eaglerun::sim
