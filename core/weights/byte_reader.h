#pragma once
// A bounds-checked little-endian cursor over an untrusted byte buffer. Every read checks the
// remaining size first and throws Error("SOURCE: truncated while reading CONTEXT") when short.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.h"

namespace eaglerun {

static_assert(std::endian::native == std::endian::little, "the weight loaders assume a little-endian host");

class ByteReader {
 public:
  ByteReader(const std::byte* data, std::size_t size, std::string source)
      : data_(data), size_(size), source_(std::move(source)) {}

  // What is being read, for error messages: "metadata key 'general.name'".
  void set_context(std::string context) { context_ = std::move(context); }
  const std::string& source() const { return source_; }

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return size_ - pos_; }
  const std::byte* here() const { return data_ + pos_; }

  // Returns a pointer to the next n bytes and moves past them.
  const std::byte* take(uint64_t n) {
    if (n > remaining()) fail_truncated();
    const std::byte* p = data_ + pos_;
    pos_ += static_cast<std::size_t>(n);
    return p;
  }

  template <typename T>
  T read() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  uint32_t u32() { return read<uint32_t>(); }
  uint64_t u64() { return read<uint64_t>(); }

  // A GGUF string: u64 length, then that many bytes (viewed in place, not copied).
  std::string_view string() {
    const uint64_t len = u64();
    const std::byte* p = take(len);
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(len)};
  }

  // Throws Error("SOURCE: <message>").
  [[noreturn]] void fail(const std::string& message) const { throw Error(source_ + ": " + message); }
  // Throws Error("SOURCE: CONTEXT: <message>").
  [[noreturn]] void fail_in_context(const std::string& message) const { fail(context_ + ": " + message); }
  [[noreturn]] void fail_truncated() const { fail("truncated while reading " + context_); }

 private:
  const std::byte* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string source_;
  std::string context_ = "the header";
};

}  // namespace eaglerun
