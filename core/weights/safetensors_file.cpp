#include "core/weights/safetensors_file.h"

#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/weights/byte_ranges.h"
#include "core/weights/checked_math.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

using nlohmann::json;

std::optional<DType> dtype_from_name(const std::string& s) {
  if (s == "F32") return DType::F32;
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  return std::nullopt;
}

// Reads one tensor's entry; offsets are still relative to the data section.
class EntryReader {
 public:
  EntryReader(const std::string& source, const std::string& name, const json& entry)
      : source_(source), name_(name), entry_(entry) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw Error(source_ + ": tensor " + quote_name(name_) + " " + message);
  }

  const json& field(const char* key) const {
    if (!entry_.is_object()) fail("entry is not a JSON object");
    auto it = entry_.find(key);
    if (it == entry_.end()) fail(std::string("has no \"") + key + "\"");
    return *it;
  }

  DType dtype() const {
    const json& d = field("dtype");
    if (!d.is_string()) fail("has a \"dtype\" that is not a string");
    const auto t = dtype_from_name(d.get<std::string>());
    if (!t) fail("has unsupported dtype " + quote_name(d.get<std::string>()) + " (supported: F32, F16, BF16)");
    return *t;
  }

  std::vector<int64_t> shape() const {
    const json& s = field("shape");
    if (!s.is_array() || s.size() > 8) fail("has a \"shape\" that is not an array of at most 8 sizes");
    std::vector<int64_t> out;
    for (const json& d : s) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
        fail("has a \"shape\" entry that is not a non-negative integer");
      }
      out.push_back(d.get<int64_t>());
    }
    return out;
  }

  std::pair<uint64_t, uint64_t> offsets() const {
    const json& o = field("data_offsets");
    if (!o.is_array() || o.size() != 2 || !o[0].is_number_unsigned() || !o[1].is_number_unsigned()) {
      fail("has \"data_offsets\" that are not two non-negative integers");
    }
    const uint64_t begin = o[0].get<uint64_t>(), end = o[1].get<uint64_t>();
    if (begin > end) fail("has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ") with begin > end");
    return {begin, end};
  }

  // Bytes the shape needs, or a failure when the element count overflows.
  uint64_t needed_bytes(DType t, const std::vector<int64_t>& shape) const {
    std::optional<uint64_t> n = static_cast<uint64_t>(dtype_info(t).block_bytes);
    for (int64_t d : shape) n = n ? checked::mul(*n, static_cast<uint64_t>(d)) : std::nullopt;
    if (!n) fail("is too large");
    return *n;
  }

 private:
  const std::string& source_;
  const std::string& name_;
  const json& entry_;
};

std::string dtype_upper(DType t) {
  return t == DType::F32 ? "F32" : t == DType::F16 ? "F16" : "BF16";
}

std::string shape_string(const std::vector<int64_t>& shape) {
  TensorView v;
  v.shape = shape;
  return v.shape_string();
}

// A JSON parser callback that rejects duplicate tensor names and deep nesting.
json::parser_callback_t unique_keys_callback(const std::string& src) {
  auto seen = std::make_shared<std::unordered_set<std::string>>();
  return [seen, src](int depth, json::parse_event_t event, json& parsed) {
    require(depth <= 16, src + ": the JSON header is nested too deeply");
    if (event == json::parse_event_t::key && depth == 1) {
      const auto& name = parsed.get_ref<const std::string&>();
      require(seen->insert(name).second, src + ": duplicate tensor name " + quote_name(name));
    }
    return true;
  };
}

}  // namespace

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->file_ = std::make_unique<MappedFile>(path);
  f->parse_image(f->file_->data(), f->file_->size());
  return f;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::parse(const std::byte* data, std::size_t size,
                                                        const std::string& source) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = source;
  f->parse_image(data, size);
  return f;
}

void SafetensorsFile::parse_image(const std::byte* data, std::size_t size) {
  const std::string& src = path_;
  require(size >= 8, src + ": truncated: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  uint64_t header_len;
  std::memcpy(&header_len, data, 8);
  require(header_len <= kMaxHeaderBytes,
          src + ": header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
  require(header_len <= size - 8, src + ": header length " + std::to_string(header_len) + " exceeds the file size " +
                                      std::to_string(size) + " (truncated or not a safetensors file)");
  const char* text = reinterpret_cast<const char*>(data + 8);
  json header;
  try {
    header = json::parse(text, text + header_len, unique_keys_callback(src));
  } catch (const json::exception& e) {
    throw Error(src + ": invalid JSON header: " + e.what());
  }
  require(header.is_object(), src + ": the JSON header is not an object");
  const std::byte* section = data + 8 + header_len;
  const uint64_t section_size = size - 8 - header_len;
  std::vector<ByteRange> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      require(entry.is_object(), src + ": \"__metadata__\" is not a JSON object");
      for (const auto& [k, v] : entry.items()) {
        if (v.is_string()) metadata_.emplace(k, v.get<std::string>());
      }
      continue;
    }
    const EntryReader r(src, name, entry);
    TensorView t;
    t.name = name;
    t.dtype = r.dtype();
    t.shape = r.shape();
    const auto [begin, end] = r.offsets();
    const uint64_t need = r.needed_bytes(t.dtype, t.shape);
    if (end - begin != need) {
      r.fail("has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + ") of " +
             std::to_string(end - begin) + " bytes, but shape " + shape_string(t.shape) + " of " +
             dtype_upper(t.dtype) + " needs " + std::to_string(need));
    }
    if (end > section_size) {
      r.fail("data [" + std::to_string(begin) + ", " + std::to_string(end) + ") is outside the data section (" +
             std::to_string(section_size) + " bytes)");
    }
    t.data = section + begin;
    t.nbytes = static_cast<std::size_t>(need);
    ranges.push_back({begin, end, name});
    index_.emplace(name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  check_no_overlap(std::move(ranges), src);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const TensorView& t : tensors_) out.push_back(t.name);
  return out;
}

}  // namespace eaglerun
