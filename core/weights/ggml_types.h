#pragma once
// GGML tensor type ids as GGUF stores them, and the subset eaglerun can load.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/tensor/dtype.h"

namespace eaglerun {

// Loadable ids: F32=0, F16=1, Q4_0=2, Q4_1=3, Q8_0=8, BF16=30. nullopt for any other id.
std::optional<DType> dtype_from_ggml(uint32_t ggml_type);

// "q4_K" for 12, "unknown" for ids GGML never defined; for error messages.
std::string_view ggml_type_name(uint32_t ggml_type);

}  // namespace eaglerun
