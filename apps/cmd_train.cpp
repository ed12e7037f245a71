// eaglerun train: trains an EAGLE-1 draft head on extracted features (eaglerun extract).
//
//   OUT/run.json                 the run as started: model, data, and the TrainerConfig (file + --set)
//   OUT/checkpoints/step-NNNNNNNN  exact-resume checkpoints (core/train/checkpoint.h); each is a loadable head
//   OUT/train_log.jsonl          one JSON object per logged step and per validation
//   OUT/head/                    the final head (config.json + model.safetensors, --head-dtype) and
//                                draft_vocab.json: the data's answer tokens, most frequent first (--draft-vocab)
// A rerun with the same OUT continues from the newest checkpoint (the checkpoint's config wins).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>
#include <nlohmann/json.hpp>

#include "apps/cli_common.h"
#include "core/eagle/draft_lm_head.h"
#include "core/error.h"
#include "core/train/grow_head.h"
#include "core/train/trainer.h"
#include "experiments/draft_vocabulary.h"
#include "experiments/hdf5_training_data.h"

namespace eaglerun::cli {
namespace {

namespace fs = std::filesystem;

struct TrainCliOptions {
  EngineOptions engine;
  std::string precision;
  std::string config_path;
  std::vector<std::string> overrides;  // KEY=VALUE
  std::vector<std::string> data_dirs;
  std::string validation_dir;
  std::string out_dir;
  std::string init_head;
  std::string draft_vocab_file;
  train::HeadGrowth growth;  // --widen-mlp, --kv-heads, --layers, --tap-layers
  std::string tap_layers;
  int64_t steps = -1;
  int64_t log_every = 10;
  std::string head_dtype = "BF16";
  bool fresh = false;
  bool evaluate = false;
};

po::options_description train_options(TrainCliOptions& o) {
  po::options_description desc("train options (runs on the CPU: there is no --device)");
  add_engine_options(desc, o.engine, o.precision);
  desc.add_options()
      ("config", po::value(&o.config_path), "TrainerConfig JSON (core/train/trainer_config.h); absent keys keep "
                                             "the official EAGLE-1 recipe")
      ("set", po::value(&o.overrides)->composing(), "KEY=VALUE overriding a config key (VALUE as JSON, else a "
                                                    "string); repeatable, e.g. --set lr=1e-4 --set inputs=feature_only")
      ("data", po::value(&o.data_dirs)->composing(), "folder of feature shards from 'eaglerun extract'; repeat "
                                                     "to mix extractions of the same target (e.g. ShareGPT and "
                                                     "regenerated answers)")
      ("validation-data", po::value(&o.validation_dir),
       "held-out shards; default: the validation split (by conversation id) of --data, the rest trains")
      ("out", po::value(&o.out_dir), "run folder: run.json, checkpoints/, train_log.jsonl, head/")
      ("init-head", po::value(&o.init_head), "start from this head's weights (a head folder or a checkpoint) instead "
                                             "of random ones, with a fresh optimiser and schedule: fine-tuning, or "
                                             "more epochs after a finished run")
      ("widen-mlp", po::value(&o.growth.intermediate_size)->default_value(0),
       "with --init-head: grow the head's MLP to this intermediate size first (new units start with zero output "
       "weights, so the grown head computes what the given one did)")
      ("kv-heads", po::value(&o.growth.n_kv_heads)->default_value(0),
       "with --init-head: grow the head's key/value heads to this many first (copies of the heads their query "
       "heads read; a multiple of the head's that divides its query heads)")
      ("layers", po::value(&o.growth.n_layers)->default_value(0),
       "with --init-head: append decoder layers up to this many first (each new layer's output weights zero, "
       "so it adds nothing until trained)")
      ("tap-layers", po::value(&o.tap_layers),
       "the head also reads the target's residual stream after these layers (comma-separated; the --data must hold "
       "them: 'extract --tap-layers'); with --init-head, fc grows zero columns for them, so the grown head computes "
       "what the given one did")
      ("draft-vocab-file", po::value(&o.draft_vocab_file),
       "token ids most frequent first (JSON array, as a head's draft_vocab.json) for the token loss's rows "
       "(config draft_vocab) and the new head's draft_vocab.json; default: the --data answers' tokens by "
       "frequency. With --init-head HEAD and HEAD/draft_vocab.json, scores a head on its own list")
      ("steps", po::value(&o.steps)->default_value(-1), "stop after this step (-1: the config's total_steps)")
      ("log-every", po::value(&o.log_every)->default_value(10), "print and log every N steps")
      ("head-dtype", po::value(&o.head_dtype)->default_value("BF16"), "dtype of the final head: BF16 or F32")
      ("fresh", po::bool_switch(&o.fresh), "start over even when OUT has checkpoints")
      ("evaluate", po::bool_switch(&o.evaluate),
       "no training: score the --init-head head (with its own inputs) on every held-out sequence "
       "(--validation-data, else --data's validation split) and print the validation as one JSON line; --out is "
       "not needed and nothing is written");
  return desc;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "cannot open '" + path + "'");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The config file (or {}) with each KEY=VALUE applied, as TrainerConfig::from_json checks it;
// checkpoints go to OUT/checkpoints unless the config says otherwise.
TrainerConfig load_config(const TrainCliOptions& o) {
  nlohmann::json j = nlohmann::json::object();
  if (!o.config_path.empty()) {
    try {
      j = nlohmann::json::parse(read_file(o.config_path));
    } catch (const nlohmann::json::exception& e) {
      throw Error(o.config_path + ": invalid JSON: " + e.what());
    }
    require(j.is_object(), o.config_path + ": expected a JSON object");
  }
  for (const std::string& kv : o.overrides) {
    const size_t eq = kv.find('=');
    require(eq != std::string::npos && eq > 0, "--set expects KEY=VALUE, got '" + kv + "'");
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    j[key] = nlohmann::json::accept(value) ? nlohmann::json::parse(value) : nlohmann::json(value);
  }
  if (!j.contains("checkpoint_dir")) j["checkpoint_dir"] = o.out_dir + "/checkpoints";
  return TrainerConfig::from_json(j.dump(), o.config_path.empty() ? "--set" : o.config_path);
}

// The newest checkpoint folder under dir, or "" when there is none.
std::string newest_checkpoint(const std::string& dir) {
  std::string best;
  if (!fs::is_directory(dir)) return best;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.starts_with("step-") && !name.ends_with(".partial") && name > fs::path(best).filename().string()) {
      best = e.path().string();
    }
  }
  return best;
}

