#include "experiments/training_render.h"

#include <algorithm>

#include "core/error.h"

namespace eaglerun {
namespace {

struct Segment {
  size_t begin, end;  // bytes of the rendered text
  bool loss;
};

// Consecutive segments covering [0, size): loss spans and the text between them.
std::vector<Segment> segments_of(const RenderedText& r) {
  std::vector<Segment> out;
  size_t pos = 0;
  for (const LossSpan& s : r.spans) {
    if (s.begin > pos) out.push_back({pos, s.begin, false});
    out.push_back({s.begin, s.end, true});
    pos = s.end;
  }
  if (pos < r.text.size()) out.push_back({pos, r.text.size(), false});
  return out;
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

// Tokens of `whole` (the ids of text[0, text_end)) that overlap each loss span, found by encoding the
// text before each span boundary and comparing with `whole`.
std::vector<uint8_t> mask_by_prefixes(const Tokenizer& tok, const RenderedText& r, size_t text_end,
                                      const std::vector<int32_t>& whole) {
  std::vector<uint8_t> mask(whole.size(), 0);
  for (const LossSpan& s : r.spans) {
    if (s.begin >= text_end) break;
    const size_t first = common_prefix(tok.encode(std::string_view(r.text).substr(0, s.begin)), whole);
    size_t last = whole.size();
    if (s.end < text_end) {
      const std::vector<int32_t> upto = tok.encode(std::string_view(r.text).substr(0, s.end));
      last = common_prefix(upto, whole);
      if (last < upto.size()) ++last;  // a token crossing the span's end overlaps the span
    }
    std::fill(mask.begin() + static_cast<std::ptrdiff_t>(std::min(first, last)),
              mask.begin() + static_cast<std::ptrdiff_t>(last), uint8_t{1});
  }
  return mask;
}

}  // namespace

int64_t TrainingTokens::loss_tokens() const { return std::count(loss_mask.begin(), loss_mask.end(), uint8_t{1}); }

RenderedText render_with_loss_spans(ChatFormat format, const std::vector<ChatMessage>& messages) {
  RenderedText r;
  r.text = render_chat(format, messages, false);
  const std::vector<std::string> stops = chat_stop_strings(format);
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "assistant") continue;
    const std::vector<ChatMessage> before(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(i));
    const std::vector<ChatMessage> through(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(i + 1));
    const std::string head = render_chat(format, before, true);
    const std::string turn = render_chat(format, through, false);
    require(r.text.starts_with(head) && r.text.starts_with(turn) && turn.size() >= head.size(),
            "chat template renders a conversation prefix differently from the whole conversation");
    size_t end = turn.size();
    if (!stops.empty()) {
      const size_t at = turn.rfind(stops.front());
      require(at != std::string::npos && at >= head.size(), "assistant turn " + std::to_string(i) +
                                                                 " does not end with '" + stops.front() + "'");
      end = at + stops.front().size();
    }
    r.spans.push_back({head.size(), end});
  }
  return r;
}

TrainingTokens render_training_tokens(const Tokenizer& tok, ChatFormat format, const std::vector<ChatMessage>& messages,
                                      int64_t max_len) {
  require(max_len >= 1, "max_len must be at least 1");
  const RenderedText r = render_with_loss_spans(format, messages);
  const std::vector<Segment> segments = segments_of(r);
  TrainingTokens out;
  // Encode segments until max_len is passed, plus one more so the boundary after the cut is checked too.
  size_t text_end = 0;
  bool past_limit = false;
  for (const Segment& s : segments) {
    const std::vector<int32_t> ids = tok.encode(std::string_view(r.text).substr(s.begin, s.end - s.begin));
    out.tokens.insert(out.tokens.end(), ids.begin(), ids.end());
    out.loss_mask.insert(out.loss_mask.end(), ids.size(), s.loss ? 1 : 0);
    text_end = s.end;
    if (past_limit) break;
    past_limit = static_cast<int64_t>(out.tokens.size()) > max_len;
  }
  const std::vector<int32_t> whole = tok.encode(std::string_view(r.text).substr(0, text_end));
  if (whole != out.tokens) {
    out.segmentwise = false;
    out.loss_mask = mask_by_prefixes(tok, r, text_end, whole);
    out.tokens = whole;
  }
  out.truncated = static_cast<int64_t>(out.tokens.size()) > max_len;
  if (out.truncated) {
    out.tokens.resize(static_cast<size_t>(max_len));
    out.loss_mask.resize(static_cast<size_t>(max_len));
  }
  return out;
}

}  // namespace eaglerun
