#pragma once
// GGUF metadata values. Scalars and strings are not copied: they point into the file's bytes
// (the mapping outlives them) and are decoded on access.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/weights/byte_reader.h"

namespace eaglerun {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

std::string_view gguf_type_name(GgufType t);     // "uint32", "array", ...
bool is_integer(GgufType t);
bool is_float(GgufType t);                        // F32, F64
std::size_t scalar_bytes(GgufType t);             // 0 for String and Array

struct GgufArray;

struct GgufValue {
  GgufType type = GgufType::U8;
  const std::byte* raw = nullptr;          // scalar: its bytes; String: its first byte
  std::size_t len = 0;                     // String: length in bytes
  std::shared_ptr<const GgufArray> array;  // Array only

  std::string_view str() const { return {reinterpret_cast<const char*>(raw), len}; }
};

struct GgufArray {
  GgufType elem_type = GgufType::U8;
  std::size_t count = 0;
  const std::byte* raw = nullptr;          // scalar elements: count packed values
  std::vector<std::string_view> strings;   // String elements
  std::vector<GgufValue> arrays;           // Array elements (nested arrays)
};

// Decoders for one scalar of type t at p. decode_int returns nullopt for a uint64 above INT64_MAX.
std::optional<int64_t> decode_int(GgufType t, const std::byte* p);
double decode_float(GgufType t, const std::byte* p);  // floats and integers

// Reads a value of the given type (after the type id). Checks bools are 0/1, array counts fit in
// the remaining bytes, and nesting is at most kMaxArrayDepth deep. Throws Error via the reader.
constexpr int kMaxArrayDepth = 8;
GgufValue read_gguf_value(ByteReader& r, uint32_t type_id, int depth = 0);

}  // namespace eaglerun
