#pragma once
// SHA-256 (FIPS 180-4) of bytes and of files, as lowercase hex; identifies the model and data a
// feature store was made from.
#include <cstdint>
#include <string>
#include <string_view>

namespace eaglerun {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finishes; the object must not be updated afterwards

 private:
  void block(const uint8_t* p);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view bytes);

struct FileDigest {
  std::string sha256;  // hex
  int64_t bytes = 0;
};

// A regular file's digest; for a folder (a Hugging Face checkpoint), the digest of the text
// "<sha256>  <name>\n" over its regular files sorted by name, and their total size. Throws Error when
// the path cannot be read.
FileDigest digest_path(const std::string& path);

}  // namespace eaglerun
