#include "core/kernels/kernel_isa.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/kernels/isa_kernels.h"

#if defined(EAGLERUN_X86_KERNELS)
#include <cpuid.h>
#endif

namespace eaglerun {

namespace {

#if defined(EAGLERUN_X86_KERNELS)
// CPUID feature bits, and XCR0: whether the OS saves the vector registers the kernels use.
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false, avx512vnni = false;
  bool os_avx = false, os_avx512 = false;
};

CpuFeatures read_cpu_features() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  f.fma = c & (1u << 12);
  f.f16c = c & (1u << 29);
  const bool osxsave = c & (1u << 27);
  if (osxsave) {
    uint32_t xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    f.os_avx = (xcr0_lo & 0x6u) == 0x6u;        // SSE and AVX state
    f.os_avx512 = (xcr0_lo & 0xE6u) == 0xE6u;   // plus opmask and the upper ZMM registers
  }
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vnni = c & (1u << 11);
  }
  return f;
}

const CpuFeatures& cpu() {
  static const CpuFeatures f = read_cpu_features();
  return f;
}

bool cpu_has_avx2() { return cpu().os_avx && cpu().avx2 && cpu().fma && cpu().f16c; }

bool cpu_has_avx512() {
  const CpuFeatures& f = cpu();
  return cpu_has_avx2() && f.os_avx512 && f.avx512f && f.avx512dq && f.avx512bw && f.avx512vl && f.avx512vnni;
}
#else
bool cpu_has_avx2() { return false; }
bool cpu_has_avx512() { return false; }
#endif

KernelIsa initial_isa() {
  const KernelIsa best = best_kernel_isa();
  const char* env = std::getenv("EAGLERUN_KERNEL_ISA");
  if (env == nullptr || *env == '\0') return best;
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    if (kernel_isa_name(isa) == env) {
      require(kernel_isa_supported(isa), "EAGLERUN_KERNEL_ISA=" + std::string(env) + ": this CPU lacks the instructions");
      return isa;
    }
  }
  throw Error("EAGLERUN_KERNEL_ISA=" + std::string(env) + ": expected scalar, avx2 or avx512");
}

std::atomic<KernelIsa>& active() {
  static std::atomic<KernelIsa> isa{initial_isa()};
  return isa;
}

}  // namespace

std::string_view kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Scalar: return "scalar";
    case KernelIsa::Avx2: return "avx2";
    case KernelIsa::Avx512: return "avx512";
  }
  return "?";
}

bool kernel_isa_supported(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Scalar: return true;
    case KernelIsa::Avx2: return cpu_has_avx2();
    case KernelIsa::Avx512: return cpu_has_avx512();
  }
  return false;
}

KernelIsa best_kernel_isa() {
  if (cpu_has_avx512()) return KernelIsa::Avx512;
  if (cpu_has_avx2()) return KernelIsa::Avx2;
  return KernelIsa::Scalar;
}

KernelIsa active_kernel_isa() { return active().load(std::memory_order_relaxed); }

void set_kernel_isa(KernelIsa isa) {
  require(kernel_isa_supported(isa), "kernel ISA " + std::string(kernel_isa_name(isa)) + " is not supported by this CPU");
  active().store(isa, std::memory_order_relaxed);
}

namespace kernels {

const IsaKernels& active_isa_kernels() {
#if defined(EAGLERUN_X86_KERNELS)
  switch (active_kernel_isa()) {
    case KernelIsa::Avx512: return kAvx512Kernels;
    case KernelIsa::Avx2: return kAvx2Kernels;
    case KernelIsa::Scalar: break;
  }
#endif
  return kScalarKernels;
}

}  // namespace kernels
}  // namespace eaglerun
