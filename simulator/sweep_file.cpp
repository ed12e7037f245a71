#include "simulator/sweep_file.h"

#include <fmt/core.h>

#include <filesystem>
#include <functional>

#include "core/error.h"
#include "experiments/feature_shard.h"
#include "experiments/feature_store.h"
#include "experiments/hdf5_util.h"
#include "experiments/run_provenance.h"
#include "core/runtime/engine.h"

namespace eaglerun::sim {

namespace {

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

template <typename T>
void write_column(hid_t file, const std::string& name, hid_t type, const std::vector<T>& values) {
  const hsize_t n = values.size();
  const h5::Handle space = h5::wrap(H5Screate_simple(1, &n, nullptr), h5::Handle::Kind::Dataspace, name);
  const h5::Handle ds = h5::wrap(H5Dcreate2(file, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 h5::Handle::Kind::Dataset, "creating " + name);
  if (n > 0) h5::check(H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "writing " + name);
}

template <typename T>
std::vector<T> column(const std::vector<SweepPoint>& points, const std::function<T(const SweepPoint&)>& get) {
  std::vector<T> out;
  for (const SweepPoint& p : points) out.push_back(get(p));
  return out;
}

}  // namespace

std::string sweep_point_line(const SweepPoint& p) {
  const SimulationInputs& in = p.inputs;
  const std::string where =
      fmt::format("{} | {}{} | tp {} pp {} ep {} | {} | {} | batch {} context {}", stem(in.model_path), stem(in.hardware_path),
                  in.runtime_path.empty() ? "" : " | " + stem(in.runtime_path), in.tp, in.pp, in.ep, in.weights, in.tree,
                  in.batch, in.context);
  if (!p.error.empty()) return where + " | error: " + p.error;
  return where + fmt::format(" | tau {:.2f} plain {:.1f} EAGLE {:.1f} tok/s speedup {:.2f}x | max batch {} / {}", p.tau,
                             p.plain_tokens_per_s, p.eagle_tokens_per_s, p.speedup, p.max_batch_plain, p.max_batch_eagle);
}

nlohmann::json sweep_point_json(const SweepPoint& p) {
  const SimulationInputs& in = p.inputs;
  nlohmann::json j = {{"model", in.model_path}, {"hardware", in.hardware_path}, {"runtime", in.runtime_path}, {"tp", in.tp}, {"pp", in.pp},
                      {"ep", in.ep}, {"weights", in.weights}, {"tree", in.tree}, {"batch", in.batch},
                      {"context", in.context}};
  if (!p.error.empty()) {
    j["error"] = p.error;
    return j;
  }
  j.update({{"tau", p.tau}, {"plain_tokens_per_s", p.plain_tokens_per_s}, {"eagle_tokens_per_s", p.eagle_tokens_per_s},
            {"speedup", p.speedup}, {"gpus", p.gpus}, {"tree_nodes", p.tree_nodes},
            {"max_batch_plain", p.max_batch_plain}, {"max_batch_eagle", p.max_batch_eagle}});
  return j;
}

void write_sweep_file(const std::string& path, const std::vector<SweepPoint>& points, const std::string& command_line) {
  std::lock_guard<std::recursive_mutex> lock(h5::hdf5_mutex());
  h5::silence_errors();
  const std::string partial = path + ".partial";
  {
    const h5::Handle f = h5::wrap(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                                  h5::Handle::Kind::File, partial + ": cannot create");
    const hid_t id = f.get();
    h5::write_attribute(id, "schema", std::string("eaglerun.simulation"));
    h5::write_attribute(id, "schema_version", int64_t{1});
    const GitState git = git_state(source_path("."));
    h5::write_attribute(id, "git_commit", git.commit);
    h5::write_attribute(id, "git_dirty", int64_t{git.dirty ? 1 : 0});
    h5::write_attribute(id, "date_utc", utc_now());
    h5::write_attribute(id, "command_line", command_line);
    using S = const SweepPoint&;
    h5::write_string_dataset(id, "model", column<std::string>(points, [](S p) { return stem(p.inputs.model_path); }));
    h5::write_string_dataset(id, "hardware", column<std::string>(points, [](S p) { return stem(p.inputs.hardware_path); }));
    h5::write_string_dataset(id, "runtime", column<std::string>(points, [](S p) {
      return p.inputs.runtime_path.empty() ? std::string("default") : stem(p.inputs.runtime_path);
    }));
    h5::write_string_dataset(id, "weights", column<std::string>(points, [](S p) { return p.inputs.weights; }));
    h5::write_string_dataset(id, "tree", column<std::string>(points, [](S p) { return p.inputs.tree; }));
    h5::write_string_dataset(id, "error", column<std::string>(points, [](S p) { return p.error; }));
    const auto ints = [&](const char* name, std::function<int64_t(S)> get) {
      write_column(id, name, H5T_NATIVE_INT64, column<int64_t>(points, get));
    };
    const auto reals = [&](const char* name, std::function<double(S)> get) {
      write_column(id, name, H5T_NATIVE_DOUBLE, column<double>(points, get));
    };
    ints("tp", [](S p) { return p.inputs.tp; });
    ints("pp", [](S p) { return p.inputs.pp; });
    ints("ep", [](S p) { return p.inputs.ep; });
    ints("gpus", [](S p) { return p.inputs.tp * p.inputs.pp * p.inputs.ep; });
    ints("batch", [](S p) { return p.inputs.batch; });
    ints("context", [](S p) { return p.inputs.context; });
    ints("tree_nodes", [](S p) { return p.tree_nodes; });
    ints("max_batch_plain", [](S p) { return p.max_batch_plain; });
    ints("max_batch_eagle", [](S p) { return p.max_batch_eagle; });
    reals("tau", [](S p) { return p.tau; });
    reals("plain_tokens_per_second", [](S p) { return p.plain_tokens_per_s; });
    reals("eagle_tokens_per_second", [](S p) { return p.eagle_tokens_per_s; });
    reals("speedup", [](S p) { return p.speedup; });
    reals("plain_step_seconds", [](S p) { return p.plain_step_s; });
    reals("eagle_step_seconds", [](S p) { return p.eagle_step_s; });
    reals("draft_seconds", [](S p) { return p.draft_s; });
    reals("verify_seconds", [](S p) { return p.verify_s; });
    reals("gemm_seconds", [](S p) { return p.gemm_s; });
    reals("attention_seconds", [](S p) { return p.attention_s; });
    reals("moe_seconds", [](S p) { return p.moe_s; });
    reals("communication_seconds", [](S p) { return p.communication_s; });
    reals("launch_seconds", [](S p) { return p.launch_s; });
    reals("host_seconds", [](S p) { return p.host_s; });
    reals("memory_per_gpu_bytes", [](S p) { return p.memory_per_gpu_bytes; });
    h5::check(H5Fflush(id, H5F_SCOPE_GLOBAL), partial + ": flush");
  }
  commit_shard(partial, path);  // fsync, rename, fsync the folder: a reader never sees half a sweep
}

}  // namespace eaglerun::sim
