#pragma once
// Everything fixed about one simulated deployment: target, draft head, hardware, runtime, split and
// precisions.
#include "simulator/hardware_profile.h"
#include "simulator/model_shape.h"
#include "simulator/parallel_split.h"
#include "simulator/precision.h"
#include "simulator/runtime_profile.h"

namespace eaglerun::sim {

struct Precisions {
  Precision weights = Precision::FP16;  // the target's decoder layers
  Precision lm_head = Precision::FP16;  // the target's LM head (llama.cpp files often keep it wider)
  Precision kv = Precision::FP16;       // KV cache entries
  Precision head = Precision::FP16;     // the draft head's matrices
  Precision activations = Precision::FP16;  // what crosses links
};

struct Deployment {
  ModelShape target;
  ModelShape head;
  HardwareProfile hw;
  RuntimeProfile runtime;
  ParallelSplit split;
  Precisions precision;
};

}  // namespace eaglerun::sim
