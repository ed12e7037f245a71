#pragma once
// Test helpers: the kernel ISAs this CPU runs, and a scope that switches to one of them.
#include <vector>

#include "core/kernels/kernel_isa.h"

namespace eaglerun::test {

// Restores the ISA chosen at start-up when a test ends.
class IsaScope {
 public:
  explicit IsaScope(KernelIsa isa) : saved_(active_kernel_isa()) { set_kernel_isa(isa); }
  ~IsaScope() { set_kernel_isa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  KernelIsa saved_;
};

inline std::vector<KernelIsa> supported_isas() {
  std::vector<KernelIsa> out;
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    if (kernel_isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

}  // namespace eaglerun::test