std::string vector_json(const std::vector<double>& v) { return nlohmann::json(v).dump(); }

nlohmann::json validation_json(int64_t step, const ValidationResult& v) {
  return {{"kind", "validation"},
          {"step", step},
          {"sequences", v.sequences},
          {"loss", v.total_loss},
          {"accuracy_target", v.accuracy_target()},
          {"accuracy_token", v.accuracy_token()},
          // depth 0 by the target's top-1 probability, bins of width 1 / ValidationResult::kConfidenceBins
          {"depth0_by_target_confidence", {{"positions", v.scored_by_confidence},
                                           {"accuracy_target", v.accuracy_by_confidence()}}}};
}

class TrainLog {
 public:
  explicit TrainLog(const std::string& path) : out_(path, std::ios::app) {
    require(out_.good(), "cannot write '" + path + "'");
  }
  void step(const StepMetrics& m, double tokens_per_second) {
    nlohmann::json j = {{"kind", "step"},        {"step", m.step},          {"epoch", m.epoch},
                        {"loss", m.loss},        {"feature_loss", m.feature_loss}, {"token_loss", m.token_loss},
                        {"token_kl", m.token_kl}, {"positions", m.positions}, {"lr", m.lr},
                        {"grad_norm", m.grad_norm}, {"tokens_per_second", tokens_per_second}};
    if (!m.depth_loss.empty()) j["depth_loss"] = m.depth_loss;  // rollout_depths > 1
    out_ << j.dump() << "\n" << std::flush;
  }
  void validation(int64_t step, const ValidationResult& v) { out_ << validation_json(step, v).dump() << "\n" << std::flush; }

