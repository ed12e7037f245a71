#pragma once
// Element-wise and row-wise ops of the transformer forward pass, fp32, row-major.
#include <cstdint>

#include "core/config/model_config.h"
#include "core/kernels/thread_pool.h"

namespace eaglerun {

// out[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * weight.   x, out: [n, dim]; may alias.
void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out);

// The same with the rows split over the pool (when there are enough to pay for a parallel loop):
// every row has the bits of the one-thread call.
void rmsnorm(const float* x, const float* weight, int64_t n, int64_t dim, float eps, float* out, ThreadPool& pool);

// Rotates each head of x in place. x: [n, n_heads * head_dim]; positions: [n].
// inv_freq_j = theta^(-2j/head_dim), angle = position * inv_freq_j, for j < head_dim/2;
// pairing chooses which two dims rotate together (see RopePairing).
void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta,
          RopePairing pairing);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).   n elements; out may alias gate.
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
// The same with the elements split over the pool (when there are enough): the same bits.
void silu_mul(const float* gate, const float* up, int64_t n, float* out, ThreadPool& pool);

// In-place softmax of one row of n values (max-subtracted).
void softmax(float* x, int64_t n);

// Index of the largest value; the lowest index wins ties.
int64_t argmax(const float* x, int64_t n);

// out[i] += x[i]
void add_inplace(float* out, const float* x, int64_t n);

}  // namespace eaglerun
