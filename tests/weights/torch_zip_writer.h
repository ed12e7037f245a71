#pragma once
// Builds torch.save-style files for tests, byte by byte, so each test can break one thing: a STORED
// ZIP archive (local headers, central directory, optional ZIP64 end records) and a protocol-2
// pickle of an OrderedDict of _rebuild_tensor_v2 calls.
#include <cstdint>
#include <string>
#include <vector>

#include "core/weights/zip_archive.h"
#include "tests/weights/test_util.h"

namespace eaglerun::test {

struct ZipFileEntry {
  std::string name;
  Bytes data;
  uint16_t method = 0;  // 0 STORED; 8 claims deflate
};

struct ZipOptions {
  bool zip64 = false;  // ZIP64 end records with saturated 32-bit fields (as torch writes them)
};

inline void put16(Bytes& b, uint16_t v) { b.push_back(v & 0xFF), b.push_back(v >> 8); }
inline void put32(Bytes& b, uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xFF); }
inline void put64(Bytes& b, uint64_t v) { for (int i = 0; i < 8; ++i) b.push_back((v >> (8 * i)) & 0xFF); }

inline Bytes zip_bytes(const std::vector<ZipFileEntry>& entries, const ZipOptions& opt = {}) {
  Bytes out, central;
  for (const ZipFileEntry& e : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = crc32(reinterpret_cast<const std::byte*>(e.data.data()), e.data.size());
    put32(out, 0x04034b50);
    put16(out, 20), put16(out, 0), put16(out, e.method), put32(out, 0), put32(out, crc);
    put32(out, static_cast<uint32_t>(e.data.size())), put32(out, static_cast<uint32_t>(e.data.size()));
    put16(out, static_cast<uint16_t>(e.name.size())), put16(out, 0);
    out.insert(out.end(), e.name.begin(), e.name.end());
    out.insert(out.end(), e.data.begin(), e.data.end());
    put32(central, 0x02014b50);
    put16(central, 20), put16(central, 20), put16(central, 0), put16(central, e.method), put32(central, 0);
    put32(central, crc), put32(central, static_cast<uint32_t>(e.data.size()));
    put32(central, static_cast<uint32_t>(e.data.size()));
    put16(central, static_cast<uint16_t>(e.name.size())), put16(central, 0), put16(central, 0);
    put16(central, 0), put16(central, 0), put32(central, 0), put32(central, offset);
    central.insert(central.end(), e.name.begin(), e.name.end());
  }
  const uint64_t cd_offset = out.size(), cd_size = central.size();
  out.insert(out.end(), central.begin(), central.end());
  const uint16_t n = static_cast<uint16_t>(entries.size());
  if (opt.zip64) {
    const uint64_t record = out.size();
    put32(out, 0x06064b50), put64(out, 44), put16(out, 45), put16(out, 45), put32(out, 0), put32(out, 0);
    put64(out, n), put64(out, n), put64(out, cd_size), put64(out, cd_offset);
    put32(out, 0x07064b50), put32(out, 0), put64(out, record), put32(out, 1);
  }
  put32(out, 0x06054b50), put16(out, 0), put16(out, 0), put16(out, n), put16(out, n);
  put32(out, opt.zip64 ? 0xFFFFFFFF : static_cast<uint32_t>(cd_size));
  put32(out, opt.zip64 ? 0xFFFFFFFF : static_cast<uint32_t>(cd_offset));
  put16(out, 0);
  return out;
}

// One tensor of a pickled state dict.
struct PickledTensor {
  std::string name;
  std::string storage_type = "FloatStorage";
  std::string key = "0";
  int64_t storage_numel = 6;
  int64_t offset = 0;
  std::vector<int64_t> size = {2, 3};
  std::vector<int64_t> stride = {3, 1};
};

// Pickle opcodes as torch.save emits them (no memo, which the format does not need).
class PickleSink {
 public:
  Bytes out = protocol_2();
  static Bytes protocol_2() {
    Bytes b;
    b.push_back(0x80), b.push_back(2);
    return b;
  }
  void op(uint8_t o) { out.push_back(o); }
  void global(const std::string& module, const std::string& name) {
    op('c');
    out.insert(out.end(), module.begin(), module.end());
    out.push_back('\n');
    out.insert(out.end(), name.begin(), name.end());
    out.push_back('\n');
  }
  void str(const std::string& s) {
    op('X');
    put32(out, static_cast<uint32_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K'), out.push_back(static_cast<uint8_t>(v));
    } else {
      op(0x8a), out.push_back(8);
      put64(out, static_cast<uint64_t>(v));
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')'), op('R');
  }
  void tensor(const PickledTensor& t) {
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('('), str("storage"), global("torch", t.storage_type), str(t.key), str("cpu"), integer(t.storage_numel), op('t');
    op('Q');
    integer(t.offset), int_tuple(t.size), int_tuple(t.stride), op(0x89), empty_ordered_dict();
    op('t'), op('R');
  }
};

inline Bytes state_dict_pickle(const std::vector<PickledTensor>& tensors) {
  PickleSink p;
  p.empty_ordered_dict();
  p.op('(');
  for (const PickledTensor& t : tensors) p.str(t.name), p.tensor(t);
  p.op('u'), p.op('.');
  return p.out;
}

// A torch.save-like archive "archive/": data.pkl, byteorder, one storage entry per distinct key
// (storage_bytes[key] bytes, filled with a pattern), version.
inline Bytes torch_file(const Bytes& pickle, const std::vector<std::pair<std::string, std::size_t>>& storages,
                        const ZipOptions& opt = {}) {
  std::vector<ZipFileEntry> e;
  e.push_back({"archive/data.pkl", pickle});
  e.push_back({"archive/byteorder", Bytes{'l', 'i', 't', 't', 'l', 'e'}});
  for (const auto& [key, n] : storages) {
    Bytes d(n);
    for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(i * 3 + 1);
    e.push_back({"archive/data/" + key, d});
  }
  e.push_back({"archive/version", Bytes{'3', '\n'}});
  return zip_bytes(e, opt);
}

}  // namespace eaglerun::test
