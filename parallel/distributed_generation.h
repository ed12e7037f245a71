#pragma once
// Decoding with the target spread over the job. One request at a time needs nothing of its own:
// DistributedTarget is a Target, so generate_plain and generate_speculative (core/) run unchanged
// on the coordinator, with every target forward broadcast to the ranks; greedy steps fetch only
// each row's argmax, sampling fetches full logits rows, so the sampler sees exactly what one rank
// would. What is specific to several ranks is the pipeline batch below.
#include <vector>

#include "core/runtime/generator.h"
#include "parallel/command_channel.h"

namespace eaglerun {

// Greedy plain decoding of several requests at once, each its own sequence (KV cache): every round
// launches one step per unfinished sequence before collecting any, so with pipeline stages each
// sequence is a micro-batch and the stages work on different sequences at the same time. Each
// result equals generate_plain's for that request alone; the timings are the batch's (prefill of
// all prompts, then decoding of all).
std::vector<GenerationResult> generate_plain_batch_distributed(DistributedTarget& target,
                                                               const std::vector<GenerationRequest>& requests);

}  // namespace eaglerun
