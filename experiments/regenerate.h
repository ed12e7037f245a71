#pragma once
// The "regenerated" data source: the conversation's user turns with every answer replaced by the
// target's own (greedy or sampled), as EAGLE-3 trains on. Turn by turn, each answer sees the earlier
// regenerated answers. Uses plain generation (core/runtime/generator.h).
#include <cstdint>
#include <vector>

#include "core/runtime/engine.h"
#include "core/sampling/sampler.h"

namespace eaglerun {

struct RegenerationOptions {
  SamplingParams sampling;       // temperature 0 = greedy; the seed is offset per conversation
  int64_t max_new_tokens = 512;  // per answer
  int64_t max_len = 2048;        // stop adding turns once the rendered conversation reaches this many tokens
};

// The system turn (if any) and user turns of `conversation`, each user turn followed by the target's
// answer. Turns that would start at or after max_len tokens are dropped. The sampler is seeded with
// options.sampling.seed + conversation_index, so a resumed extraction regenerates the same answers.
std::vector<ChatMessage> regenerate_answers(const Engine& engine, const std::vector<ChatMessage>& conversation,
                                            const RegenerationOptions& options, int64_t conversation_index);

// `bytes` as valid UTF-8: each byte that does not start a valid sequence becomes U+FFFD.
std::string sanitize_utf8(const std::string& bytes);

}  // namespace eaglerun
