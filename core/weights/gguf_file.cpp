#include "core/weights/gguf_file.h"

#include "core/error.h"
#include "core/weights/gguf_config.h"
#include "core/weights/gguf_parser.h"

namespace eaglerun {

struct GgufFile::Impl {
  std::string path;
  std::unique_ptr<MappedFile> file;  // null when parsing a caller's buffer
  GgufContents contents;
  std::unordered_map<std::string, std::size_t> tensor_index;  // name -> index in contents.tensors
  std::optional<ModelConfig> config;
  std::string config_error;          // why config is absent (unsupported architecture, ...)

  void build(const std::byte* data, std::size_t size) {
    contents = parse_gguf(data, size, path);
    for (std::size_t i = 0; i < contents.tensors.size(); ++i) tensor_index.emplace(contents.tensors[i].name, i);
    // Built now so config() is a plain const read. A file whose architecture is not supported
    // still opens (its metadata and tensors stay readable); config() throws the reason.
    try {
      config = config_from_gguf(contents.metadata, tensor_index.count("output.weight") != 0, path);
    } catch (const Error& e) {
      config_error = e.what();
    }
  }
};

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->file = std::make_unique<MappedFile>(path);
  impl->build(impl->file->data(), impl->file->size());
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

std::unique_ptr<GgufFile> GgufFile::parse(const std::byte* data, std::size_t size, const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->path = source;
  impl->build(data, size);
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

uint32_t GgufFile::version() const { return impl_->contents.version; }
const std::string& GgufFile::path() const { return impl_->path; }
const GgufMetadata& GgufFile::metadata() const { return impl_->contents.metadata; }
const std::vector<TensorView>& GgufFile::tensors() const { return impl_->contents.tensors; }
uint64_t GgufFile::alignment() const { return impl_->contents.alignment; }

bool GgufFile::has(const std::string& key) const { return impl_->contents.metadata.has(key); }
std::string GgufFile::get_string(const std::string& key) const { return impl_->contents.metadata.get_string(key); }
int64_t GgufFile::get_int(const std::string& key) const { return impl_->contents.metadata.get_int(key); }
double GgufFile::get_float(const std::string& key) const { return impl_->contents.metadata.get_float(key); }
bool GgufFile::get_bool(const std::string& key) const { return impl_->contents.metadata.get_bool(key); }
std::vector<std::string> GgufFile::get_string_array(const std::string& key) const {
  return impl_->contents.metadata.get_string_array(key);
}
std::vector<int64_t> GgufFile::get_int_array(const std::string& key) const {
  return impl_->contents.metadata.get_int_array(key);
}
std::vector<double> GgufFile::get_float_array(const std::string& key) const {
  return impl_->contents.metadata.get_float_array(key);
}
std::vector<std::string> GgufFile::metadata_keys() const { return impl_->contents.metadata.keys(); }

const TensorView* GgufFile::find(const std::string& name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->contents.tensors[it->second];
}

std::vector<std::string> GgufFile::names() const {
  std::vector<std::string> out;
  out.reserve(impl_->contents.tensors.size());
  for (const TensorView& t : impl_->contents.tensors) out.push_back(t.name);
  return out;
}

const ModelConfig& GgufFile::config() const {
  if (!impl_->config) throw Error(impl_->config_error);
  return *impl_->config;
}

}  // namespace eaglerun
