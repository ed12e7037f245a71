#pragma once
// A conversation as a training sequence: rendered with the target's chat template, tokenized, with a
// loss mask that is 1 exactly on assistant content tokens and the end-of-turn token that closes each
// answer (ChatML: "<|im_end|>"), and 0 on system, user and template tokens.
//
// Ids are built by encoding the rendered text segment by segment (cut at every loss-span boundary)
// and concatenating; this is checked against encoding the whole text. Where the two differ (a
// pre-token that would cross a boundary, e.g. an answer starting with "\n\n" after "assistant\n"),
// the whole-text ids are used and each token overlapping an answer is marked (prefix method).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer.h"

namespace eaglerun {

// A byte range [begin, end) of the rendered text that carries loss.
struct LossSpan {
  size_t begin = 0;
  size_t end = 0;
};

struct RenderedText {
  std::string text;             // render_chat(format, messages, false)
  std::vector<LossSpan> spans;  // one per assistant message: its content and end-of-turn string, in order
};

// Throws Error when the template is not prefix-stable for these messages (a conversation prefix must
// render to a prefix of the whole) or an answer's end-of-turn string is missing.
RenderedText render_with_loss_spans(ChatFormat format, const std::vector<ChatMessage>& messages);

struct TrainingTokens {
  std::vector<int32_t> tokens;     // [T], T <= max_len
  std::vector<uint8_t> loss_mask;  // [T]
  bool segmentwise = true;         // false: segment-wise ids differed from whole-text ids (prefix method used)
  bool truncated = false;          // the conversation had more than max_len tokens

  int64_t loss_tokens() const;
};

// Renders, tokenizes and truncates to max_len tokens (max_len >= 1).
TrainingTokens render_training_tokens(const Tokenizer& tokenizer, ChatFormat format,
                                      const std::vector<ChatMessage>& messages, int64_t max_len);

}  // namespace eaglerun
