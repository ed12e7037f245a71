#pragma once
// How the target is spread over GPUs: tensor parallel (heads and MLP rows, Megatron style), pipeline
// stages (contiguous layer ranges) and expert parallel (Mixtral's experts placed across GPUs).
#include <cstdint>

#include "simulator/hardware_profile.h"
#include "simulator/model_shape.h"

namespace eaglerun::sim {

struct ParallelSplit {
  int64_t tp = 1, pp = 1, ep = 1;
  // Pipeline micro-batch overlap: with it the batch's sequences flow through the stages as separate
  // micro-batches (min(batch, pp) of them); without it (the paper's 70B run: layers spread over 4
  // GPUs by device_map) one micro-batch visits the stages in turn.
  bool pp_overlap = false;

  int64_t gpus() const { return tp * pp * ep; }
  int64_t nodes(const HardwareProfile& hw) const { return (gpus() + hw.gpus_per_node - 1) / hw.gpus_per_node; }
  int64_t micro_batches(int64_t batch) const { return pp_overlap ? (batch < pp ? batch : pp) : 1; }
};

// Throws Error with one line when tp does not divide the query or KV heads, pp the layers, ep the
// experts (or ep > 1 for a dense model), or a factor is below 1.
void check_split(const ParallelSplit& split, const ModelShape& model);

}  // namespace eaglerun::sim
