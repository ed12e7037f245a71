#include "simulator/cell_reader.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/error.h"
#include "core/runtime/engine.h"
#include "core/weights/safetensors_model.h"
#include "core/weights/text_file.h"
#include "experiments/hdf5_util.h"

namespace eaglerun::sim {

namespace {

template <typename T>
hid_t native_type();
template <>
hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <>
hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <>
hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }
template <>
hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

template <typename T>
std::vector<T> read_vector(hid_t file, const std::string& name, const std::string& path) {
  const h5::Handle ds = h5::wrap(H5Dopen2(file, name.c_str(), H5P_DEFAULT), h5::Handle::Kind::Dataset,
                                 path + ": no dataset " + name + " (not an experiment cell?)");
  const auto dims = h5::dataset_dims(ds.get(), path + ": " + name);
  std::vector<T> out(dims.empty() ? 1 : dims[0]);
  if (!out.empty())
    h5::check(H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), path + ": reading " + name);
  return out;
}

double read_double_attribute(hid_t object, const std::string& name, double missing) {
  if (!h5::has_attribute(object, name)) return missing;
  const h5::Handle a = h5::wrap(H5Aopen(object, name.c_str(), H5P_DEFAULT), h5::Handle::Kind::Attribute, name);
  double v = missing;
  h5::check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), "reading attribute " + name);
  return v;
}

h5::Handle open_cell(const std::string& path) {
  h5::silence_errors();
  h5::Handle f = h5::wrap(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), h5::Handle::Kind::File,
                          path + ": cannot open as HDF5");
  if (!h5::has_attribute(f.get(), "schema") || h5::read_string_attribute(f.get(), "schema") != "eaglerun.experiment")
    throw Error(path + ": not an experiment cell (schema eaglerun.experiment)");
  if (h5::read_int_attribute(f.get(), "schema_version") != 1)
    throw Error(path + ": experiment cell schema version " +
                std::to_string(h5::read_int_attribute(f.get(), "schema_version")) + " is not known (expected 1)");
  return f;
}

// Over every decoded token of every request: its prompt plus the tokens decoded before it.
double mean_context(const std::vector<int64_t>& prompt_offsets, const std::vector<int64_t>& output_offsets) {
  double sum = 0, tokens = 0;
  for (std::size_t i = 0; i + 1 < prompt_offsets.size() && i + 1 < output_offsets.size(); ++i) {
    const double p = static_cast<double>(prompt_offsets[i + 1] - prompt_offsets[i]);
    const double n = static_cast<double>(output_offsets[i + 1] - output_offsets[i]);
    sum += n * p + n * (n - 1) / 2;
    tokens += n;
  }
  return tokens > 0 ? sum / tokens : 0.0;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

double decode_rate(const std::vector<int64_t>& offsets, const std::vector<double>& seconds) {
  const double tokens = static_cast<double>(offsets.back() - offsets.front());
  double s = 0;
  for (double x : seconds) s += x;
  return s > 0 ? tokens / s : 0.0;
}

// The hidden size of the head the cell ran with, from its folder's config.json when that folder is
// here (the cell records the path it was given, relative to the repository or absolute); 0 otherwise.
int64_t recorded_head_hidden_size(hid_t file) {
  if (!h5::has_attribute(file, "head_path")) return 0;
  const std::string config = source_path(h5::read_string_attribute(file, "head_path")) + "/config.json";
  if (!std::filesystem::is_regular_file(config)) return 0;
  return parse_hf_config(read_text_file(config), config).hidden_size;
}

}  // namespace

