#pragma once
// Host launchers of the CUDA kernels. Each computes exactly what the CPU reference op named beside it
// computes (up to the rounding stated there); tests/cuda compares them op by op.
// Every pointer is a device pointer; every launcher enqueues on `stream` and returns (under the host
// emulation, tests/cuda, it runs to completion first). Sizes must be positive: bad sizes throw
// eaglerun::Error before anything is launched. Values behind device pointers (tokens, positions,
// indices) cannot be checked on the host: the caller validates them, as the CPU path does.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/backend/backend.h"  // KvLayer: one layer of a KV cache, [n_kv_heads, capacity, head_dim]
#include "core/config/model_config.h"
#include "core/tensor/dtype.h"

namespace eaglerun::cuda {

// core/kernels/ops.h rmsnorm: out[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * weight.
// x, out: [n, dim] (may alias); weight: [dim]. Sum of squares in double, as on the CPU.
void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out,
             cudaStream_t stream);

// core/kernels/ops.h rope: rotates each head of x in place. x: [n, n_heads * head_dim];
// positions: [n], each >= 0. cos/sin of position * theta^(-2j/head_dim) in double, rounded to float.
void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta,
          RopePairing pairing, cudaStream_t stream);

// core/kernels/ops.h silu_mul: out[i] = silu(gate[i]) * up[i]. gate, up, out: [n]; out may alias gate.
void silu_mul(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream);

// core/kernels/ops.h add_inplace: out[i] += x[i]. out, x: [n].
void add_inplace(float* out, const float* x, int64_t n, cudaStream_t stream);

// core/kernels/matmul.h dequantize_row for n rows: out[i, :] = row tokens[i] of table, as fp32.
// table: [rows, cols] of dtype in its file layout (cols a multiple of the block size); tokens: [n];
// out: [n, cols]. A token outside [0, rows) stops the kernel (__trap): the launch fails.
void embed_rows(DType dtype, const void* table, int64_t rows, int64_t cols, const int32_t* tokens, int64_t n,
                float* out, cudaStream_t stream);

// core/kernels/ops.h argmax of each row: out_index[i] = argmax(x[i, :]), the lowest index among
// equal maxima; 0 when no value exceeds -inf (all -inf or NaN). x: [n, cols]; out_index: [n].
void argmax_rows(const float* x, int64_t n, int64_t cols, int32_t* out_index, cudaStream_t stream);

// core/kernels/ops.h softmax of each row, in place: x: [n, cols]. Normaliser summed in double.
void softmax_rows(float* x, int64_t n, int64_t cols, cudaStream_t stream);

// KvCache::write: rows [first, first + n) of the layer <- k, v: [n, n_kv_heads * head_dim] fp32.
void kv_write(const KvLayer& layer, int64_t first, const float* k, const float* v, int64_t n, cudaStream_t stream);

// KvCache::keep's compaction of one layer: row i <- row indices[i] for i < count, in every KV head
// of keys and values. indices: [count], strictly increasing, each < the cache's size (so
// indices[i] >= i: the rows overlap, and each element column is copied in row order). An index below
// its position or outside the capacity stops the kernel (__trap): the launch fails.
void kv_gather(const KvLayer& layer, const int64_t* indices, int64_t count, cudaStream_t stream);

// core/backend/masked_attention.h masked_attention over one layer: for new token i and query head h (KV head
// g = h / (n_heads / n_kv_heads)):
//   out[i, h] = sum_j p_j * V[j, g],  p = softmax_j(q[i, h] . K[j, g] / sqrt(head_dim)) over j < width
//   with mask[i, j] != 0,
// in fp32 (an online softmax: the same formula as the CPU's, summed in another order).
// q, out: [n_new, n_heads * head_dim]; mask: [n_new, width] (cached rows first, then the new tokens'),
// width <= capacity; head_dim <= 256. A token that sees no key gets zeros.
void masked_attention(const float* q, const KvLayer& layer, const uint8_t* mask, int64_t n_new, int64_t width,
                      int64_t n_heads, float* out, cudaStream_t stream);

// core/kernels/matmul.h matmul (Precision::Reference): y[n, out] = x[n, in] · W[out, in]^T, the weight
// in its file layout (any DType; in a multiple of its block size), dequantised exactly and summed in
// fp32 (in another order than the CPU's). Meant for few rows of x (decode, verification: 1..64).
void matmul(DType dtype, const void* w, int64_t out, int64_t in, const float* x, int64_t n, float* y,
            cudaStream_t stream);

// core/kernels/matmul.h fp32_to_bf16 / fp32_to_fp16 of n values: out[i] = x[i] as a bf16 (type
// DType::BF16) or binary16 (DType::F16) bit pattern, rounded to nearest even, bit for bit the CPU's
// (overflow: inf; bf16 NaN: the top half with the quiet bit set; fp16 NaN: sign | 0x7E00).
// x: [n] fp32; out: [n]. Feeds the 16-bit GEMM (CudaBackend::matmul, Gemm::gemm16).
void fp32_to_16bit(DType type, const float* x, int64_t n, uint16_t* out, cudaStream_t stream);

// parallel/communicator.cpp all_reduce_sum's per-rank sum (the NCCL communicator's, on the device):
// out[i] = ((blocks[0, i] + blocks[1, i]) + ...) + blocks[p - 1, i] in fp32, in block (rank) order,
// bit for bit the host loop's whatever p and block are. blocks: [p, block]; out: [block], apart from blocks.
void sum_blocks(const float* blocks, int64_t p, int64_t block, float* out, cudaStream_t stream);

}  // namespace eaglerun::cuda
