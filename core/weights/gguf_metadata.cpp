#include "core/weights/gguf_metadata.h"

#include "core/error.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

bool any_type(GgufType) { return true; }
bool is_number(GgufType t) { return is_integer(t) || is_float(t); }
bool is_string(GgufType t) { return t == GgufType::String; }

std::string type_of(const GgufValue& v) {
  if (v.type != GgufType::Array) return std::string(gguf_type_name(v.type));
  return "array of " + std::string(gguf_type_name(v.array->elem_type));
}

}  // namespace

void GgufMetadata::add(std::string key, GgufValue value) {
  if (has(key)) throw Error(source_ + ": duplicate metadata key " + quote_name(key));
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

const GgufValue* GgufMetadata::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

std::vector<std::string> GgufMetadata::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

void GgufMetadata::fail(const std::string& key, const std::string& message) const {
  throw Error(source_ + ": metadata key " + quote_name(key) + " " + message);
}

const GgufValue& GgufMetadata::get(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) fail(key, "missing");
  return *v;
}

const GgufValue& GgufMetadata::get_typed(const std::string& key, bool ok, const char* expected) const {
  const GgufValue& v = get(key);
  if (!ok) fail(key, "has type " + type_of(v) + ", expected " + expected);
  return v;
}

const GgufArray& GgufMetadata::get_array(const std::string& key, bool (*elem_ok)(GgufType),
                                         const char* expected) const {
  const GgufValue& v = get(key);
  if (v.type != GgufType::Array || !elem_ok(v.array->elem_type)) {
    fail(key, "has type " + type_of(v) + ", expected " + expected);
  }
  return *v.array;
}

std::string GgufMetadata::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  return std::string(get_typed(key, v && v->type == GgufType::String, "string").str());
}

int64_t GgufMetadata::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  const GgufValue& val = get_typed(key, v && is_integer(v->type), "an integer");
  const auto i = decode_int(val.type, val.raw);
  if (!i) fail(key, "value does not fit in int64");
  return *i;
}

double GgufMetadata::get_float(const std::string& key) const {
  const GgufValue* v = find(key);
  const GgufValue& val = get_typed(key, v && is_number(v->type), "a number");
  return decode_float(val.type, val.raw);
}

bool GgufMetadata::get_bool(const std::string& key) const {
  const GgufValue* v = find(key);
  return get_typed(key, v && v->type == GgufType::Bool, "bool").raw[0] != std::byte{0};
}

std::vector<std::string> GgufMetadata::get_string_array(const std::string& key) const {
  const GgufArray& a = get_array(key, is_string, "array of string");
  return {a.strings.begin(), a.strings.end()};
}

std::vector<int64_t> GgufMetadata::get_int_array(const std::string& key) const {
  const GgufArray& a = get_array(key, is_integer, "array of integers");
  const std::size_t size = scalar_bytes(a.elem_type);
  std::vector<int64_t> out(a.count);
  for (std::size_t i = 0; i < a.count; ++i) {
    const auto v = decode_int(a.elem_type, a.raw + i * size);
    if (!v) fail(key, "element " + std::to_string(i) + " does not fit in int64");
    out[i] = *v;
  }
  return out;
}

std::vector<double> GgufMetadata::get_float_array(const std::string& key) const {
  const GgufArray& a = get_array(key, is_number, "array of numbers");
  const std::size_t size = scalar_bytes(a.elem_type);
  std::vector<double> out(a.count);
  for (std::size_t i = 0; i < a.count; ++i) out[i] = decode_float(a.elem_type, a.raw + i * size);
  return out;
}

std::size_t GgufMetadata::array_size(const std::string& key) const {
  return get_array(key, any_type, "array").count;
}

}  // namespace eaglerun