CellMeasurement read_cell_measurement(const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5::hdf5_mutex());
  const h5::Handle f = open_cell(path);
  CellMeasurement m;
  m.path = path;
  const nlohmann::json config = nlohmann::json::parse(h5::read_string_attribute(f.get(), "config"));
  m.tree = config.value("trees", "");
  m.model = config.value("model", "");
  m.temperature = config.value("temperatures", 0.0);
  m.threads = h5::read_int_attribute(f.get(), "threads");
  m.tau = read_vector<double>(f.get(), "summary/tau", path).at(0);
  const auto sizes = read_vector<int32_t>(f.get(), "steps/tree_size", path);
  if (sizes.empty()) throw Error(path + ": the cell has no speculative steps");
  double total = 0;
  for (int32_t s : sizes) total += s;
  m.mean_tree_nodes = total / static_cast<double>(sizes.size());
  m.mean_draft_s = mean(read_vector<double>(f.get(), "steps/draft_seconds", path));
  m.mean_verify_s = mean(read_vector<double>(f.get(), "steps/verify_seconds", path));
  // Plain decoding produces one token per forward after the prefill's.
  const auto plain_forwards = read_vector<int64_t>(f.get(), "requests/plain_target_forwards", path);
  std::vector<int64_t> plain_offsets{0};
  for (int64_t n : plain_forwards) plain_offsets.push_back(plain_offsets.back() + n);
  m.plain_decode_tokens_per_s = decode_rate(plain_offsets, read_vector<double>(f.get(), "requests/plain_decode_seconds", path));
  const auto eagle_offsets = read_vector<int64_t>(f.get(), "requests/eagle_offsets", path);
  m.eagle_decode_tokens_per_s =
      decode_rate(eagle_offsets, read_vector<double>(f.get(), "requests/eagle_decode_seconds", path));
  m.mean_context = mean_context(read_vector<int64_t>(f.get(), "requests/prompt_offsets", path), eagle_offsets);
  m.decode_speedup = m.eagle_decode_tokens_per_s / m.plain_decode_tokens_per_s;
  m.load_average_start = read_double_attribute(f.get(), "load_average_start", -1.0);
  m.load_average_end = read_double_attribute(f.get(), "load_average_end", -1.0);
  return m;
}

AcceptanceModel acceptance_from_cell(const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5::hdf5_mutex());
  const h5::Handle f = open_cell(path);
  const auto step = read_vector<int32_t>(f.get(), "nodes/step", path);
  const auto depth = read_vector<int32_t>(f.get(), "nodes/depth", path);
  const auto rank = read_vector<int32_t>(f.get(), "nodes/rank", path);
  const auto parent = read_vector<int32_t>(f.get(), "nodes/parent", path);
  const auto accepted = read_vector<uint8_t>(f.get(), "nodes/accepted", path);
  const auto first_node = read_vector<int64_t>(f.get(), "steps/first_node", path);
  if (step.empty()) throw Error(path + ": the cell has no tree nodes");
  std::vector<std::vector<double>> seen, hit;
  for (std::size_t i = 0; i < step.size(); ++i) {
    if (depth[i] < 1 || parent[i] < 0) continue;
    const std::size_t parent_index = static_cast<std::size_t>(first_node.at(static_cast<std::size_t>(step[i])) + parent[i]);
    if (parent_index >= accepted.size()) throw Error(path + ": node " + std::to_string(i) + " has a parent outside its step");
    if (!accepted[parent_index]) continue;
    const auto d = static_cast<std::size_t>(depth[i] - 1), k = static_cast<std::size_t>(rank[i]);
    if (seen.size() <= d) seen.resize(d + 1), hit.resize(d + 1);
    if (seen[d].size() <= k) seen[d].resize(k + 1, 0.0), hit[d].resize(k + 1, 0.0);
    seen[d][k] += 1;
    hit[d][k] += accepted[i];
  }
  AcceptanceModel m;
  m.kind = AcceptanceModel::Kind::Positional;
  m.source = path;
  m.head_hidden_size = recorded_head_hidden_size(f.get());
  for (std::size_t d = 0; d < seen.size(); ++d) {
    std::vector<double> row;
    for (std::size_t k = 0; k < seen[d].size() && seen[d][k] > 0; ++k) row.push_back(hit[d][k] / seen[d][k]);
    if (row.empty()) break;
    m.p.push_back(row);
  }
  if (m.p.empty()) throw Error(path + ": no draft node under an accepted parent");
  return m;
}

}  // namespace eaglerun::sim
