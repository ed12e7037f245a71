#pragma once
// Helpers for the weight-loader tests: a temporary directory, file writing, and an assertion that
// a statement throws eaglerun::Error whose message contains given text.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace eaglerun::test {

using Bytes = std::vector<uint8_t>;

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "eaglerun-weights-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const void* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw std::runtime_error("cannot write " + path);
}
inline void write_file(const std::string& path, const Bytes& b) { write_file(path, b.data(), b.size()); }
inline void write_file(const std::string& path, std::string_view s) { write_file(path, s.data(), s.size()); }

inline const std::byte* as_bytes(const Bytes& b) { return reinterpret_cast<const std::byte*>(b.data()); }

// The message of the eaglerun::Error that fn throws; fails the test if it throws nothing or something else.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-Error exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace eaglerun::test

// Asserts that stmt throws eaglerun::Error and that its message contains every listed string.
#define EXPECT_ERROR(stmt, ...)                                                         \
  do {                                                                                  \
    const std::string msg_ = ::eaglerun::test::error_of([&] { (void)(stmt); });         \
    for (const std::string& part_ : std::vector<std::string>{__VA_ARGS__}) {             \
      EXPECT_NE(msg_.find(part_), std::string::npos) << "message: " << msg_ << "\nmissing: " << part_; \
    }                                                                                   \
  } while (0)
