#include "core/weights/safetensors_model.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/weights/display_name.h"
#include "core/weights/safetensors_file.h"
#include "core/weights/text_file.h"

namespace eaglerun {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

// name -> shard file name, from model.safetensors.index.json.
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  json j;
  try {
    j = json::parse(read_text_file(index_path));
  } catch (const json::exception& e) {
    throw Error(index_path + ": invalid JSON: " + e.what());
  }
  auto it = j.is_object() ? j.find("weight_map") : j.end();
  require(it != j.end() && it->is_object() && !it->empty(), index_path + ": missing or empty object 'weight_map'");
  std::map<std::string, std::string> out;
  for (const auto& [name, shard] : it->items()) {
    require(shard.is_string() && !shard.get<std::string>().empty(),
            index_path + ": weight_map entry " + quote_name(name) + " is not a file name");
    out.emplace(name, shard.get<std::string>());
  }
  return out;
}

}  // namespace

struct SafetensorsModel::Impl {
  std::string source;                                    // directory or .safetensors path
  ModelConfig config;
  std::vector<std::unique_ptr<SafetensorsFile>> shards;  // each opened once
  std::unordered_map<std::string, const TensorView*> tensors;

  void add_file(const std::string& path) {
    shards.push_back(SafetensorsFile::open(path));
    for (const TensorView& t : shards.back()->tensors()) tensors.emplace(t.name, &t);
  }

  // Every tensor of the weight map, looked up in its shard; each shard is opened once.
  void add_sharded(const std::string& dir, const std::string& index_path) {
    std::map<std::string, const SafetensorsFile*> opened;  // shard file name -> file
    for (const auto& [name, shard] : read_weight_map(index_path)) {
      const SafetensorsFile*& f = opened[shard];
      if (!f) {
        const std::string path = (fs::path(dir) / shard).string();
        require(fs::is_regular_file(path),
                index_path + ": shard " + quote_name(shard) + " (holding tensor " + quote_name(name) + ") does not exist");
        shards.push_back(SafetensorsFile::open(path));
        f = shards.back().get();
      }
      const TensorView* t = f->find(name);
      require(t != nullptr,
              index_path + ": tensor " + quote_name(name) + " is mapped to " + quote_name(shard) + ", which does not contain it");
      tensors.emplace(name, t);
    }
  }
};

std::unique_ptr<SafetensorsModel> SafetensorsModel::open_dir(const std::string& dir) {
  const std::string config_path = (fs::path(dir) / "config.json").string();
  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  const std::string single_path = (fs::path(dir) / "model.safetensors").string();
  require(fs::is_regular_file(config_path), dir + ": no config.json in the model directory");
  auto impl = std::make_unique<Impl>();
  impl->source = dir;
  impl->config = parse_hf_config(read_text_file(config_path), config_path);
  if (fs::exists(index_path)) {
    impl->add_sharded(dir, index_path);
  } else if (fs::exists(single_path)) {
    impl->add_file(single_path);
  } else {
    throw Error(dir + ": neither model.safetensors nor model.safetensors.index.json in the model directory");
  }
  return std::unique_ptr<SafetensorsModel>(new SafetensorsModel(std::move(impl)));
}

std::unique_ptr<SafetensorsModel> SafetensorsModel::open_files(const std::string& safetensors_path,
                                                               const std::string& config_json_path) {
  auto impl = std::make_unique<Impl>();
  impl->source = safetensors_path;
  impl->config = parse_hf_config(read_text_file(config_json_path), config_json_path);
  impl->add_file(safetensors_path);
  return std::unique_ptr<SafetensorsModel>(new SafetensorsModel(std::move(impl)));
}

SafetensorsModel::SafetensorsModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsModel::~SafetensorsModel() = default;

const TensorView* SafetensorsModel::find(const std::string& name) const {
  auto it = impl_->tensors.find(name);
  return it == impl_->tensors.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsModel::names() const {
  std::vector<std::string> out;
  out.reserve(impl_->tensors.size());
  for (const auto& [name, t] : impl_->tensors) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

const ModelConfig& SafetensorsModel::config() const { return impl_->config; }
std::string SafetensorsModel::source() const { return impl_->source; }

}  // namespace eaglerun
