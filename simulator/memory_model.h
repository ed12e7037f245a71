#pragma once
// Device memory per GPU (the fullest one): weights of its stage and shard, the KV cache of `batch`
// sequences of `context` tokens, the draft head with its KV cache (on the last GPU, with EAGLE),
// and one forward's activations and logits.
#include <cstdint>

#include "simulator/deployment.h"

namespace eaglerun::sim {

struct MemoryUse {
  double weights_bytes = 0;
  double kv_bytes = 0;
  double head_bytes = 0;         // the head's weights and KV cache (0 without EAGLE)
  double activation_bytes = 0;
  double available_bytes = 0;    // memory - reserved
  double total_bytes() const { return weights_bytes + kv_bytes + head_bytes + activation_bytes; }
  bool fits() const { return total_bytes() <= available_bytes; }
};

// rows_per_sequence: tokens in one forward (1 plain, the tree's nodes with EAGLE).
MemoryUse memory_per_gpu(const Deployment& d, int64_t batch, int64_t context, bool eagle, int64_t rows_per_sequence);
// The largest batch that fits (0 when not even one sequence does); searched up to `limit`.
int64_t largest_batch(const Deployment& d, int64_t context, bool eagle, int64_t rows_per_sequence,
                      int64_t limit = 1 << 16);
// Throws Error when `context` exceeds the target's context window (max_position_embeddings).
void check_context(const Deployment& d, int64_t context);
// Throws Error("... needs X GiB per GPU, the GPU has Y GiB ...") when batch 1 does not fit.
void check_fits(const Deployment& d, int64_t batch, int64_t context, bool eagle, int64_t rows_per_sequence);

}  // namespace eaglerun::sim
