#pragma once
// Writes small GGUF v3 images (metadata only, no tensors) for tests of the GGUF tokenizer path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eaglerun::test {

class GgufBuilder {
 public:
  GgufBuilder& add_string(const std::string& key, const std::string& value);
  GgufBuilder& add_int32(const std::string& key, int32_t value);
  GgufBuilder& add_bool(const std::string& key, bool value);
  GgufBuilder& add_string_array(const std::string& key, const std::vector<std::string>& values);
  GgufBuilder& add_int32_array(const std::string& key, const std::vector<int32_t>& values);
  GgufBuilder& add_float32_array(const std::string& key, const std::vector<float>& values);

  // The whole file: header, metadata, padding to the 32-byte alignment.
  std::vector<std::byte> build() const;

 private:
  void key(const std::string& k, uint32_t type);
  std::vector<std::byte> kv_;
  uint64_t n_kv_ = 0;
};

}  // namespace eaglerun::test
