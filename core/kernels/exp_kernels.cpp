#include "core/kernels/exp_kernels.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/kernels/kernel_isa.h"

namespace eaglerun {
namespace kernels {

const uint64_t kExp2fTable[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51, 0x3fef72b83c7d517b,
    0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1, 0x3fef06fe0a31b715, 0x3feef1a7373aa9cb,
    0x3feedea64c123422, 0x3feece086061892d, 0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429,
    0x3feea47eb03a5585, 0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d, 0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069, 0x3fef5818dcfba487, 0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da, 0x3fefd0765b6e4540};

}  // namespace kernels

namespace {

using VectorLoop = int64_t (*)(const float*, float, float*, int64_t);

VectorLoop loop_for(KernelIsa isa) {
#if defined(EAGLERUN_X86_KERNELS)
  if (isa == KernelIsa::Avx512) return kernels::exp_shifted_avx512;
  if (isa == KernelIsa::Avx2) return kernels::exp_shifted_avx2;
#endif
  return nullptr;
}

// The start-up check: every 2^-k step pattern of the float range (all exponents, 4096 mantissas each)
// for both signs, the special values, and the range ends.
bool matches_libm(VectorLoop loop) {
  std::vector<float> x;
  for (uint32_t e = 0; e < 256; ++e) {
    for (uint32_t m = 0; m < 4096; m += 31) {
      const uint32_t bits = (e << 23) | (m * 2039u % (1u << 23));
      x.push_back(std::bit_cast<float>(bits));
      x.push_back(std::bit_cast<float>(bits | 0x80000000u));
    }
  }
  // The branch points of glibc's expf and their neighbours (a few ulps either side).
  for (float v : {-0x1.9fe368p6f, -0x1.9d1d9ep6f, 0x1.62e42ep6f, -88.f, 88.f, 1.f, -1.f})
    for (int d = -4; d <= 4; ++d) x.push_back(std::bit_cast<float>(std::bit_cast<uint32_t>(v) + d));
  for (float v : {0.f, -0.f, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()})
    x.push_back(v);
  for (float v = -110.f; v <= 90.f; v += 0.0137f) x.push_back(v);
  while (x.size() % 16 != 0) x.push_back(0.f);
  std::vector<float> got(x.size());
  const int64_t n = static_cast<int64_t>(x.size());
  if (loop(x.data(), 0.f, got.data(), n) != n) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float want = std::exp(x[i]);
    if (std::isnan(want) ? !std::isnan(got[i]) : std::bit_cast<uint32_t>(want) != std::bit_cast<uint32_t>(got[i]))
      return false;
  }
  return true;
}

VectorLoop checked_loop(KernelIsa isa) {
  // One check per ISA per process (tests switch ISAs).
  static const VectorLoop avx2 = [] {
    const VectorLoop f = kernel_isa_supported(KernelIsa::Avx2) ? loop_for(KernelIsa::Avx2) : nullptr;
    return f && matches_libm(f) ? f : nullptr;
  }();
  static const VectorLoop avx512 = [] {
    const VectorLoop f = kernel_isa_supported(KernelIsa::Avx512) ? loop_for(KernelIsa::Avx512) : nullptr;
    return f && matches_libm(f) ? f : nullptr;
  }();
  if (isa == KernelIsa::Avx512) return avx512;
  if (isa == KernelIsa::Avx2) return avx2;
  return nullptr;
}

}  // namespace

bool exp_shifted_vectorised() { return checked_loop(active_kernel_isa()) != nullptr; }

int64_t silu_mul_vectorised(const float* gate, const float* up, int64_t n, float* out) {
#if defined(EAGLERUN_X86_KERNELS)
  // The same exp lanes as exp_shifted's AVX-512 loop, so only where that loop passed its check.
  if (active_kernel_isa() == KernelIsa::Avx512 && checked_loop(KernelIsa::Avx512) != nullptr) {
    return kernels::silu_mul_avx512(gate, up, n, out);
  }
#endif
  return 0;
}

void exp_shifted(const float* x, float shift, float* y, int64_t n) {
  int64_t done = 0;
  if (const VectorLoop loop = checked_loop(active_kernel_isa())) done = loop(x, shift, y, n);
  for (int64_t i = done; i < n; ++i) y[i] = std::exp(x[i] - shift);
}

}  // namespace eaglerun
