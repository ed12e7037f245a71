// eaglerun simulate: the performance model of EAGLE on GPU clusters (simulator/, docs/SIMULATOR.md).
// One point prints a table (or --json); lists make a sweep (one line per point, --out FILE.h5);
// --search-tree finds the best tree; --validate and --calibrate print the checks' tables.
#include <fmt/core.h>

#include <iostream>
#include <sstream>
#include <type_traits>

#include "apps/cli_common.h"
#include "core/error.h"
#include "simulator/calibration.h"
#include "simulator/report.h"
#include "simulator/sweep.h"
#include "simulator/sweep_file.h"
#include "simulator/tree_search.h"
#include "simulator/validation.h"

namespace eaglerun::cli {
namespace {

using namespace eaglerun::sim;

std::vector<std::string> split_list(const std::vector<std::string>& flags, char separator) {
  std::vector<std::string> out;
  for (const std::string& flag : flags) {
    std::stringstream in(flag);
    std::string item;
    while (std::getline(in, item, separator))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

template <typename T>
std::vector<T> numbers(const std::vector<std::string>& flags, const std::string& name) {
  std::vector<T> out;
  for (const std::string& item : split_list(flags, ',')) {
    std::size_t used = 0;
    T v{};
    try {
      if constexpr (std::is_same_v<T, double>) v = std::stod(item, &used);
      else v = static_cast<T>(std::stoll(item, &used));
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size()) throw Error("--" + name + ": '" + item + "' is not a number");
    out.push_back(v);
  }
  return out;
}

struct Flags {
  std::vector<std::string> model, hardware, runtime, weights, tree, tp, pp, ep, batch, context, tau, n_alpha;
  std::string head_config, lm_head, kv = "fp16", head = "fp16", acceptance, out, tree_out, validate,
      calibrate, alpha;
  int64_t draft_vocab = 0, max_nodes = 64, max_depth = 8, max_rank = 8;
  bool json = false, pp_overlap = false, search_tree = false;
};

void add_options(po::options_description& desc, Flags& f) {
  using strings = std::vector<std::string>;
  desc.add_options()
      ("model", po::value<strings>(&f.model)->composing(), "target: Hugging Face config.json (data/model-configs/); a list sweeps")
      ("hardware", po::value<strings>(&f.hardware)->composing(), "hardware profile JSON (data/hardware/); a list sweeps")
      ("runtime", po::value<strings>(&f.runtime)->composing(),
       "runtime profile JSON (data/runtimes/); default: the hardware profile's; a list sweeps")
      ("head-config", po::value(&f.head_config), "the draft head's config.json (default: one layer of the target's sizes)")
      ("tp", po::value<strings>(&f.tp)->composing(), "tensor-parallel GPUs (default 1; a list sweeps)")
      ("pp", po::value<strings>(&f.pp)->composing(), "pipeline stages (default 1; a list sweeps)")
      ("pp-overlap", po::bool_switch(&f.pp_overlap), "pipeline stages work on different micro-batches at once")
      ("ep", po::value<strings>(&f.ep)->composing(), "expert-parallel GPUs (default 1; a list sweeps)")
      ("weights", po::value<strings>(&f.weights)->composing(), "weight precision: fp16, bf16, int8, int4 (default fp16)")
      ("lm-head", po::value(&f.lm_head), "LM head precision (default: as --weights)")
      ("kv", po::value(&f.kv), "KV cache precision (default fp16)")
      ("head-precision", po::value(&f.head), "draft head precision (default fp16)")
      ("draft-vocab", po::value(&f.draft_vocab), "rows of the draft LM head (default: the vocabulary)")
      ("tree", po::value<strings>(&f.tree)->composing(),
       "tree spec as for generate --tree (eagle1, chain:K, dynamic:total=N,depth=D,topk=K, FILE.json); repeat to sweep")
      ("acceptance", po::value(&f.acceptance), "experiment cell (.h5): per-depth, per-sibling acceptance")
      ("n-alpha", po::value<strings>(&f.n_alpha)->composing(), "acceptance of the best draft by depth, e.g. 0.79,0.74,0.72,0.73,0.67")
      ("alpha", po::value(&f.alpha), "one acceptance rate for every depth (i.i.d.)")
      ("tau", po::value<strings>(&f.tau)->composing(), "tokens per step, bonus included (a list sweeps)")
      ("batch", po::value<strings>(&f.batch)->composing(), "sequences decoded together (default 1; a list sweeps)")
      ("context", po::value<strings>(&f.context)->composing(), "tokens in each KV cache (default 512; a list sweeps)")
      ("json", po::bool_switch(&f.json), "one JSON object (one per line in a sweep)")
      ("out", po::value(&f.out), "write the points to this HDF5 file (schema eaglerun.simulation)")
      ("search-tree", po::bool_switch(&f.search_tree), "find the tree of best speedup (dynamic program over trees)")
      ("max-nodes", po::value(&f.max_nodes), "--search-tree: most draft nodes (default 64)")
      ("max-depth", po::value(&f.max_depth), "--search-tree: deepest level (default 8)")
      ("max-rank", po::value(&f.max_rank), "--search-tree: children per node (default 8)")
      ("tree-out", po::value(&f.tree_out), "--search-tree: write the tree as JSON paths (loads with --tree FILE)")
      ("validate", po::value(&f.validate), "print the validation table of this file (data/simulator/validation.json)")
      ("calibrate", po::value(&f.calibrate), "print the calibration table of this file (data/simulator/calibration.json)");
}

AcceptanceInput acceptance_input(const Flags& f) {
  const int given = !f.acceptance.empty() + !f.n_alpha.empty() + !f.alpha.empty() + !f.tau.empty();
  if (given > 1) throw Error("give one of --acceptance, --n-alpha, --alpha, --tau");
  AcceptanceInput a;
  if (!f.acceptance.empty()) {
    a.kind = AcceptanceInput::Kind::Cell;
    a.cell_path = f.acceptance;
  } else if (!f.n_alpha.empty()) {
    a.kind = AcceptanceInput::Kind::NAlpha;
    a.n_alpha = numbers<double>(f.n_alpha, "n-alpha");
  } else if (!f.alpha.empty()) {
    a.kind = AcceptanceInput::Kind::Alpha;
    a.alpha = numbers<double>({f.alpha}, "alpha").at(0);
  } else if (!f.tau.empty()) {
    a.kind = AcceptanceInput::Kind::Tau;
    a.tau = numbers<double>(f.tau, "tau").at(0);
  } else {
    throw Error("no acceptance model: give --acceptance CELL.h5, --n-alpha A0,A1,.., --alpha A or --tau X");
  }
  return a;
}

SweepAxes sweep_axes(const Flags& f) {
  if (f.model.empty()) throw Error("--model CONFIG.json is required (data/model-configs/)");
  if (f.hardware.empty()) throw Error("--hardware PROFILE.json is required (data/hardware/)");
  SweepAxes a;
  SimulationInputs& b = a.base;
  b.head_config_path = f.head_config;
  b.pp_overlap = f.pp_overlap;
  b.lm_head = f.lm_head;
  b.kv = f.kv;
  b.head = f.head;
  b.draft_vocab = f.draft_vocab;
  b.acceptance = acceptance_input(f);
  a.models = split_list(f.model, ',');
  a.hardware = split_list(f.hardware, ',');
  b.model_path = a.models.front();
  b.hardware_path = a.hardware.front();
  a.runtimes = split_list(f.runtime, ',');
  if (!a.runtimes.empty()) b.runtime_path = a.runtimes.front();
  a.weights = split_list(f.weights, ',');
  a.trees = f.tree;  // dynamic specs hold commas: one tree per flag
  a.tp = numbers<int64_t>(f.tp, "tp");
  a.pp = numbers<int64_t>(f.pp, "pp");
  a.ep = numbers<int64_t>(f.ep, "ep");
  a.batch = numbers<int64_t>(f.batch, "batch");
  a.context = numbers<int64_t>(f.context, "context");
  if (b.acceptance.kind == AcceptanceInput::Kind::Tau) a.tau = numbers<double>(f.tau, "tau");
  if (a.tau.size() == 1) a.tau.clear();
  return a;
}

int run_point(const SimulationInputs& in, bool json) {
  const Deployment d = make_deployment(in);
  const Scenario s = make_scenario(in);
  const SimulationResult r = simulate(d, s);
  std::cout << (json ? to_json(d, s, r).dump() + "\n" : format_table(d, s, r));
  return 0;
}

int run_sweep(const SweepAxes& axes, const Flags& f, const std::string& command_line) {
  std::vector<SweepPoint> points;
  for (const SimulationInputs& in : expand(axes)) points.push_back(evaluate(in));
  for (const SweepPoint& p : points) std::cout << (f.json ? sweep_point_json(p).dump() : sweep_point_line(p)) << "\n";
  if (!f.out.empty()) {
    write_sweep_file(f.out, points, command_line);
    std::cerr << fmt::format("simulate: {} points -> {}\n", points.size(), f.out);
  }
  for (const SweepPoint& p : points)
    if (p.error.empty()) return 0;
  throw Error("every point of the sweep failed; the first: " + points.front().error);
}

int run_search(const SweepAxes& axes, const Flags& f) {
  if (axes.size() != 1) throw Error("--search-tree takes one point (no lists)");
  TreeSearchLimits limits{static_cast<int32_t>(f.max_nodes), static_cast<int32_t>(f.max_depth),
                          static_cast<int32_t>(f.max_rank)};
  const SimulationInputs in = expand(axes).front();
  const Deployment d = make_deployment(in);
  const AcceptanceModel acceptance = make_acceptance(in.acceptance);
  const TreeSearchResult r = search_tree(d, acceptance, limits, in.batch, in.context);
  std::cout << format_search_result(r, f.json);
  if (!f.tree_out.empty()) {
    write_tree_json(r.best.paths, f.tree_out);
    std::cerr << "simulate: tree -> " << f.tree_out << " (use it with --tree " << f.tree_out << ")\n";
  }
  return 0;
}

}  // namespace

int run_simulate(int argc, char** argv) {
  Flags f;
  po::options_description desc("simulate options");
  add_options(desc, f);
  po::variables_map vm;
  if (!parse_args("simulate", argc, argv, desc, vm)) return 0;
  std::string command_line = "eaglerun";
  for (int i = 0; i < argc; ++i) command_line += std::string(" ") + argv[i];
  if (!f.validate.empty()) {
    std::cout << format_validation(run_validation(f.validate), f.json);
    return 0;
  }
  if (!f.calibrate.empty()) {
    std::cout << format_calibration(run_calibration(f.calibrate), f.json);
    return 0;
  }
  const SweepAxes axes = sweep_axes(f);
  if (f.search_tree) return run_search(axes, f);
  if (axes.size() == 1 && f.out.empty()) return run_point(expand(axes).front(), f.json);
  return run_sweep(axes, f, command_line);
}

}  // namespace eaglerun::cli
