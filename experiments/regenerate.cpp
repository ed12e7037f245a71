#include "experiments/regenerate.h"

#include <algorithm>
#include <memory>

#include "core/error.h"
#include "core/runtime/target.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {

std::string sanitize_utf8(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t cp;
    size_t len;
    if (utf8_decode(bytes, pos, cp, len)) {
      out.append(bytes, pos, len);
      pos += len;
    } else {
      utf8_append(out, 0xFFFD);
      ++pos;
    }
  }
  return out;
}

int64_t reusable_prefix(std::span<const int32_t> cached, std::span<const int32_t> prompt) {
  const std::size_t limit = std::min(cached.size(), prompt.empty() ? 0 : prompt.size() - 1);
  std::size_t n = 0;
  while (n < limit && cached[n] == prompt[n]) ++n;
  return static_cast<int64_t>(n);
}

namespace {

SamplingParams seeded(SamplingParams params, int64_t conversation_index) {
  params.seed += static_cast<uint64_t>(conversation_index);
  return params;
}

}  // namespace

ConversationRegeneration::ConversationRegeneration(const Engine& engine, const std::vector<ChatMessage>& conversation,
                                                   const RegenerationOptions& options, int64_t conversation_index)
    : engine_(engine), conversation_(conversation), options_(options),
      sampler_(seeded(options.sampling, conversation_index)),
      context_(std::min<int64_t>(options.max_len, engine.model().config().max_position)),
      stops_(engine.stop_tokens(false)) {
  require(options.max_new_tokens >= 1, "--regen-max-new-tokens must be positive");
}

std::optional<GenerationRequest> ConversationRegeneration::next_request() {
  while (!finished_ && next_turn_ < conversation_.size()) {
    const ChatMessage& turn = conversation_[next_turn_++];
    if (turn.role == "system") messages_.push_back(turn);
    if (turn.role != "user") continue;
    messages_.push_back(turn);
    prompt_ = engine_.tokenizer().encode(render_chat(engine_.chat_format(), messages_, true));
    room_ = context_ - static_cast<int64_t>(prompt_.size());
    if (room_ < 1) break;
    return GenerationRequest{prompt_, std::min(options_.max_new_tokens, room_), stops_, {}};
  }
  finished_ = true;
  if (!messages_.empty() && messages_.back().role == "user") messages_.pop_back();
  return std::nullopt;
}

void ConversationRegeneration::finish_answer(const GenerationResult& answer) {
  std::span<const int32_t> tokens = answer.output_tokens;
  if (answer.stopped) tokens = tokens.first(tokens.size() - 1);
  messages_.push_back({"assistant", sanitize_utf8(engine_.tokenizer().decode(tokens))});
  if (!answer.stopped && answer.new_tokens() == room_) finished_ = true;  // cut at max_len: no later turn fits
}

std::vector<ChatMessage> regenerate_answers(const Engine& engine, const std::vector<ChatMessage>& conversation,
                                            const RegenerationOptions& options, int64_t conversation_index) {
  ConversationRegeneration c(engine, conversation, options, conversation_index);
  while (const std::optional<GenerationRequest> request = c.next_request()) {
    c.finish_answer(generate_plain(engine.model(), c.sampler(), *request));
  }
  return c.messages();
}

namespace {

// An answer in flight in one slot (one KV cache) of the batch.
struct SlotAnswer {
  ConversationRegeneration* conversation;
  GenerationRequest request;
  int64_t cached;  // leading prompt tokens already in the slot's KV cache (the earlier turns)
  GenerationResult result;
  Emitter emit{request, result};

  // The tokens in the slot's KV cache: the prompt and every answer token but the last (never fed).
  std::vector<int32_t> cached_tokens() const {
    std::vector<int32_t> tokens(request.prompt.begin(), request.prompt.end());
    const std::vector<int32_t>& out = result.output_tokens;
    if (!out.empty()) tokens.insert(tokens.end(), out.begin(), out.end() - 1);
    return tokens;
  }
};



// Hands every slot its next answer: the same conversation's next turn, else a new conversation.
class SlotScheduler {
 public:
  SlotScheduler(std::vector<std::unique_ptr<ConversationRegeneration>>& conversations, LocalTarget& target)
      : conversations_(conversations), target_(target) {}

