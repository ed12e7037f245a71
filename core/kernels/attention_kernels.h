#pragma once
// The two inner loops of attention for one token: the scores of the query heads that share one KV
// head, and the probability-weighted sum of values. fp32; the ISA is the one matmul uses
// (kernel_isa.h). Both sum in an order fixed by d and by the visible keys alone (never by how many
// tokens or heads a call covers), so a draft-tree row and the same row of plain decoding agree bit
// for bit.
#include <cstdint>

namespace eaglerun {

struct AttentionHeadsArgs {
  const float* q;          // [G, d]: G query heads of one token that read the same KV head
  int64_t G;
  const float* keys;       // key of cache row j at keys + j * stride, d floats
  const float* values;     // value of cache row j at values + j * stride, d floats
  const int64_t* visible;  // [n] cache rows this token sees, in cache order
  int64_t n;
  int64_t stride;
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
