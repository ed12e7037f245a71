#pragma once
// Opens model weights from any supported source and returns them behind one interface:
//   PATH.gguf                           -> GgufFile
//   DIR with config.json + model.safetensors                      -> SafetensorsModel
//   DIR with config.json + model.safetensors.index.json (sharded) -> SafetensorsModel
//   PATH.safetensors (config.json beside it)                      -> SafetensorsModel
// Throws Error with one clear message for anything else.
#include <memory>
#include <string>

#include "core/weights/weight_store.h"

namespace eaglerun {

std::unique_ptr<WeightStore> open_model(const std::string& path);

}  // namespace eaglerun
