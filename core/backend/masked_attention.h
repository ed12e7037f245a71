#pragma once
// Grouped-query attention of new tokens over the KV cache, under an explicit mask.
#include <span>

#include "core/backend/attention_mask.h"
#include "core/backend/backend.h"
#include "core/config/model_config.h"
#include "core/kernels/thread_pool.h"

namespace eaglerun {

// For each new token i and query head h (KV head g = h / group_size):
//   out[i, h] = sum_j p_j * V[j, g],  p = softmax_j(q[i, h] . K[j, g] / sqrt(head_dim)) over j with mask(i, j).
// q, out: [n_new, Q] fp32; kv: mask.width() rows of keys and values for every KV head (cached rows
// first, then the new tokens' rows), F32 or F16, read as they are stored.
void masked_attention(const float* q, const KvRows& kv, const AttentionMask& mask, const ModelConfig& config,
                      float* out, ThreadPool& pool);

// masked_attention() of every segment, in one parallel loop over all their (token, head) items.
// Each row is computed exactly as it is alone: the sums depend on its visible keys only.
void masked_attention(std::span<const AttentionSegment> segments, const ModelConfig& config, ThreadPool& pool);

}  // namespace eaglerun
