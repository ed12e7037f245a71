#pragma once
// Which native kernels Precision::Fast uses. Chosen at start-up from the CPU's features (the best
// one supported), overridable with the environment variable EAGLERUN_KERNEL_ISA=scalar|avx2|avx512
// or with set_kernel_isa (tests and benchmarks force each path this way).
//   Avx512: AVX-512 F+BW+VL+VNNI (+FMA, F16C): 8-bit dot products with vpdpbusd.
//   Avx2:   AVX2+FMA+F16C: 8-bit dot products with vpmaddubsw.
//   Scalar: portable C++; runs on any CPU.
#include <string_view>

namespace eaglerun {

enum class KernelIsa { Scalar, Avx2, Avx512 };

std::string_view kernel_isa_name(KernelIsa isa);
bool kernel_isa_supported(KernelIsa isa);  // by this CPU
KernelIsa best_kernel_isa();               // the best one this CPU supports
KernelIsa active_kernel_isa();
// Throws Error if this CPU lacks the instructions. Not meant to be called while matmuls run.
void set_kernel_isa(KernelIsa isa);

}  // namespace eaglerun
