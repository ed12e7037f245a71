// libFuzzer target: safetensors header parsing and tensor validation from an arbitrary buffer.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/weights/safetensors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto f = eaglerun::SafetensorsFile::parse(reinterpret_cast<const std::byte*>(data), size, "fuzz.safetensors");
    unsigned sum = 0;
    for (const eaglerun::TensorView& t : f->tensors()) {  // ASan checks every view is inside the buffer
      if (t.nbytes) sum += static_cast<unsigned>(t.data[0]) + static_cast<unsigned>(t.data[t.nbytes - 1]);
      sum += static_cast<unsigned>(t.numel() >= 0);
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const eaglerun::Error&) {
  }
  return 0;
}
