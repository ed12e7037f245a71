#include "core/train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/weights/safetensors_file.h"
#include "core/weights/safetensors_writer.h"

namespace eaglerun::train {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  require(in.good(), "checkpoint: cannot open '" + path.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  require(out.good(), "checkpoint: cannot write '" + path.string() + "'");
}

void save_moments(const fs::path& path, const ParamLayout& layout, const OptimizerState& opt) {
  std::vector<TensorToWrite> tensors;
  for (const ParamSlice& s : layout.slices()) {
    tensors.push_back({"exp_avg." + s.name, s.shape, opt.exp_avg.data() + s.offset});
    tensors.push_back({"exp_avg_sq." + s.name, s.shape, opt.exp_avg_sq.data() + s.offset});
  }
  write_safetensors(path.string(), tensors, "F32");
}

void load_moments(const fs::path& path, const ParamLayout& layout, OptimizerState& opt) {
  const auto file = SafetensorsFile::open(path.string());
  opt.exp_avg.assign(static_cast<std::size_t>(layout.total()), 0.f);
  opt.exp_avg_sq.assign(opt.exp_avg.size(), 0.f);
  for (const ParamSlice& s : layout.slices()) {
    for (auto [prefix, dst] : {std::pair{"exp_avg.", &opt.exp_avg}, std::pair{"exp_avg_sq.", &opt.exp_avg_sq}}) {
      const TensorView* t = file->find(prefix + s.name);
      require(t != nullptr, path.string() + ": missing tensor '" + prefix + s.name + "'");
      require(t->dtype == DType::F32 && t->shape == s.shape, path.string() + ": tensor '" + prefix + s.name +
                                                                 "' is not F32 " + "of the parameter's shape");
      dequantize(t->dtype, t->data, s.size, dst->data() + s.offset);
    }
  }
}

}  // namespace

void save_checkpoint(const std::string& dir, const TrainingState& st) {
  fs::path final_dir = fs::path(dir).lexically_normal();
  if (!final_dir.has_filename()) final_dir = final_dir.parent_path();  // "ckpt/" -> "ckpt"
  fs::path tmp = final_dir;
  tmp += ".partial";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  st.head.save(tmp.string(), "F32");
  const ParamLayout layout(st.head.config());
  OptimizerState opt = st.optimizer;
  opt.exp_avg.resize(static_cast<std::size_t>(layout.total()), 0.f);  // before the first step: zeros
  opt.exp_avg_sq.resize(opt.exp_avg.size(), 0.f);
  save_moments(tmp / "optimizer.safetensors", layout, opt);
  write_text(tmp / "trainer_config.json", st.config.to_json());
  const nlohmann::json state = {{"format", 1},
                                {"step", st.optimizer.step},
                                {"samples_consumed", st.samples_consumed},
                                {"train_sequences", st.train_sequences}};
  write_text(tmp / "trainer_state.json", state.dump(2) + "\n");
  if (!st.draft_tokens.empty()) write_text(tmp / "draft_tokens.json", nlohmann::json(st.draft_tokens).dump() + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
}

TrainingState load_checkpoint(const std::string& dir) {
  const fs::path d(dir);
  require(fs::is_directory(d), "checkpoint: '" + dir + "' is not a folder");
  TrainingState st{TrainerConfig::from_json(read_text(d / "trainer_config.json"), (d / "trainer_config.json").string()),
                   DraftHead::load(dir),
                   {},
                   0,
                   0,
                   {}};
  const fs::path state_path = d / "trainer_state.json";
  try {
    const nlohmann::json j = nlohmann::json::parse(read_text(state_path));
    require(j.at("format").get<int>() == 1, state_path.string() + ": unsupported format");
    st.optimizer.step = j.at("step").get<int64_t>();
    st.samples_consumed = j.at("samples_consumed").get<int64_t>();
    st.train_sequences = j.at("train_sequences").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(state_path.string() + ": " + e.what());
  }
  if (st.config.draft_vocab > 0) {
    const fs::path tokens_path = d / "draft_tokens.json";
    try {
      st.draft_tokens = nlohmann::json::parse(read_text(tokens_path)).get<std::vector<int32_t>>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(tokens_path.string() + ": " + e.what());
    }
  }
  require(st.head.config().inputs == st.config.inputs, dir + ": the head's inputs differ from the trainer config's");
  require(static_cast<int64_t>(st.draft_tokens.size()) == st.config.draft_vocab,
          dir + ": draft_tokens.json does not list draft_vocab tokens");
  load_moments(d / "optimizer.safetensors", ParamLayout(st.head.config()), st.optimizer);
  return st;
}

}  // namespace eaglerun::train
