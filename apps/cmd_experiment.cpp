// eaglerun experiment list|run CONFIG: the experiment runner. A config's axes expand into cells;
// `run` decodes each cell's requests plainly and with EAGLE, interleaved, and writes one HDF5
// file per cell into --out (written as .partial, renamed when complete). A rerun skips finished
// cells, so an interrupted sweep (Slurm preemption, kill -9) resumes losing at most the cell in
// progress; a folder holding another config's cells is refused. Under mpirun rank 0 records.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli_common.h"
#include "apps/draft_options.h"
#include "apps/target_session.h"
#include "core/backend/device.h"
#include "core/error.h"
#include "core/eagle/eagle_drafter.h"
#include "core/kernels/kernel_isa.h"
#include "core/kernels/memory_bandwidth.h"
#include "experiments/experiment_config.h"
#include "experiments/feature_error_cell.h"
#include "experiments/feature_shard.h"
#include "experiments/progress_bar.h"
#include "experiments/run_provenance.h"
#include "experiments/sha256.h"
#include "experiments/speedup_cell.h"

namespace eaglerun::cli {
namespace {

namespace fs = std::filesystem;

struct ExperimentOptions {
  std::string action, config, out, cells;
  std::vector<std::string> overrides;
  bool dry_run = false;
  ParallelOptions parallel;
};

// The folder's experiment.json: the config every cell in it belongs to. Written on first use;
// a different config later is refused.
void claim_folder(const std::string& out, const ExperimentConfig& config) {
  std::error_code ec;
  fs::create_directories(out, ec);  // another array task may create it at the same moment
  require(fs::is_directory(out), "cannot create the results folder " + out + (ec ? ": " + ec.message() : ""));
  const std::string marker = out + "/experiment.json";
  const std::string mine = config.source.dump(2);
  if (fs::exists(marker)) {
    std::ifstream in(marker);
    nlohmann::json theirs;
    try {
      theirs = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      throw Error(marker + " is not valid JSON; this folder does not hold an eaglerun experiment");
    }
    require(theirs == config.source,
            out + " holds the cells of another experiment config (" + marker + "); use another --out");
    return;
  }
  // Several array tasks may claim the folder at once: each writes its own file, the renames agree.
  const std::string partial = marker + ".partial." + std::to_string(::getpid());
  std::ofstream(partial) << mine << "\n";
  fs::rename(partial, marker);
}

Provenance base_provenance(const ExperimentConfig& config, const EngineOptions& engine, const World& world,
                           ThreadPool& pool) {
  Provenance p;
  p.experiment_json = config.source.dump();
  const GitState git = git_state(source_path("."));
  p.git_commit = git.commit;
  p.git_dirty = git.dirty;
  p.eaglerun_version = "0.1.0";
  p.model_path = engine.model_path;
  p.model_sha256 = digest_path(engine.model_path).sha256;
  p.precision = config.precision;
  p.device = parse_device(engine.device).to_string();
  p.cpu_model = cpu_model_name();
  p.kernel_isa = std::string(kernel_isa_name(active_kernel_isa()));
  p.threads = config.threads;
  p.world_size = world.size;
  p.tp = world.tp;
  p.pp = world.pp;
  p.ep = world.ep;
  p.memory_bandwidth_gbps = measure_read_bandwidth_gbps(pool, std::size_t(256) << 20);
  return p;
}


EagleDrafter& eagle_drafter(DraftSetup& draft) {
  auto* eagle = dynamic_cast<EagleDrafter*>(draft.drafter.get());
  require(eagle != nullptr, "feature_error needs an EAGLE head (draft)");
  return *eagle;
}

// The progress bar on a terminal: cells done/total, the current cell's requests, EAGLE tokens/s and
// an ETA from this run's mean seconds per request (each cell still to run counted as large as this one).
class SweepProgress {
 public:
  explicit SweepProgress(std::size_t cells) : cells_(cells), terminal_(isatty(STDERR_FILENO) != 0) {}
  void show(int cell, const CellProgress& p) const {
    if (!terminal_) return;  // a log gets each cell's JSON line
    const double per_request = seconds_since(start_) / static_cast<double>(requests_run_ + p.requests_done);
    const auto left = static_cast<double>(p.requests_total - p.requests_done +
                                          static_cast<int64_t>(cells_ - done_ - 1) * p.requests_total);
    std::cerr << fmt::format("\r[{}/{} cells] cell {}: request {}/{}, EAGLE {:.1f} tokens/s, ETA {}   ", done_, cells_,
                             cell, p.requests_done, p.requests_total,
                             p.eagle_seconds > 0 ? p.eagle_tokens / p.eagle_seconds : 0.0,
                             format_duration(per_request * left))
              << std::flush;
  }
  void cell_done(int64_t requests) {
    requests_run_ += requests;
    ++done_;
    if (terminal_) std::cerr << "\n";
  }

