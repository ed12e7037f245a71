#include "simulator/inputs.h"

#include "core/error.h"
#include "simulator/cell_reader.h"

namespace eaglerun::sim {

Deployment make_deployment(const SimulationInputs& in) {
  Deployment d;
  const ModelConfig target = load_model_config(in.model_path);
  d.target = target_shape(target);
  ModelConfig head_config;
  if (!in.head_config_path.empty()) head_config = load_model_config(in.head_config_path);
  d.head = head_shape(target, in.head_config_path.empty() ? nullptr : &head_config,
                      in.draft_vocab > 0 ? in.draft_vocab : target.vocab_size,
                      in.head_config_path.empty() ? 0 : head_tap_layers(in.head_config_path));
  d.hw = load_hardware_profile(in.hardware_path);
  d.runtime = load_runtime_profile(in.runtime_path.empty() ? d.hw.default_runtime : in.runtime_path);
  d.split = ParallelSplit{in.tp, in.pp, in.ep, in.pp_overlap};
  check_split(d.split, d.target);
  d.precision.weights = parse_precision(in.weights, "--weights");
  d.precision.lm_head = in.lm_head.empty() ? d.precision.weights : parse_precision(in.lm_head, "--lm-head");
  d.precision.kv = parse_precision(in.kv, "--kv");
  d.precision.head = parse_precision(in.head, "--head-precision");
  if (d.precision.kv == Precision::INT4) throw Error("--kv int4 is not modelled (use fp16, bf16 or int8)");
  return d;
}

AcceptanceModel make_acceptance(const AcceptanceInput& in) {
  switch (in.kind) {
    case AcceptanceInput::Kind::Tau: return fixed_tau(in.tau);
    case AcceptanceInput::Kind::NAlpha: return from_n_alpha(in.n_alpha);
    case AcceptanceInput::Kind::Alpha:
      if (!(in.alpha >= 0 && in.alpha <= 1)) throw Error("--alpha must be in [0, 1]");
      return from_alpha(in.alpha);
    case AcceptanceInput::Kind::Cell: return acceptance_from_cell(in.cell_path);
  }
  throw Error("unknown acceptance input");
}

Scenario make_scenario(const SimulationInputs& in) {
  Scenario s;
  s.tree = tree_shape(parse_tree_spec(in.tree));
  s.acceptance = make_acceptance(in.acceptance);
  if (in.batch < 1) throw Error("--batch must be >= 1");
  if (in.context < 1) throw Error("--context must be >= 1");
  s.batch = in.batch;
  s.context = in.context;
  s.acceptance.tau(s.tree);  // a tree the acceptance model does not cover fails here
  return s;
}

}  // namespace eaglerun::sim
