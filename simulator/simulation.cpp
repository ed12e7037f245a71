#include "simulator/simulation.h"

#include <algorithm>

namespace eaglerun::sim {

double draft_s(const Deployment& d, const TreeShape& tree, double tau, int64_t batch, int64_t context) {
  double t = head_pass(d, batch, tau, context).total_s();
  for (int64_t rows : tree.expansion_rows) t += head_pass(d, batch, static_cast<double>(rows), context).total_s();
  return t;
}

double eagle_step_s(const Deployment& d, const TreeShape& tree, double tau, int64_t batch, int64_t context) {
  return draft_s(d, tree, tau, batch, context) + target_forward(d, batch, tree.verify_nodes, context).total_s() +
         d.runtime.eagle_host_time_per_step_s;
}

namespace {

BatchPoint batch_point(const Deployment& d, const Scenario& s, double tau, int64_t batch) {
  BatchPoint p;
  p.batch = batch;
  p.plain_tokens_per_s = static_cast<double>(batch) / target_forward(d, batch, 1, s.context).total_s();
  p.eagle_tokens_per_s = static_cast<double>(batch) * tau / eagle_step_s(d, s.tree, tau, batch, s.context);
  p.speedup = p.eagle_tokens_per_s / p.plain_tokens_per_s;
  p.eagle_fits = memory_per_gpu(d, batch, s.context, true, s.tree.verify_nodes).fits();
  return p;
}

}  // namespace

SimulationResult simulate(const Deployment& d, const Scenario& s) {
  check_split(d.split, d.target);
  check_acceptance_matches(s.acceptance, d.target.config.hidden_size, d.target.name);
  check_context(d, s.context);
  check_fits(d, s.batch, s.context, false, 1);
  SimulationResult r;
  r.tau = s.acceptance.tau(s.tree);
  r.plain = target_forward(d, s.batch, 1, s.context);
  r.plain_step_s = r.plain.total_s();
  r.draft_s = draft_s(d, s.tree, r.tau, s.batch, s.context);
  r.verify = target_forward(d, s.batch, s.tree.verify_nodes, s.context);
  r.eagle_host_s = d.runtime.eagle_host_time_per_step_s;
  r.eagle_step_s = r.draft_s + r.verify.total_s() + r.eagle_host_s;
  const double b = static_cast<double>(s.batch);
  r.plain_tokens_per_s = b / r.plain_step_s;
  r.eagle_tokens_per_s = b * r.tau / r.eagle_step_s;
  r.speedup = r.eagle_tokens_per_s / r.plain_tokens_per_s;
  r.plain_memory = memory_per_gpu(d, s.batch, s.context, false, 1);
  r.eagle_memory = memory_per_gpu(d, s.batch, s.context, true, s.tree.verify_nodes);
  r.max_batch_plain = largest_batch(d, s.context, false, 1);
  r.max_batch_eagle = largest_batch(d, s.context, true, s.tree.verify_nodes);
  for (int64_t batch = 1; batch <= std::max<int64_t>(r.max_batch_plain, 1); batch *= 2)
    r.over_batch.push_back(batch_point(d, s, r.tau, batch));
  if (r.max_batch_plain > 1 && r.over_batch.back().batch != r.max_batch_plain)
    r.over_batch.push_back(batch_point(d, s, r.tau, r.max_batch_plain));
  return r;
}

}  // namespace eaglerun::sim
