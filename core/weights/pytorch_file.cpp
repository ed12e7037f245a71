#include "core/weights/pytorch_file.h"

#include <cstring>
#include <optional>

#include "core/error.h"
#include "core/weights/checked_math.h"
#include "core/weights/display_name.h"
#include "core/weights/pickle_reader.h"
#include "core/weights/zip_archive.h"

namespace eaglerun {
namespace {

constexpr std::size_t kMaxPickleBytes = 64u << 20;

bool starts_with(const std::byte* data, std::size_t size, const char* magic, std::size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// The pre-1.6 format starts with a pickled magic number: PROTO 2, LONG1 of 10 bytes.
bool is_legacy(const std::byte* data, std::size_t size) { return starts_with(data, size, "\x80\x02\x8a\x0a", 4); }

// ARCHIVE/data.pkl: the one entry of that name; returns ARCHIVE + "/".
std::string find_prefix(const ZipArchive& zip, const std::string& src) {
  std::string prefix;
  int found = 0;
  for (const ZipEntry& e : zip.entries()) {
    const std::string& n = e.name;
    if (n.size() >= 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0 && n.find('/') == n.size() - 9) {
      prefix = n.substr(0, n.size() - 8);
      ++found;
    }
  }
  require(found == 1, src + ": " + (found ? "several" : "no") +
                          " ARCHIVE/data.pkl entries (not a torch.save file, or a TorchScript archive)");
  return prefix;
}

class TensorBuilder {
 public:
  TensorBuilder(const ZipArchive& zip, std::string prefix, const std::string& src)
      : zip_(zip), prefix_(std::move(prefix)), src_(src) {}

  TensorView build(const std::string& name, const PickleTensor& t) const {
    const std::string what = src_ + ": tensor " + quote_name(name);
    const int64_t elem = dtype_info(t.storage.dtype).block_bytes;
    const ZipEntry* entry = zip_.find(prefix_ + "data/" + t.storage.key);
    require(entry != nullptr, what + ": its storage " + quote_name(t.storage.key) + " has no entry " +
                                  quote_name(prefix_ + "data/" + t.storage.key));
    const auto storage_bytes = checked::mul(static_cast<uint64_t>(t.storage.numel), static_cast<uint64_t>(elem));
    require(storage_bytes && *storage_bytes == entry->size,
            what + ": its storage " + quote_name(t.storage.key) + " declares " + std::to_string(t.storage.numel) +
                " elements of " + std::string(dtype_info(t.storage.dtype).name) + " but its entry holds " +
                std::to_string(entry->size) + " bytes");
    // Contiguous row-major: stride[i] = product of the sizes inside dim i (any stride for size 1).
    std::optional<uint64_t> numel = 1;
    for (std::size_t i = t.size.size(); i-- > 0;) {
      if (t.size[i] != 1 && numel && static_cast<uint64_t>(t.stride[i]) != *numel) {
        throw Error(what + " is not contiguous (size " + dims(t.size) + ", stride " + dims(t.stride) +
                    "); save tensor.contiguous() instead");
      }
      numel = numel ? checked::mul(*numel, static_cast<uint64_t>(t.size[i])) : std::nullopt;
    }
    const auto end = numel ? checked::add(static_cast<uint64_t>(t.offset), *numel) : std::nullopt;
    require(end && *end <= static_cast<uint64_t>(t.storage.numel),
            what + ": elements [" + std::to_string(t.offset) + ", +" + (numel ? std::to_string(*numel) : "overflow") +
                ") are outside its storage of " + std::to_string(t.storage.numel) + " elements");
    TensorView v;
    v.name = name;
    v.dtype = t.storage.dtype;
    v.shape = t.size;
    v.data = entry->data + static_cast<std::size_t>(t.offset) * static_cast<std::size_t>(elem);
    v.nbytes = static_cast<std::size_t>(*numel) * static_cast<std::size_t>(elem);
    return v;
  }

 private:
  static std::string dims(const std::vector<int64_t>& d) {
    std::string s = "(";
    for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + ")";
  }

  const ZipArchive& zip_;
  std::string prefix_;
  const std::string& src_;
};

}  // namespace

bool looks_like_pytorch_file(const std::byte* data, std::size_t size) {
  return starts_with(data, size, "PK\x03\x04", 4) || is_legacy(data, size);
}

std::unique_ptr<PytorchFile> PytorchFile::open(const std::string& path) {
  std::unique_ptr<PytorchFile> f(new PytorchFile());
  f->path_ = path;
  f->file_ = std::make_unique<MappedFile>(path);
  f->parse_image(f->file_->data(), f->file_->size());
  return f;
}

std::unique_ptr<PytorchFile> PytorchFile::parse(const std::byte* data, std::size_t size, const std::string& source) {
  std::unique_ptr<PytorchFile> f(new PytorchFile());
  f->path_ = source;
  f->parse_image(data, size);
  return f;
}

void PytorchFile::parse_image(const std::byte* data, std::size_t size) {
  const std::string& src = path_;
  require(!is_legacy(data, size), src + ": the legacy torch.save format (torch < 1.6) is not supported; "
                                        "load it in Python and torch.save it again");
  require(starts_with(data, size, "PK\x03\x04", 4), src + ": not a PyTorch file (no ZIP local header at its start)");
  const ZipArchive zip = ZipArchive::parse(data, size, src);
  const std::string prefix = find_prefix(zip, src);
  if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
    const std::string order(reinterpret_cast<const char*>(bo->data), static_cast<std::size_t>(bo->size));
    require(order == "little", src + ": byteorder is " + quote_name(order) + "; only little-endian files are supported");
  }
  const ZipEntry& pkl = *zip.find(prefix + "data.pkl");
  require(pkl.size <= kMaxPickleBytes, src + ": data.pkl of " + std::to_string(pkl.size) + " bytes exceeds the 64 MiB limit");
  require(crc32(pkl.data, static_cast<std::size_t>(pkl.size)) == pkl.crc32,
          src + ": data.pkl fails its CRC-32 check (corrupt file)");
  const PickleRef root = read_pickle(pkl.data, static_cast<std::size_t>(pkl.size), src);
  require(root->kind == PickleValue::Kind::Dict,
          src + ": data.pkl holds a " + std::string(root->kind_name()) + ", not a state dict (a dict of tensors)");
  const TensorBuilder builder(zip, prefix, src);
  for (const auto& [name, value] : root->entries) {
    require(value->kind == PickleValue::Kind::Tensor, src + ": state dict entry " + quote_name(name) + " is a " +
                                                          value->kind_name() + ", not a tensor");
    index_.emplace(name, tensors_.size());
    tensors_.push_back(builder.build(name, value->tensor));
  }
}

const TensorView* PytorchFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<std::string> PytorchFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const TensorView& t : tensors_) out.push_back(t.name);
  return out;
}

}  // namespace eaglerun
