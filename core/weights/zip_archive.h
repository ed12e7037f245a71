#pragma once
// The entries of a ZIP archive held in memory, as torch.save (>= 1.6) writes them: every entry
// STORED (uncompressed), one disk, sizes and offsets in the central directory (ZIP64 records read
// where the 32-bit fields are saturated). Reads the end-of-central-directory record, the central
// directory, and each entry's local header; checks every offset and size against the buffer with
// overflow-safe arithmetic, that names are unique, that an entry's data lies before the central
// directory and overlaps no other entry's. Refuses compressed, encrypted and multi-disk archives
// with one Error line. Entry data is viewed in place, never copied; CRCs are not checked here
// (crc32() lets a caller check a small entry).
// Format: PKWARE APPNOTE.TXT 6.3 (sections 4.3.7 local header, 4.3.12 central directory,
// 4.3.14-16 ZIP64 end records, 4.5.3 ZIP64 extra field).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eaglerun {

struct ZipEntry {
  std::string name;
  const std::byte* data = nullptr;  // inside the archive's buffer
  uint64_t size = 0;                // bytes (stored: compressed size == uncompressed size)
  uint32_t crc32 = 0;               // as recorded in the central directory
};

class ZipArchive {
 public:
  static constexpr uint64_t kMaxEntries = 1u << 20;

  // Throws Error("SOURCE: <what is wrong>"). The buffer must outlive the archive.
  static ZipArchive parse(const std::byte* data, std::size_t size, const std::string& source);

  const std::vector<ZipEntry>& entries() const { return entries_; }  // central directory order
  const ZipEntry* find(std::string_view name) const;                 // nullptr when absent
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

// CRC-32 (IEEE 802.3, the ZIP checksum) of a buffer.
uint32_t crc32(const std::byte* data, std::size_t size);

}  // namespace eaglerun
