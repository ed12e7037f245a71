#include "core/weights/gguf_value.h"

#include <limits>
#include <string>

namespace eaglerun {
namespace {

template <typename T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Smallest encoding of one element of type t: the minimum bytes a count of them must occupy.
std::size_t min_elem_bytes(GgufType t) {
  if (t == GgufType::String) return 8;   // u64 length
  if (t == GgufType::Array) return 12;   // u32 type + u64 count
  return scalar_bytes(t);
}

GgufType checked_type(ByteReader& r, uint32_t type_id) {
  if (type_id > static_cast<uint32_t>(GgufType::F64)) r.fail_in_context("unknown metadata value type " + std::to_string(type_id));
  return static_cast<GgufType>(type_id);
}

void check_bools(ByteReader& r, const std::byte* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<uint8_t>(p[i]);
    if (b > 1) r.fail_in_context("bool value " + std::to_string(b) + " is neither 0 nor 1");
  }
}

std::shared_ptr<const GgufArray> read_array(ByteReader& r, int depth) {
  auto a = std::make_shared<GgufArray>();
  a->elem_type = checked_type(r, r.u32());
  const uint64_t count = r.u64();
  if (count > r.remaining() / min_elem_bytes(a->elem_type)) {
    r.fail_in_context("array of " + std::to_string(count) + " " + std::string(gguf_type_name(a->elem_type)) +
           " elements does not fit in the remaining " + std::to_string(r.remaining()) + " bytes");
  }
  a->count = static_cast<std::size_t>(count);
  if (a->elem_type == GgufType::String) {
    a->strings.reserve(a->count);
    for (std::size_t i = 0; i < a->count; ++i) a->strings.push_back(r.string());
  } else if (a->elem_type == GgufType::Array) {
    if (depth + 1 >= kMaxArrayDepth) r.fail_in_context("arrays nested more than " + std::to_string(kMaxArrayDepth) + " deep");
    a->arrays.reserve(a->count);
    for (std::size_t i = 0; i < a->count; ++i) a->arrays.push_back(read_gguf_value(r, 9, depth + 1));
  } else {
    a->raw = r.take(count * scalar_bytes(a->elem_type));  // no overflow: count <= remaining / size
    if (a->elem_type == GgufType::Bool) check_bools(r, a->raw, a->count);
  }
  return a;
}

}  // namespace

std::string_view gguf_type_name(GgufType t) {
  static constexpr std::string_view names[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                                "bool",  "string", "array", "uint64", "int64", "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(names) ? names[i] : "unknown";
}

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64:
      return true;
    default:
      return false;
  }
}

bool is_float(GgufType t) { return t == GgufType::F32 || t == GgufType::F64; }

std::size_t scalar_bytes(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::Bool: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

std::optional<int64_t> decode_int(GgufType t, const std::byte* p) {
  switch (t) {
    case GgufType::U8: return load<uint8_t>(p);
    case GgufType::I8: return load<int8_t>(p);
    case GgufType::U16: return load<uint16_t>(p);
    case GgufType::I16: return load<int16_t>(p);
    case GgufType::U32: return load<uint32_t>(p);
    case GgufType::I32: return load<int32_t>(p);
    case GgufType::I64: return load<int64_t>(p);
    case GgufType::U64: {
      const uint64_t v = load<uint64_t>(p);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default: return std::nullopt;
  }
}

double decode_float(GgufType t, const std::byte* p) {
  if (t == GgufType::F32) return load<float>(p);
  if (t == GgufType::F64) return load<double>(p);
  if (t == GgufType::U64) return static_cast<double>(load<uint64_t>(p));
  return static_cast<double>(decode_int(t, p).value_or(0));
}

GgufValue read_gguf_value(ByteReader& r, uint32_t type_id, int depth) {
  GgufValue v;
  v.type = checked_type(r, type_id);
  if (v.type == GgufType::String) {
    const std::string_view s = r.string();
    v.raw = reinterpret_cast<const std::byte*>(s.data());
    v.len = s.size();
  } else if (v.type == GgufType::Array) {
    v.array = read_array(r, depth);
  } else {
    v.raw = r.take(scalar_bytes(v.type));
    if (v.type == GgufType::Bool) check_bools(r, v.raw, 1);
  }
  return v;
}

}  // namespace eaglerun
