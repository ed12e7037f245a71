// libFuzzer target: GGUF parsing, metadata getters and config building from an arbitrary buffer.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/weights/gguf_file.h"

namespace {

// Every getter on every key: each either returns or throws Error.
void touch_metadata(const eaglerun::GgufFile& f) {
  for (const std::string& key : f.metadata_keys()) {
    try { (void)f.get_string(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_int(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_float(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_bool(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_string_array(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_int_array(key); } catch (const eaglerun::Error&) {}
    try { (void)f.get_float_array(key); } catch (const eaglerun::Error&) {}
  }
}

// Reads the first and last byte of every tensor so ASan sees any view outside the buffer.
unsigned touch_tensors(const eaglerun::GgufFile& f) {
  unsigned sum = 0;
  for (const std::string& name : f.names()) {
    const eaglerun::TensorView& t = f.get(name);
    if (t.nbytes) sum += static_cast<unsigned>(t.data[0]) + static_cast<unsigned>(t.data[t.nbytes - 1]);
    sum += static_cast<unsigned>(t.rows() * static_cast<int64_t>(t.row_bytes()) == static_cast<int64_t>(t.nbytes));
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto f = eaglerun::GgufFile::parse(reinterpret_cast<const std::byte*>(data), size, "fuzz.gguf");
    touch_metadata(*f);
    volatile unsigned sink = touch_tensors(*f);
    (void)sink;
    try { (void)f->config(); } catch (const eaglerun::Error&) {}
  } catch (const eaglerun::Error&) {
  }
  return 0;
}
