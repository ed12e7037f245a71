// fp32 activations to bf16 / fp16 bit patterns for the tensor-core GEMM (CudaBackend::matmul), with
// the CPU's rounding (core/kernels/half.cpp fp32_to_bf16 / fp32_to_fp16): integer code, so that NaN
// payloads and signs come out as the CPU's too (cvt.rn would give one canonical NaN).
#include "core/backend/cuda/kernels.h"
#include "core/backend/cuda/launch.h"
#include "core/backend/cuda/launch_shape.h"

namespace eaglerun::cuda {

namespace {

// Round to nearest even by adding 0x7FFF plus the kept part's lowest bit; a carry may reach the
// exponent (up to inf). NaN: the top 16 bits with the quiet bit set.
__device__ __forceinline__ uint16_t fp32_to_bf16_bits(float f) {
  const unsigned u = __float_as_uint(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

// binary16, round to nearest even: normal results rebias the exponent and round the 13 dropped
// mantissa bits (a carry may bump the exponent); |f| >= 65520 gives inf; subnormal results round
// |f| / 2^-24 to an integer; below 2^-25 (half the smallest subnormal, a tie to even 0) gives zero.
// NaN: sign | 0x7E00.
__device__ __forceinline__ uint16_t fp32_to_fp16_bits(float f) {
  const unsigned u = __float_as_uint(f);
  const unsigned sign = (u >> 16) & 0x8000u;
  const unsigned abs = u & 0x7FFFFFFFu;
  unsigned h = 0;
  if (abs >= 0x7F800000u) {
    h = abs > 0x7F800000u ? 0x7E00u : 0x7C00u;
  } else if (abs >= 0x477FF000u) {
    h = 0x7C00u;
  } else if (abs >= 0x38800000u) {
    const unsigned r = abs - 0x38000000u;
    const unsigned rem = r & 0x1FFFu;
    h = r >> 13;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  } else if (abs >= 0x33000000u) {
    const unsigned shift = 126u - (abs >> 23);  // 14..24
    const unsigned man = (abs & 0x7FFFFFu) | 0x800000u;
    const unsigned rem = man & ((1u << shift) - 1u);
    const unsigned half = 1u << (shift - 1u);
    h = man >> shift;
    if (rem > half || (rem == half && (h & 1u))) ++h;
  }
  return static_cast<uint16_t>(sign | h);
}

// x: [n] fp32; out: [n] 16-bit patterns of `type`.
template <DType type>
__global__ void fp32_to_16bit_kernel(const float* x, int64_t n, uint16_t* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    if constexpr (type == DType::BF16) {
      out[i] = fp32_to_bf16_bits(x[i]);
    } else {
      out[i] = fp32_to_fp16_bits(x[i]);
    }
  }
}

constexpr unsigned convert_threads = 256;

}  // namespace

void fp32_to_16bit(DType type, const float* x, int64_t n, uint16_t* out, cudaStream_t stream) {
  require(type == DType::BF16 || type == DType::F16,
          "cuda::fp32_to_16bit: the type must be bf16 or f16, got " + std::string(dtype_info(type).name));
  require_size("cuda::fp32_to_16bit", "n", n, int64_t{1} << 40);
  const dim3 grid(blocks_for(n, convert_threads)), block(convert_threads);
  if (type == DType::BF16) {
    launch(fp32_to_16bit_kernel<DType::BF16>, grid, block, 0, stream, x, n, out);
  } else {
    launch(fp32_to_16bit_kernel<DType::F16>, grid, block, 0, stream, x, n, out);
  }
}

}  // namespace eaglerun::cuda
