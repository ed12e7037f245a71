#pragma once
// Internal: the fp32 soft cross-entropy row (see loss.h), generic and AVX-512.
#include <cstdint>

namespace eaglerun::train::detail {

// d[V]: draft logits -> scale * (q - p); t[V]: target logits -> p. Returns CE, sets *entropy = H(p).
using SoftCeRow = double (*)(float* d, float* t, int64_t v, float scale, double* entropy);

double soft_ce_row_generic(float* d, float* t, int64_t v, float scale, double* entropy);
// nullptr when not compiled in or the CPU lacks AVX-512F.
SoftCeRow soft_ce_row_avx512();

}  // namespace eaglerun::train::detail
