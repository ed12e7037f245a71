#include "core/weights/open_model.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/weights/gguf_file.h"
#include "core/weights/safetensors_model.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

bool has_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

std::unique_ptr<WeightStore> open_file(const fs::path& p) {
  const std::string path = p.string();
  if (p.extension() == ".gguf" || has_gguf_magic(path)) return GgufFile::open(path);
  if (p.extension() == ".safetensors") {
    const fs::path config = p.parent_path() / "config.json";
    require(fs::is_regular_file(config), path + ": no config.json beside the .safetensors file");
    return SafetensorsModel::open_files(path, config.string());
  }
  throw Error(path + ": not a model file (neither GGUF, by its magic, nor .safetensors)");
}

}  // namespace

std::unique_ptr<WeightStore> open_model(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  const fs::file_status st = fs::status(p, ec);
  require(fs::exists(st), "model path '" + path + "' does not exist");
  if (fs::is_directory(st)) return SafetensorsModel::open_dir(path);
  return open_file(p);
}

}  // namespace eaglerun
