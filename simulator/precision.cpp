#include "simulator/precision.h"

#include "core/error.h"

namespace eaglerun::sim {

double bytes_per_element(Precision p) {
  switch (p) {
    case Precision::FP32: return 4.0;
    case Precision::BF16:
    case Precision::FP16: return 2.0;
    case Precision::INT8: return 1.0 + 2.0 / 32.0;
    case Precision::INT4: return 0.5 + 4.0 / 32.0;
  }
  return 0.0;
}

Precision parse_precision(const std::string& text, const std::string& what) {
  if (text == "fp32") return Precision::FP32;
  if (text == "bf16") return Precision::BF16;
  if (text == "fp16") return Precision::FP16;
  if (text == "int8") return Precision::INT8;
  if (text == "int4") return Precision::INT4;
  throw Error(what + ": unknown precision '" + text + "' (expected fp32, bf16, fp16, int8 or int4)");
}

std::string precision_name(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::FP16: return "fp16";
    case Precision::INT8: return "int8";
    case Precision::INT4: return "int4";
  }
  return "?";
}

}  // namespace eaglerun::sim
