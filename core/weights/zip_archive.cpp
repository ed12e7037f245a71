#include "core/weights/zip_archive.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "core/weights/byte_reader.h"
#include "core/weights/checked_math.h"
#include "core/weights/display_name.h"

namespace eaglerun {
namespace {

constexpr uint32_t kEndSig = 0x06054b50;        // end of central directory
constexpr uint32_t kZip64EndSig = 0x06064b50;   // ZIP64 end of central directory record
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr std::size_t kEndBytes = 22, kLocatorBytes = 20, kZip64EndBytes = 56;
constexpr std::size_t kCentralBytes = 46, kLocalBytes = 30;
constexpr uint32_t kSat32 = 0xFFFFFFFF;
constexpr uint16_t kSat16 = 0xFFFF;

uint32_t load_u32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t load_u16(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Where the central directory is, from the end records.
struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;  // file offset of the first central header
  uint64_t size = 0;    // bytes
  uint64_t end = 0;     // the first byte after the directory that belongs to the end records
};

// The last end-of-central-directory record whose comment reaches exactly to the end of the file.
std::size_t find_end_record(const std::byte* data, std::size_t size, const std::string& src) {
  require(size >= kEndBytes, src + ": not a ZIP archive (" + std::to_string(size) +
                                 " bytes, shorter than an end-of-central-directory record)");
  const std::size_t lowest = size - kEndBytes > 65535 ? size - kEndBytes - 65535 : 0;
  for (std::size_t pos = size - kEndBytes + 1; pos-- > lowest;) {
    if (load_u32(data + pos) == kEndSig && pos + kEndBytes + load_u16(data + pos + 20) == size) return pos;
  }
  throw Error(src + ": not a ZIP archive, or truncated (no end-of-central-directory record at its end)");
}

Directory read_zip64_end(const std::byte* data, std::size_t size, std::size_t end_pos, const std::string& src) {
  require(end_pos >= kLocatorBytes && load_u32(data + end_pos - kLocatorBytes) == kZip64LocatorSig,
          src + ": the end-of-central-directory record has saturated fields but no ZIP64 locator precedes it");
  ByteReader loc(data + end_pos - kLocatorBytes, kLocatorBytes, src);
  loc.set_context("the ZIP64 end-of-central-directory locator");
  loc.u32();
  const uint32_t disk = loc.u32();
  const uint64_t record = loc.u64();
  const uint32_t disks = loc.u32();
  require(disk == 0 && disks <= 1, src + ": multi-disk ZIP archives are not supported");
  const uint64_t limit = end_pos - kLocatorBytes;
  require(record <= limit && limit - record >= kZip64EndBytes,
          src + ": the ZIP64 end-of-central-directory record offset " + std::to_string(record) +
              " is outside the archive");
  ByteReader r(data + record, static_cast<std::size_t>(limit - record), src);
  r.set_context("the ZIP64 end-of-central-directory record");
  require(r.u32() == kZip64EndSig, src + ": no ZIP64 end-of-central-directory record at offset " + std::to_string(record));
  r.u64();  // size of the rest of the record
  r.read<uint16_t>();
  r.read<uint16_t>();
  const uint32_t this_disk = r.u32(), cd_disk = r.u32();
  const uint64_t here = r.u64();
  Directory d;
  d.entries = r.u64();
  d.size = r.u64();
  d.offset = r.u64();
  d.end = record;
  require(this_disk == 0 && cd_disk == 0 && here == d.entries, src + ": multi-disk ZIP archives are not supported");
  (void)size;
  return d;
}

Directory read_directory_location(const std::byte* data, std::size_t size, const std::string& src) {
  const std::size_t end_pos = find_end_record(data, size, src);
  ByteReader r(data + end_pos, kEndBytes, src);
  r.set_context("the end-of-central-directory record");
  r.u32();
  const uint16_t disk = r.read<uint16_t>(), cd_disk = r.read<uint16_t>();
  const uint16_t here = r.read<uint16_t>(), total = r.read<uint16_t>();
  const uint32_t cd_size = r.u32(), cd_offset = r.u32();
  const bool saturated = disk == kSat16 || cd_disk == kSat16 || here == kSat16 || total == kSat16 ||
                         cd_size == kSat32 || cd_offset == kSat32;
  const bool has_locator = end_pos >= kLocatorBytes && load_u32(data + end_pos - kLocatorBytes) == kZip64LocatorSig;
  if (saturated || has_locator) return read_zip64_end(data, size, end_pos, src);
  require(disk == 0 && cd_disk == 0 && here == total, src + ": multi-disk ZIP archives are not supported");
  return {total, cd_offset, cd_size, end_pos};
}

// The ZIP64 extended information extra field (id 1) replaces the saturated 32-bit fields, in order.
struct Sizes {
  uint64_t uncompressed, compressed, local_offset;
};

void apply_zip64_extra(ByteReader extra, Sizes& s, bool disk_saturated, const std::string& name) {
  while (extra.remaining() > 0) {
    extra.set_context("the extra fields of entry " + quote_name(name));
    const uint16_t id = extra.read<uint16_t>(), len = extra.read<uint16_t>();
    const std::byte* body = extra.take(len);
    if (id != 1) continue;
    ByteReader z(body, len, extra.source());
    z.set_context("the ZIP64 extra field of entry " + quote_name(name));
    if (s.uncompressed == kSat32) s.uncompressed = z.u64();
    if (s.compressed == kSat32) s.compressed = z.u64();
    if (s.local_offset == kSat32) s.local_offset = z.u64();
    if (disk_saturated) z.u32();
    return;
  }
}

}  // namespace

ZipArchive ZipArchive::parse(const std::byte* data, std::size_t size, const std::string& source) {
  const std::string& src = source;
  const Directory dir = read_directory_location(data, size, src);
  require(dir.entries <= kMaxEntries, src + ": " + std::to_string(dir.entries) + " ZIP entries exceed the limit of " +
                                          std::to_string(kMaxEntries));
  const auto dir_end = checked::add(dir.offset, dir.size);
  require(dir_end && *dir_end <= dir.end,
          src + ": the central directory [" + std::to_string(dir.offset) + ", +" + std::to_string(dir.size) +
              ") is outside the archive (truncated or corrupt)");
  require(dir.entries <= dir.size / kCentralBytes,
          src + ": the central directory of " + std::to_string(dir.size) + " bytes cannot hold " +
              std::to_string(dir.entries) + " entries");

  ZipArchive zip;
  zip.source_ = source;
  struct Span {
    uint64_t begin, end;
    std::size_t entry;
  };
  std::vector<Span> spans;
  ByteReader r(data + dir.offset, static_cast<std::size_t>(dir.size), src);
  for (uint64_t i = 0; i < dir.entries; ++i) {
    r.set_context("central directory entry #" + std::to_string(i));
    if (r.u32() != kCentralSig) r.fail_in_context("bad signature (corrupt central directory)");
    r.read<uint16_t>();  // version made by
    r.read<uint16_t>();  // version needed
    const uint16_t flags = r.read<uint16_t>(), method = r.read<uint16_t>();
    r.u32();  // time, date
    const uint32_t crc = r.u32();
    Sizes s{0, 0, 0};
    s.compressed = r.u32();
    s.uncompressed = r.u32();
    const uint16_t name_len = r.read<uint16_t>(), extra_len = r.read<uint16_t>(), comment_len = r.read<uint16_t>();
    const uint16_t disk = r.read<uint16_t>();
    r.read<uint16_t>();
    r.u32();
    s.local_offset = r.u32();
    const std::byte* name_p = r.take(name_len);
    std::string name(reinterpret_cast<const char*>(name_p), name_len);
    apply_zip64_extra(ByteReader(r.take(extra_len), extra_len, src), s, disk == kSat16, name);
    r.take(comment_len);
    const std::string what = src + ": ZIP entry " + quote_name(name);
    require(!name.empty(), src + ": ZIP central directory entry #" + std::to_string(i) + " has an empty name");
    require((flags & 0x41) == 0, what + " is encrypted");
    require(method == 0, what + " is compressed (method " + std::to_string(method) +
                             "); only STORED entries are supported, as torch.save writes them");
    require(disk == 0 || disk == kSat16, src + ": multi-disk ZIP archives are not supported");
    require(s.compressed == s.uncompressed, what + " is stored with a compressed size " + std::to_string(s.compressed) +
                                                " != its size " + std::to_string(s.uncompressed));
    // The local header repeats the name; its extra field may differ (torch pads it for alignment).
    require(s.local_offset <= dir.offset && dir.offset - s.local_offset >= kLocalBytes,
            what + " has a local header offset " + std::to_string(s.local_offset) + " outside the archive's data");
    const std::byte* local = data + s.local_offset;
    require(load_u32(local) == kLocalSig, what + ": bad local header signature at offset " + std::to_string(s.local_offset));
    require(load_u16(local + 8) == method, what + ": the local header's compression method differs from the central directory's");
    const uint64_t local_name = load_u16(local + 26), local_extra = load_u16(local + 28);
    const uint64_t begin = s.local_offset + kLocalBytes + local_name + local_extra;  // < 2^64: all terms small
    const auto end = checked::add(begin, s.uncompressed);
    require(end && *end <= dir.offset,
            what + " data [" + std::to_string(begin) + ", +" + std::to_string(s.uncompressed) +
                ") runs past the start of the central directory (truncated or corrupt)");
    require(local_name == name_len && std::memcmp(local + kLocalBytes, name_p, name_len) == 0,
            what + ": the local header names another entry");
    require(zip.index_.emplace(name, zip.entries_.size()).second, src + ": duplicate ZIP entry " + quote_name(name));
    spans.push_back({s.local_offset, *end, zip.entries_.size()});
    zip.entries_.push_back({std::move(name), data + begin, s.uncompressed, crc});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < spans.size(); ++i) {
    require(spans[i].begin >= spans[i - 1].end, src + ": ZIP entries " + quote_name(zip.entries_[spans[i - 1].entry].name) +
                                                    " and " + quote_name(zip.entries_[spans[i].entry].name) + " overlap");
  }
  return zip;
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

uint32_t crc32(const std::byte* data, std::size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < size; ++i) c = table[(c ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace eaglerun
