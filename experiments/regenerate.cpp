#include "experiments/regenerate.h"

#include <algorithm>

#include "core/error.h"
#include "core/runtime/generator.h"
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

std::vector<ChatMessage> regenerate_answers(const Engine& engine, const std::vector<ChatMessage>& conversation,
                                            const RegenerationOptions& options, int64_t conversation_index) {
  require(options.max_new_tokens >= 1, "--regen-max-new-tokens must be positive");
  SamplingParams params = options.sampling;
  params.seed += static_cast<uint64_t>(conversation_index);
  Sampler sampler(params);
  const int64_t context = std::min<int64_t>(options.max_len, engine.model().config().max_position);
  const std::vector<int32_t> stops = engine.stop_tokens(false);
  std::vector<ChatMessage> messages;
  for (const ChatMessage& turn : conversation) {
    if (turn.role == "system") messages.push_back(turn);
    if (turn.role != "user") continue;
    messages.push_back(turn);
    const std::vector<int32_t> prompt =
        engine.tokenizer().encode(render_chat(engine.chat_format(), messages, true));
    const int64_t room = context - static_cast<int64_t>(prompt.size());
    if (room < 1) {
      messages.pop_back();
      break;
    }
    GenerationRequest request{prompt, std::min(options.max_new_tokens, room), stops, {}};
    const GenerationResult result = generate_plain(engine.model(), sampler, request);
    std::span<const int32_t> answer = result.output_tokens;
    if (result.stopped) answer = answer.first(answer.size() - 1);
    messages.push_back({"assistant", sanitize_utf8(engine.tokenizer().decode(answer))});
    if (!result.stopped && request.max_new_tokens == room) break;  // cut at max_len: no later turn fits
  }
  if (!messages.empty() && messages.back().role == "user") messages.pop_back();
  return messages;
}

}  // namespace eaglerun
