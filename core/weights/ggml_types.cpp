#include "core/weights/ggml_types.h"

#include <array>

namespace eaglerun {

std::optional<DType> dtype_from_ggml(uint32_t ggml_type) {
  switch (ggml_type) {
    case 0: return DType::F32;
    case 1: return DType::F16;
    case 2: return DType::Q4_0;
    case 3: return DType::Q4_1;
    case 8: return DType::Q8_0;
    case 30: return DType::BF16;
    default: return std::nullopt;
  }
}

std::string_view ggml_type_name(uint32_t ggml_type) {
  // Indexed by id (ggml.h, enum ggml_type); "" marks ids that were removed or never used.
  static constexpr std::array<std::string_view, 40> names = {
      "f32",     "f16",    "q4_0",    "q4_1",  "",       "",       "q5_0",   "q5_1",     "q8_0",     "q8_1",
      "q2_K",    "q3_K",   "q4_K",    "q5_K",  "q6_K",   "q8_K",   "iq2_xxs", "iq2_xs",  "iq3_xxs",  "iq1_s",
      "iq4_nl",  "iq3_s",  "iq2_s",   "iq4_xs", "i8",    "i16",    "i32",    "i64",      "f64",      "iq1_m",
      "bf16",    "q4_0_4_4", "q4_0_4_8", "q4_0_8_8", "tq1_0", "tq2_0", "iq4_nl_4_4", "iq4_nl_4_8", "iq4_nl_8_8",
      "mxfp4"};
  if (ggml_type >= names.size() || names[ggml_type].empty()) return "unknown";
  return names[ggml_type];
}

}  // namespace eaglerun
