#pragma once
// The two MLP kinds: a dense SwiGLU block (LLaMA) and a sparse mixture of SwiGLU experts (Mixtral).
// x and out are the backend's device pointers.
#include "core/backend/backend.h"
#include "core/config/model_config.h"
#include "core/model/model_weights.h"

namespace eaglerun {

// out[n, H] = down(silu(gate(x)) * up(x)),  x: [n, H].
void swiglu(const FeedForwardWeights& w, const float* x, int64_t n, float* out, Backend& backend);

// Mixtral's block_sparse_moe, as Hugging Face computes it:
//   p = softmax(router(x)) over E experts (fp32); take the top-k experts by p; renormalise their p to sum 1;
//   out = sum over the chosen experts e of p_e * swiglu_e(x).
// Under expert parallelism the experts this rank does not hold are empty views: they are skipped,
// and the caller sums every rank's partial `out` (routing is computed in full on every rank).
void sparse_moe(const LayerWeights& w, const ModelConfig& config, const float* x, int64_t n, float* out,
                Backend& backend);

}  // namespace eaglerun
