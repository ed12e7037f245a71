// IEEE binary16 and bfloat16 <-> binary32, in portable integer code (exact, subnormals included).
#include <cstdint>
#include <cstring>

#include "core/kernels/matmul.h"
#if defined(EAGLERUN_X86_KERNELS)
#include "core/kernels/kernel_isa.h"
#include "core/kernels/kernels_avx512.h"
#endif

namespace eaglerun {

namespace {
uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
}  // namespace

// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t man = h & 0x3FFu;
  if (exp == 0x1F) return float_of(sign | 0x7F800000u | (man << 13));  // inf / nan (payload kept)
  if (exp != 0) return float_of(sign | ((exp + 112) << 23) | (man << 13));
  // Zero or subnormal: man * 2^-24, exact in binary32.
  const float magnitude = static_cast<float>(man) * 5.9604644775390625e-8f;
  return float_of(sign | bits_of(magnitude));
}

// Round to nearest, ties to even; overflow gives inf; nan stays nan (quiet).
uint16_t fp32_to_fp16(float f) {
  const uint32_t u = bits_of(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u);
  if (abs >= 0x477FF000u) return sign | 0x7C00u;  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Result is subnormal (or zero): value / 2^-24 rounded to an integer mantissa.
    if (abs < 0x33000000u) return sign;  // below half the smallest subnormal
    const uint32_t exp = abs >> 23;
    const uint32_t man = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14..24
    uint32_t q = man >> shift;
    const uint32_t rem = man & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits (a carry may bump the exponent).
  uint32_t r = abs - 0x38000000u;
  const uint32_t rem = r & 0x1FFFu;
  r >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

// fp32_to_fp16 without branches, so that the loop vectorises in baseline x86-64 code: both the
// normal and the subnormal results are computed and the right one (or inf / nan) selected.
//   normal (|x| >= 2^-14): rebias the exponent and round the 13 dropped mantissa bits to nearest
//     even by adding 0xFFF plus the kept mantissa's lowest bit (a carry may bump the exponent, up
//     to inf for |x| >= 65520);
//   subnormal or zero: |x| + 0.5 has its ulp at 2^-24, so the float adder rounds |x| / 2^-24 to the
//     nearest even integer, which the mantissa bits then hold.
// With AVX-512, whole vectors go through vcvtps2ph (kernels_avx512_quantize.cpp), the same bits.
void fp32_to_fp16_row(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
#if defined(EAGLERUN_X86_KERNELS)
  if (active_kernel_isa() == KernelIsa::Avx512) i = kernels::avx512::fp32_to_fp16_row(x, n, out);
#endif
  for (; i < n; ++i) {
    const uint32_t u = bits_of(x[i]);
    const auto abs = static_cast<int32_t>(u & 0x7FFFFFFFu);
    const uint32_t normal = (static_cast<uint32_t>(abs) - 0x38000000u + 0xFFFu + ((u >> 13) & 1u)) >> 13;
    const uint32_t subnormal = bits_of(float_of(static_cast<uint32_t>(abs)) + 0.5f) - 0x3F000000u;
    const uint32_t special = abs > 0x7F800000 ? 0x7E00u : 0x7C00u;  // nan (quiet) or inf
    const uint32_t h = abs >= 0x47800000 ? special : abs < 0x38800000 ? subnormal : normal;
    out[i] = static_cast<uint16_t>(((u >> 16) & 0x8000u) | h);
  }
}

float bf16_to_fp32(uint16_t h) { return float_of(static_cast<uint32_t>(h) << 16); }

uint16_t fp32_to_bf16(float f) {
  const uint32_t u = bits_of(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet nan
  const uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

}  // namespace eaglerun