 private:
  std::size_t cells_, done_ = 0;
  bool terminal_;
  int64_t requests_run_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int list_cells(const ExperimentConfig& config, const std::vector<ExperimentCell>& cells) {
  for (const ExperimentCell& c : cells) std::cout << fmt::format("{:4d}  {}\n", c.index, c.name());
  std::cout << fmt::format("{} cells ({}); Slurm: sbatch --array=0-{}\n", cells.size(), config.kind, cells.size() - 1);
  return 0;
}

void set_head_provenance(Provenance& p, const std::string& draft) {
  const bool trained = draft != "random";
  p.head_path = trained ? head_dir(draft) : "random";
  p.head_sha256 = trained ? digest_path(DraftHead::weights_path(head_dir(draft))).sha256 : "";
}

// Runs `todo` (cells of one model, not yet finished) on one target session.
void run_model_cells(const ExperimentOptions& o, const ExperimentConfig& config, const std::vector<ExperimentCell>& todo,
                     TargetSession& session, const EngineOptions& engine_options, SweepProgress& sweep) {
  Engine& engine = session.engine();
  Provenance provenance = base_provenance(config, engine_options, session.world(), engine.pool());
  for (const ExperimentCell& cell : todo) {
    const std::string path = o.out + "/" + cell.name() + ".h5";
    DraftOptions d;
    d.draft = cell.draft;
    d.tree = cell.tree;
    d.draft_vocab = config.kind == "feature_error" ? 0 : config.draft_vocab;  // top-1 over the whole vocabulary
    DraftSetup draft = make_draft_setup(d, engine, session.target(), engine_options, engine.model().config().max_position);
    const auto start = std::chrono::steady_clock::now();
    provenance.load_average_start = load_average_1min();
    auto show = [&](const CellProgress& p) { sweep.show(cell.index, p); };
    const CellRecord record = config.kind == "feature_error"
                                  ? run_feature_error_cell(config, cell, session.target(), engine,
                                                           eagle_drafter(draft), draft.tree, show)
                                  : run_speedup_cell(config, cell, session.target(), engine, *draft.drafter,
                                                     draft.tree, show);
    sweep.cell_done(record.requests());
    set_head_provenance(provenance, cell.draft);
    provenance.config_json = cell.to_json(config).dump();
    provenance.date_utc = utc_now();
    provenance.load_average_end = load_average_1min();
    record.write(path, provenance);
    std::cout << nlohmann::json{{"cell", cell.index}, {"name", cell.name()}, {"file", path},
                                {"requests", record.requests()}, {"seconds", seconds_since(start)}}
                     .dump()
              << std::endl;
  }
}

int run_cells(const ExperimentOptions& o, const ExperimentConfig& config, const std::vector<ExperimentCell>& cells) {
  require(!o.out.empty(), "experiment run needs --out DIR");
  const std::vector<int> selected = parse_cell_selection(o.cells, static_cast<int>(cells.size()));
  if (o.dry_run) {
    for (int i : selected) {
      const bool done = fs::exists(o.out + "/" + cells[i].name() + ".h5");
      std::cout << fmt::format("{:4d}  {}  {}\n", i, cells[i].name(), done ? "done" : "to run");
    }
    return 0;
  }
  claim_folder(o.out, config);  // by every rank: concurrent claims of one config agree
  // The cells still to run, by model in config order (every rank sees the same files: none is
  // written before all ranks have started).
  std::vector<std::string> models;
  std::vector<ExperimentCell> todo;
  for (int i : selected) {
    if (fs::exists(o.out + "/" + cells[i].name() + ".h5")) {
      std::cerr << fmt::format("cell {} done: {}/{}.h5\n", i, o.out, cells[i].name());
      continue;
    }
    todo.push_back(cells[i]);
    if (std::find(models.begin(), models.end(), cells[i].model) == models.end()) models.push_back(cells[i].model);
  }
  SweepProgress sweep(todo.size());
  for (const std::string& model : models) {
    EngineOptions engine_options;
    engine_options.model_path = model;
    engine_options.threads = config.threads;
    engine_options.device = config.device;
    finish_engine_options(engine_options, config.precision);
    auto session = TargetSession::start(o.parallel, engine_options);
    require(!session->distributed() || models.size() == 1,
            "experiment run: under mpirun a process runs the cells of one model; select them with --cells "
            "(experiment list names each cell's model)");
    if (session->worker()) return session->serve();
    std::vector<ExperimentCell> mine;
    for (const ExperimentCell& c : todo) {
      if (c.model == model) mine.push_back(c);
    }
    run_model_cells(o, config, mine, *session, engine_options, sweep);
    session->finish();
  }
  return 0;
}

}  // namespace

int run_experiment(int argc, char** argv) {
  ExperimentOptions o;
  po::options_description desc("experiment options");
  desc.add_options()
      ("action", po::value(&o.action), "list (the cells of CONFIG) or run")
      ("config", po::value(&o.config), "experiment config (JSON, // comments allowed; docs/EXPERIMENTS.md)")
      ("out", po::value(&o.out), "run: the folder of the cells' HDF5 files (one config per folder)")
      ("cells", po::value(&o.cells), "run: only these cells, e.g. 0,2-4 (a Slurm array task's share)")
      ("dry-run", po::bool_switch(&o.dry_run), "run: print which cells are done and which would run")
      ("set", po::value(&o.overrides)->composing(),
       "override a config setting: key=JSON value, e.g. --set prompt_limit=2 --set 'trees=[\"chain:1\"]' (repeatable)");
  add_parallel_options(desc, o.parallel);
  po::positional_options_description positional;
  positional.add("action", 1).add("config", 1);
  po::options_description all(desc);
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: eaglerun experiment list CONFIG\n"
                   "       eaglerun experiment run CONFIG --out DIR [--cells I,J-K] [--dry-run]\n\n"
                << all << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(std::string(e.what()) + " (see 'eaglerun experiment --help')");
  }
  require(o.action == "list" || o.action == "run", "experiment: expected 'list' or 'run', got '" + o.action + "'");
  require(!o.config.empty(), "experiment " + o.action + " needs a CONFIG file");
  const ExperimentConfig config = parse_experiment_config(o.config, o.overrides);
  const std::vector<ExperimentCell> cells = expand_cells(config);
  return o.action == "list" ? list_cells(config, cells) : run_cells(o, config, cells);
}

}  // namespace eaglerun::cli