 private:
  std::ofstream out_;
};

void write_run_file(const TrainCliOptions& o, const TrainerConfig& config) {
  const nlohmann::json run = {{"model", o.engine.model_path},
                              {"data", o.data_dirs},
                              {"validation_data", o.validation_dir},
                              {"trainer", nlohmann::json::parse(config.to_json())}};
  std::ofstream(o.out_dir + "/run.json") << run.dump(2) << "\n";
}

// Throws unless `head` (from --init-head) fits the target and the config's inputs.
void check_init_head(const DraftHead& head, const TrainCliOptions& o, const TrainerConfig& config, const Model& target) {
  const DraftHeadConfig expected = DraftHeadConfig::for_target(target.config());
  require(head.config().hidden_size == expected.hidden_size && head.config().vocab_size == expected.vocab_size,
          "--init-head " + o.init_head + ": the head does not fit the target (hidden or vocabulary size differs)");
  require(head.config().inputs == config.inputs,
          "--init-head " + o.init_head + ": the head's inputs differ from the config's 'inputs'");
  std::cerr << "train: starting from the weights of " << o.init_head << "\n";
}

// The head a fresh run starts from: --init-head's weights (its inputs must match the config's), or the
// official random initialisation.
DraftHead starting_head(const TrainCliOptions& o, const TrainerConfig& config, const Model& target) {
  DraftHead head = o.init_head.empty() ? Trainer::initial_head(target, config.inputs, config.seed)
                                       : DraftHead::load(o.init_head);
  if (!o.init_head.empty()) check_init_head(head, o, config, target);
  if (!o.growth.any()) return head;
  DraftHead grown = train::grow_head(head, o.growth, config.seed);
  std::cerr << fmt::format("train: grown to intermediate_size {}, {} key/value heads, {} layers, tap layers [{}]\n",
                           grown.config().intermediate_size, grown.config().n_kv_heads, grown.config().n_layers,
                           join_layers(grown.config().tap_layers));
  return grown;
}

}  // namespace

