// libFuzzer target: Hugging Face config.json parsing from arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/weights/safetensors_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)eaglerun::parse_hf_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz/config.json");
  } catch (const eaglerun::Error&) {
  }
  return 0;
}
