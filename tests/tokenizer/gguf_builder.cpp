#include "tests/tokenizer/gguf_builder.h"

#include <cstring>

namespace eaglerun::test {
namespace {

// GGUF value types.
constexpr uint32_t kInt32 = 5, kFloat32 = 6, kBool = 7, kString = 8, kArray = 9;

template <typename T>
void put(std::vector<std::byte>& out, T v) {
  std::byte bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // GGUF is little-endian, as is every platform eaglerun runs on
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void put_string(std::vector<std::byte>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  for (char c : s) out.push_back(static_cast<std::byte>(c));
}

}  // namespace

void GgufBuilder::key(const std::string& k, uint32_t type) {
  put_string(kv_, k);
  put<uint32_t>(kv_, type);
  ++n_kv_;
}

GgufBuilder& GgufBuilder::add_string(const std::string& k, const std::string& value) {
  key(k, kString);
  put_string(kv_, value);
  return *this;
}

GgufBuilder& GgufBuilder::add_int32(const std::string& k, int32_t value) {
  key(k, kInt32);
  put<int32_t>(kv_, value);
  return *this;
}

GgufBuilder& GgufBuilder::add_bool(const std::string& k, bool value) {
  key(k, kBool);
  put<uint8_t>(kv_, value ? 1 : 0);
  return *this;
}

GgufBuilder& GgufBuilder::add_string_array(const std::string& k, const std::vector<std::string>& values) {
  key(k, kArray);
  put<uint32_t>(kv_, kString);
  put<uint64_t>(kv_, values.size());
  for (const std::string& v : values) put_string(kv_, v);
  return *this;
}

GgufBuilder& GgufBuilder::add_int32_array(const std::string& k, const std::vector<int32_t>& values) {
  key(k, kArray);
  put<uint32_t>(kv_, kInt32);
  put<uint64_t>(kv_, values.size());
  for (int32_t v : values) put<int32_t>(kv_, v);
  return *this;
}

GgufBuilder& GgufBuilder::add_float32_array(const std::string& k, const std::vector<float>& values) {
  key(k, kArray);
  put<uint32_t>(kv_, kFloat32);
  put<uint64_t>(kv_, values.size());
  for (float v : values) put<float>(kv_, v);
  return *this;
}

std::vector<std::byte> GgufBuilder::build() const {
  std::vector<std::byte> out;
  for (char c : std::string("GGUF")) out.push_back(static_cast<std::byte>(c));
  put<uint32_t>(out, 3);   // version
  put<uint64_t>(out, 0);   // tensor count
  put<uint64_t>(out, n_kv_);
  out.insert(out.end(), kv_.begin(), kv_.end());
  while (out.size() % 32 != 0) out.push_back(std::byte{0});
  return out;
}

}  // namespace eaglerun::test
