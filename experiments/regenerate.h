#pragma once
// The "regenerated" data source: the conversation's user turns with every answer replaced by the
// target's own (greedy or sampled), as EAGLE-3 trains on. Turn by turn, each answer sees the earlier
// regenerated answers. One conversation at a time through plain generation (core/runtime/generator.h),
// or many at once through batched decoding (Target::forward_batch): the same answers either way.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/runtime/engine.h"
#include "core/runtime/generator.h"
#include "core/sampling/sampler.h"
#include "experiments/conversation.h"

namespace eaglerun {

struct RegenerationOptions {
  SamplingParams sampling;       // temperature 0 = greedy; the seed is offset per conversation
  int64_t max_new_tokens = 512;  // per answer
  int64_t max_len = 2048;        // stop adding turns once the rendered conversation reaches this many tokens
  int32_t batch = 8;             // conversations decoded together by regenerate_answers_batch
};

// One conversation's turn-by-turn state, shared by both entry points below:
//   while (auto request = c.next_request()) c.finish_answer(<generate request with c.sampler()>);
//   c.messages()  -> the system turn (if any) and user turns, each followed by its new answer
class ConversationRegeneration {
 public:
  ConversationRegeneration(const Engine& engine, const std::vector<ChatMessage>& conversation,
                           const RegenerationOptions& options, int64_t conversation_index);
  ConversationRegeneration(const ConversationRegeneration&) = delete;  // requests point into it
  ConversationRegeneration& operator=(const ConversationRegeneration&) = delete;

  // The next answer to generate (its prompt: the conversation so far, rendered for a new answer),
  // or nothing once every turn is answered or the next would start at or after max_len tokens.
  std::optional<GenerationRequest> next_request();
  // Records the answer to the last request (a trailing stop token is not part of the text).
  void finish_answer(const GenerationResult& answer);
  Sampler& sampler() { return sampler_; }
  const std::vector<ChatMessage>& messages() const { return messages_; }

 private:
  const Engine& engine_;
  const std::vector<ChatMessage>& conversation_;
  const RegenerationOptions& options_;
  Sampler sampler_;  // seeded with options.sampling.seed + conversation_index
  int64_t context_;
  std::vector<int32_t> stops_;
  std::vector<ChatMessage> messages_;
  std::size_t next_turn_ = 0;
  std::vector<int32_t> prompt_;  // of the last request
  int64_t room_ = 0;             // context left after prompt_
  bool finished_ = false;
};

// The conversation with its answers regenerated, one answer after another. The sampler is seeded
// with options.sampling.seed + conversation_index, so a resumed extraction regenerates the same answers.
std::vector<ChatMessage> regenerate_answers(const Engine& engine, const std::vector<ChatMessage>& conversation,
                                            const RegenerationOptions& options, int64_t conversation_index);

// How many leading tokens of `prompt` a KV cache holding `cached` can keep: the tokens both start
// with, leaving at least the prompt's last token to run (its logits start the answer). Rows of a
// causal prefix depend on that prefix only, so keeping them gives every later row what a new
// prefill would.
int64_t reusable_prefix(std::span<const int32_t> cached, std::span<const int32_t> prompt);

// Prompt tokens of the answers regenerated in a batch, and how many of them were already in the
// slot's KV cache from the conversation's earlier turns (not prefilled again).
struct RegenerationStats {
  int64_t prompt_tokens = 0;
  int64_t reused_prompt_tokens = 0;
};

// The same for several conversations (index = Conversation::index), options.batch of them decoded
// together: one model pass per step for every answer in flight; a slot whose answer ends takes the
// conversation's next turn (keeping the cached rows of the tokens its prompt shares with the turns
// before), else the next conversation. Each result equals regenerate_answers for that conversation
// alone, token for token (each row of a pass is computed as it would be alone).
std::vector<std::vector<ChatMessage>> regenerate_answers_batch(const Engine& engine,
                                                               std::span<const Conversation> conversations,
                                                               const RegenerationOptions& options,
                                                               RegenerationStats* stats = nullptr);

// `bytes` as valid UTF-8: each byte that does not start a valid sequence becomes U+FFFD.
std::string sanitize_utf8(const std::string& bytes);

}  // namespace eaglerun
