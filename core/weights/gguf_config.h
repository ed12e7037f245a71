#pragma once
// Builds a ModelConfig from GGUF metadata ("general.architecture" and the "<arch>.*" keys).
#include <string>

#include "core/config/model_config.h"
#include "core/weights/gguf_metadata.h"

namespace eaglerun {

// has_output_weight: whether the file holds "output.weight" (otherwise the LM head is tied).
// Throws Error("SOURCE: ...") for an unsupported architecture, missing keys or an invalid config.
ModelConfig config_from_gguf(const GgufMetadata& md, bool has_output_weight, const std::string& source);

}  // namespace eaglerun
