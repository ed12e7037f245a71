#pragma once
// Plain and speculative decoding on the coordinator with the target spread over the job: the
// same loops as core/runtime/generator.h and core/eagle/speculative.h, each target forward a
// DistributedTarget step. The coordinator runs the drafter (its embedding and LM head read from
// the whole model's mapping), builds the tree and decides acceptance; every rank then keeps the
// accepted path in its KV cache. Greedy steps fetch only each row's argmax; sampling fetches
// full logits rows, so the sampler sees exactly what one rank would.
#include "core/eagle/drafter.h"
#include "core/eagle/speculative.h"
#include "core/eagle/tree_spec.h"
#include "core/runtime/generator.h"
#include "parallel/command_channel.h"

namespace eaglerun {

// Throws Error as generate_plain does.
GenerationResult generate_plain_distributed(DistributedTarget& target, Sampler& sampler,
                                            const GenerationRequest& request);

// Greedy plain decoding of several requests at once, each its own sequence (KV cache): every round
// launches one step per unfinished sequence before collecting any, so with pipeline stages each
// sequence is a micro-batch and the stages work on different sequences at the same time. Each
// result equals generate_plain_distributed's for that request alone; the timings are the batch's
// (prefill of all prompts, then decoding of all).
std::vector<GenerationResult> generate_plain_batch_distributed(DistributedTarget& target,
                                                               const std::vector<GenerationRequest>& requests);

// Throws Error as generate_speculative does, and for --tree auto (its cost curve is one rank's).
SpeculativeResult generate_speculative_distributed(DistributedTarget& target, Drafter& drafter, const TreeSpec& tree,
                                                   Sampler& sampler, const GenerationRequest& request,
                                                   const SpeculativeOptions& options = {});

}  // namespace eaglerun
