#pragma once
// The key/value metadata of one GGUF file, in file order, with typed getters that throw
// Error("SOURCE: metadata key 'K' missing" / "... has type T, expected U").
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/weights/gguf_value.h"

namespace eaglerun {

class GgufMetadata {
 public:
  explicit GgufMetadata(std::string source = {}) : source_(std::move(source)) {}

  // Throws Error on a duplicate key.
  void add(std::string key, GgufValue value);

  bool has(const std::string& key) const { return index_.count(key) != 0; }
  const GgufValue* find(const std::string& key) const;
  std::vector<std::string> keys() const;

  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;
  std::vector<double> get_float_array(const std::string& key) const;
  std::size_t array_size(const std::string& key) const;  // any element type

 private:
  const GgufValue& get(const std::string& key) const;
  const GgufValue& get_typed(const std::string& key, bool ok, const char* expected) const;
  const GgufArray& get_array(const std::string& key, bool (*elem_ok)(GgufType), const char* expected) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  std::string source_;
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace eaglerun
