#include "core/weights/gguf_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/weights/byte_ranges.h"
#include "core/weights/checked_math.h"
#include "core/weights/display_name.h"
#include "core/weights/ggml_types.h"

namespace eaglerun {
namespace {

constexpr uint64_t kMaxKeyBytes = 65535;   // spec: keys are at most 2^16-1 bytes
constexpr uint64_t kMaxNameBytes = 64;     // spec: tensor names are at most 64 bytes
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;               // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // empty name, n_dims, 1 dim, type, offset

// A tensor info as stored: dims innermost first, offset relative to the data section.
struct RawTensorInfo {
  std::string_view name;
  std::vector<uint64_t> dims;
  DType dtype = DType::F32;
  uint64_t offset = 0;
};

void read_magic_and_version(ByteReader& r, GgufContents& out) {
  r.set_context("the magic");
  const std::byte* magic = r.take(4);
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    r.fail("not a GGUF file (magic is " + quote_name({reinterpret_cast<const char*>(magic), 4}) + ", expected 'GGUF')");
  }
  r.set_context("the version");
  out.version = r.u32();
  if (out.version == 1) r.fail("GGUF version 1 is not supported (supported: 2, 3)");
  if (out.version == 0x02000000 || out.version == 0x03000000) r.fail("big-endian GGUF files are not supported");
  if (out.version != 2 && out.version != 3) {
    r.fail("unsupported GGUF version " + std::to_string(out.version) + " (supported: 2, 3)");
  }
}

// A count read from the header must leave at least min_bytes per item in the rest of the file.
uint64_t read_count(ByteReader& r, const char* what, uint64_t min_bytes) {
  r.set_context(what);
  const uint64_t n = r.u64();
  if (n > r.remaining() / min_bytes) {
    r.fail("truncated or corrupt: " + std::string(what) + " " + std::to_string(n) + " needs at least " +
           std::to_string(n) + " x " + std::to_string(min_bytes) + " bytes, only " + std::to_string(r.remaining()) +
           " remain");
  }
  return n;
}

void read_metadata(ByteReader& r, uint64_t count, GgufMetadata& md) {
  for (uint64_t i = 0; i < count; ++i) {
    r.set_context("the key of metadata entry #" + std::to_string(i));
    const std::string_view key = r.string();
    if (key.size() > kMaxKeyBytes) r.fail("metadata key #" + std::to_string(i) + " is longer than 65535 bytes");
    r.set_context("metadata key " + quote_name(key));
    const uint32_t type = r.u32();
    md.add(std::string(key), read_gguf_value(r, type));
  }
}

uint64_t read_alignment(ByteReader& r, const GgufMetadata& md) {
  const GgufValue* v = md.find("general.alignment");
  if (!v) return 32;
  const auto a = is_integer(v->type) ? decode_int(v->type, v->raw) : std::nullopt;
  if (!a || *a <= 0 || !checked::is_power_of_two(static_cast<uint64_t>(*a))) {
    r.fail("general.alignment must be a positive power of two");
  }
  return static_cast<uint64_t>(*a);
}

std::vector<uint64_t> read_dims(ByteReader& r, std::string_view name) {
  const uint32_t n_dims = r.u32();
  if (n_dims == 0 || n_dims > kMaxDims) {
    r.fail("tensor " + quote_name(name) + " has " + std::to_string(n_dims) + " dims (supported: 1 to 4)");
  }
  std::vector<uint64_t> dims(n_dims);
  for (auto& d : dims) d = r.u64();
  return dims;
}

RawTensorInfo read_tensor_info(ByteReader& r, uint64_t i) {
  RawTensorInfo t;
  r.set_context("the name of tensor info #" + std::to_string(i));
  t.name = r.string();
  if (t.name.empty()) r.fail("tensor info #" + std::to_string(i) + " has an empty name");
  if (t.name.size() > kMaxNameBytes) r.fail("tensor name " + quote_name(t.name) + " is longer than 64 bytes");
  r.set_context("tensor info " + quote_name(t.name));
  t.dims = read_dims(r, t.name);
  const uint32_t type = r.u32();
  const auto dtype = dtype_from_ggml(type);
  if (!dtype) {
    r.fail("tensor " + quote_name(t.name) + " has unsupported type " + std::to_string(type) + " (" +
           std::string(ggml_type_name(type)) + ")");
  }
  t.dtype = *dtype;
  t.offset = r.u64();
  return t;
}

// Checks the dims and returns the number of elements.
int64_t checked_numel(const ByteReader& r, const RawTensorInfo& t) {
  uint64_t n = 1;
  for (uint64_t d : t.dims) {
    if (d == 0 || d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      r.fail("tensor " + quote_name(t.name) + " has an invalid dimension " + std::to_string(d));
    }
    const auto m = checked::mul(n, d);
    if (!m || *m > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      r.fail("tensor " + quote_name(t.name) + " has too many elements");
    }
    n = *m;
  }
  const int block = dtype_info(t.dtype).block_elems;
  if (t.dims[0] % block != 0) {
    r.fail("tensor " + quote_name(t.name) + " row of " + std::to_string(t.dims[0]) + " elements is not a multiple of the " +
           std::string(dtype_info(t.dtype).name) + " block size " + std::to_string(block));
  }
  return static_cast<int64_t>(n);
}

TensorView make_view(const ByteReader& r, const RawTensorInfo& t, const GgufContents& c, const std::byte* base,
                     std::size_t size) {
  TensorView v;
  v.name = std::string(t.name);
  v.dtype = t.dtype;
  v.shape.assign(t.dims.rbegin(), t.dims.rend());
  const int64_t numel = checked_numel(r, t);
  const DTypeInfo& info = dtype_info(t.dtype);
  const auto nbytes = checked::mul(static_cast<uint64_t>(numel / info.block_elems), info.block_bytes);
  if (t.offset % c.alignment != 0) {
    r.fail("tensor " + quote_name(t.name) + " offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
           std::to_string(c.alignment));
  }
  if (!nbytes) r.fail("tensor " + quote_name(t.name) + " is too large");
  const auto begin = checked::add(c.data_offset, t.offset);
  const auto end = begin ? checked::add(*begin, *nbytes) : std::nullopt;
  if (!end || *end > size) {
    const std::string b = begin ? std::to_string(*begin) : std::to_string(c.data_offset) + " + " + std::to_string(t.offset);
    const std::string e = end ? std::to_string(*end) : b + " + " + std::to_string(*nbytes);
    r.fail("tensor " + quote_name(t.name) + " data [" + b + ", " + e + ") is outside the file (size " +
           std::to_string(size) + ")");
  }
  v.data = base + *begin;
  v.nbytes = static_cast<std::size_t>(*nbytes);
  return v;
}

void build_views(const ByteReader& r, const std::vector<RawTensorInfo>& infos, GgufContents& c,
                 const std::byte* base, std::size_t size) {
  std::unordered_set<std::string_view> seen;
  std::vector<ByteRange> ranges;
  for (const RawTensorInfo& t : infos) {
    if (!seen.insert(t.name).second) r.fail("duplicate tensor name " + quote_name(t.name));
    c.tensors.push_back(make_view(r, t, c, base, size));
    const uint64_t begin = c.data_offset + t.offset;
    ranges.push_back({begin, begin + c.tensors.back().nbytes, c.tensors.back().name});
  }
  check_no_overlap(std::move(ranges), r.source());
}

}  // namespace

GgufContents parse_gguf(const std::byte* data, std::size_t size, const std::string& source) {
  ByteReader r(data, size, source);
  GgufContents c;
  c.metadata = GgufMetadata(source);
  read_magic_and_version(r, c);
  const uint64_t n_tensors = read_count(r, "the tensor count", kMinTensorInfoBytes);
  const uint64_t n_kv = read_count(r, "the metadata count", kMinKvBytes);
  read_metadata(r, n_kv, c.metadata);
  c.alignment = read_alignment(r, c.metadata);
  if (n_tensors > r.remaining() / kMinTensorInfoBytes) {
    r.fail("truncated or corrupt: the tensor count " + std::to_string(n_tensors) + " needs at least " +
           std::to_string(n_tensors) + " x " + std::to_string(kMinTensorInfoBytes) + " bytes after the metadata, only " +
           std::to_string(r.remaining()) + " remain");
  }
  std::vector<RawTensorInfo> infos;
  infos.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) infos.push_back(read_tensor_info(r, i));
  const auto data_offset = checked::align_up(r.pos(), c.alignment);
  if (!data_offset) r.fail("data section offset overflows");
  c.data_offset = *data_offset;
  build_views(r, infos, c, data, size);
  return c;
}

}  // namespace eaglerun
