#pragma once
// The two inner loops of attention for one token: the scores of the query heads that share one KV
// head, and the probability-weighted sum of values. The cached keys and values are fp32 or fp16
// (kv_type); an fp16 row is widened to fp32 exactly and then takes the fp32 arithmetic, so a kernel
// over an fp16 cache returns the bits the same kernel returns over the widened rows. The ISA is the
// one matmul uses (kernel_isa.h). Both sum in an order fixed by d and by the visible keys alone
// (never by how many tokens or heads a call covers), so a draft-tree row and the same row of plain
// decoding agree bit for bit.
#include <cstdint>

#include "core/tensor/dtype.h"

namespace eaglerun {

struct AttentionHeadsArgs {
  const float* q;          // [G, d]: G query heads of one token that read the same KV head
  int64_t G;
  const void* keys;        // key of cache row j at element j * stride, d elements of kv_type
  const void* values;      // value of cache row j at element j * stride, d elements of kv_type
  DType kv_type;           // F32 or F16
  const int64_t* visible;  // [n] cache rows this token sees, in cache order
  int64_t n;
  int64_t stride;          // elements between cache rows
  int64_t d;               // head_dim
  float scale;             // 1 / sqrt(d)
  float* scores;           // [G, n]
  float* out;              // [G, d]
};

// scores[g, t] = scale * q[g] . keys[visible[t]]
void attention_scores(const AttentionHeadsArgs& a);
// scores[0..n) <- softmax(scores): exp(s - max) / sum, the sum in 16 lanes (t in lane t % 16).
void attention_softmax(float* scores, int64_t n);
// out[g] = sum_t scores[g, t] * values[visible[t]]  (t in order)
void attention_mix(const AttentionHeadsArgs& a);

}  // namespace eaglerun