  // Refills slot `b` after `current` (may be null) answered; leaves it empty when nothing is left.
  // The conversation's next answer keeps the cached rows its prompt shares with the slot's cache
  // (the earlier turns, whose prefill is not run again).
  void refill(std::unique_ptr<SlotAnswer>& slot, int32_t b, ConversationRegeneration* current) {
    std::vector<int32_t> cached = slot ? slot->cached_tokens() : std::vector<int32_t>{};  // before next_request()
    slot.reset();
    for (;;) {
      if (current != nullptr) {
        if (std::optional<GenerationRequest> request = current->next_request()) {
          const int64_t keep = reusable_prefix(cached, request->prompt);
          stats_.prompt_tokens += static_cast<int64_t>(request->prompt.size());
          stats_.reused_prompt_tokens += keep;
          slot.reset(new SlotAnswer{current, std::move(*request), keep, {}});
          target_.restart(b, keep);
          return;
        }
      }
      cached.clear();  // a new conversation shares nothing
      if (next_ == conversations_.size()) return;
      current = conversations_[next_++].get();
    }
  }
  const RegenerationStats& stats() const { return stats_; }

 private:
  std::vector<std::unique_ptr<ConversationRegeneration>>& conversations_;
  LocalTarget& target_;
  std::size_t next_ = 0;
  RegenerationStats stats_;
};

}  // namespace

std::vector<std::vector<ChatMessage>> regenerate_answers_batch(const Engine& engine,
                                                               std::span<const Conversation> conversations,
                                                               const RegenerationOptions& options,
                                                               RegenerationStats* stats) {
  require(options.batch >= 1, "--regen-batch must be positive");
  std::vector<std::unique_ptr<ConversationRegeneration>> states;
  for (const Conversation& c : conversations) {
    states.push_back(std::make_unique<ConversationRegeneration>(engine, c.turns, options, c.index));
  }
  const auto slots = static_cast<int32_t>(std::min<std::size_t>(options.batch, std::max<std::size_t>(states.size(), 1)));
  LocalTarget target(engine.model());
  target.begin_batch(std::min<int64_t>(options.max_len, engine.model().config().max_position), slots);
  SlotScheduler scheduler(states, target);
  std::vector<std::unique_ptr<SlotAnswer>> slot(static_cast<std::size_t>(slots));
  for (int32_t b = 0; b < slots; ++b) scheduler.refill(slot[b], b, nullptr);

  const bool full_logits = !options.sampling.greedy();
  for (;;) {
    std::vector<Step> steps;  // the prompt of a new answer, else its last token
    for (int32_t b = 0; b < slots; ++b) {
      if (!slot[b]) continue;
      const GenerationResult& r = slot[b]->result;
      steps.push_back(r.output_tokens.empty() ? Step::causal(slot[b]->request.prompt.subspan(slot[b]->cached), full_logits, false)
                                              : Step::causal(std::span(&r.output_tokens.back(), 1), full_logits, false));
      steps.back().sequence = b;
    }
    if (steps.empty()) break;
    const std::vector<StepOutput> outs = target.forward_batch(steps);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const int32_t b = steps[i].sequence;
      SlotAnswer& a = *slot[b];
      a.emit(choose(outs[i], a.conversation->sampler()));
      if (!a.emit.done) continue;
      a.conversation->finish_answer(a.result);
      scheduler.refill(slot[b], b, a.conversation);
    }
  }
  if (stats != nullptr) *stats = scheduler.stats();
  std::vector<std::vector<ChatMessage>> out;
  for (const auto& s : states) out.push_back(s->messages());
  return out;
}

}  // namespace eaglerun