int run_train(int argc, char** argv) {
  TrainCliOptions o;
  po::variables_map vm;
  if (!parse_args("train", argc, argv, train_options(o), vm)) return 0;
  require(!o.data_dirs.empty(), "--data is required (see 'eaglerun train --help')");
  require(o.evaluate || !o.out_dir.empty(), "--out is required (see 'eaglerun train --help')");
  require(!o.evaluate || !o.init_head.empty(), "--evaluate scores a trained head: give it with --init-head");
  require(o.head_dtype == "BF16" || o.head_dtype == "F32", "--head-dtype must be BF16 or F32");
  require(o.log_every > 0, "--log-every must be positive");
  require(o.growth.intermediate_size >= 0 && o.growth.n_kv_heads >= 0 && o.growth.n_layers >= 0,
          "--widen-mlp, --kv-heads and --layers must not be negative");
  o.growth.tap_layers = parse_layers(o.tap_layers, "--tap-layers");
  const bool resized = o.growth.intermediate_size != 0 || o.growth.n_kv_heads != 0 || o.growth.n_layers != 0;
  require(!o.init_head.empty() || !resized, "--widen-mlp, --kv-heads and --layers grow the --init-head head: give it");
  require(!o.evaluate || !o.growth.any(),
          "--evaluate scores the --init-head head as it is: drop --widen-mlp, --kv-heads, --layers and --tap-layers");
  finish_engine_options(o.engine, o.precision);
  TrainerConfig config = load_config(o);
  if (o.evaluate) config.validation_sequences = 0;  // all of them
  if (!o.evaluate) fs::create_directories(o.out_dir);

  Engine engine(o.engine);
  const bool split = o.validation_dir.empty();
  const Hdf5TrainingDataSource data(o.data_dirs, split ? DataSplit::Train : DataSplit::All);
  const Hdf5TrainingDataSource validation(split ? o.data_dirs : std::vector<std::string>{o.validation_dir},
                                          split ? DataSplit::Validation : DataSplit::All);
  std::cerr << fmt::format("train: {} training sequences ({} tokens), {} validation sequences\n", data.size(),
                           data.n_tokens(), validation.size());

  ThreadPool& pool = engine.model().pool();
  // The answers' tokens, most frequent first (or the given list): the head's draft_vocab.json, and the
  // token loss's rows when the config sets draft_vocab.
  const int64_t vocab_size = engine.model().config().vocab_size;
  const std::vector<int32_t> vocabulary = o.draft_vocab_file.empty()
                                              ? draft_vocabulary_by_frequency(o.data_dirs, vocab_size)
                                              : read_draft_vocabulary(o.draft_vocab_file, 0, vocab_size);
  if (o.evaluate) {
    DraftHead head = DraftHead::load(o.init_head);
    config.inputs = head.config().inputs;  // scored with the inputs it was trained on
    check_init_head(head, o, config, engine.model());
    Trainer trainer(config, std::move(head), engine.model(), data, pool, &validation, vocabulary);
    std::cout << validation_json(0, trainer.validate()).dump() << "\n";
    return 0;
  }
  const std::string resume_from = o.fresh ? "" : newest_checkpoint(config.checkpoint_dir);
  std::unique_ptr<Trainer> trainer;
  if (resume_from.empty()) {
    write_run_file(o, config);
    trainer = std::make_unique<Trainer>(config, starting_head(o, config, engine.model()), engine.model(), data, pool,
                                        &validation, vocabulary);
  } else {
    std::cerr << "train: resuming from " << resume_from << " (its config is used)\n";
    trainer = std::make_unique<Trainer>(Trainer::resume(resume_from, engine.model(), data, pool, &validation));
  }

  TrainLog log(o.out_dir + "/train_log.jsonl");
  int64_t tokens = 0;
  double seconds = 0;
  TrainerCallbacks cb;
  cb.on_step = [&](const StepMetrics& m) {
    tokens += m.head_rows;
    seconds += m.seconds;
    if (m.step % o.log_every != 0) return;
    const double rate = seconds > 0 ? tokens / seconds : 0.0;
    log.step(m, rate);
    std::cerr << fmt::format("step {:>7} epoch {} loss {:.4f} (feature {:.4f}, token {:.3f}, kl {:.3f}) lr {:.2e} "
                             "|g| {:.3f} {:.0f} tokens/s\n",
                             m.step, m.epoch, m.loss, m.feature_loss, m.token_loss, m.token_kl, m.lr, m.grad_norm, rate);
    tokens = 0;
    seconds = 0;
  };
  cb.on_validation = [&](int64_t step, const ValidationResult& v) {
    log.validation(step, v);
    std::cerr << fmt::format("validation at step {}: loss {:.4f}, top-1 vs target by depth {}\n", step, v.total_loss,
                             vector_json(v.accuracy_target()));
  };
  cb.on_checkpoint = [](int64_t, const std::string& dir) { std::cerr << "train: saved " << dir << "\n"; };

  const int64_t until = o.steps >= 0 ? o.steps : trainer->config().total_steps;
  trainer->run(until, cb);
  const int64_t every = trainer->config().validate_every;
  if (every == 0 || trainer->steps_done() % every != 0) cb.on_validation(trainer->steps_done(), trainer->validate());
  trainer->save_checkpoint(fs::path(trainer->config().checkpoint_dir) /
                           fmt::format("step-{:08d}", trainer->steps_done()));
  trainer->head().save(o.out_dir + "/head", o.head_dtype);
  write_draft_vocabulary(o.out_dir + "/head/draft_vocab.json", vocabulary);
  std::cerr << "train: head written to " << o.out_dir << "/head\n";
  return 0;
}

}  // namespace eaglerun::cli
