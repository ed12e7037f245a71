#pragma once
// Storage precision of weights and KV entries, and the bytes one element takes in memory.
#include <string>

namespace eaglerun::sim {

enum class Precision { FP32, BF16, FP16, INT8, INT4 };

// Bytes per element, block scales included:
//   fp32 4, bf16/fp16 2;
//   int8 = 1 + 2/32: one int8 per weight and an fp16 scale per block of 32 (ggml Q8_0);
//   int4 = 0.5 + 4/32: one nibble per weight and an fp16 scale and minimum per block of 32 (ggml Q4_1,
//          the same bytes as gpt-fast's int4 with group size 32 and bf16 scales and zeros).
double bytes_per_element(Precision p);

// "fp32", "bf16", "fp16", "int8", "int4"; throws Error naming `what` and the accepted names.
Precision parse_precision(const std::string& text, const std::string& what);
std::string precision_name(Precision p);

}  // namespace eaglerun::sim
