// libFuzzer target: torch.save files (ZIP directory, restricted unpickler, tensor validation)
// from an arbitrary buffer. An input that starts like a pickle also goes to the unpickler
// directly, so mutations of data.pkl are explored without having to keep its CRC right.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/weights/pickle_reader.h"
#include "core/weights/pytorch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  try {
    const auto f = eaglerun::PytorchFile::parse(bytes, size, "fuzz.bin");
    unsigned sum = 0;
    for (const eaglerun::TensorView& t : f->tensors()) {  // ASan checks every view is inside the buffer
      if (t.nbytes) sum += static_cast<unsigned>(t.data[0]) + static_cast<unsigned>(t.data[t.nbytes - 1]);
      sum += static_cast<unsigned>(t.numel() >= 0);
    }
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const eaglerun::Error&) {
  }
  if (size >= 2 && data[0] == 0x80) {
    try {
      const eaglerun::PickleRef root = eaglerun::read_pickle(bytes, size, "fuzz.pkl");
      volatile int depth = root->depth;
      (void)depth;
    } catch (const eaglerun::Error&) {
    }
  }
  return 0;
}
