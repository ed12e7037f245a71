#include "core/tokenizer/special_tokens.h"

#include <algorithm>

namespace eaglerun {

void SpecialTokenMatcher::add(const std::string& text, int32_t id) {
  if (text.empty()) return;
  for (const Entry& e : tokens_) {
    if (e.text == text) return;
  }
  const auto pos = std::find_if(tokens_.begin(), tokens_.end(),
                                [&](const Entry& e) { return e.text.size() < text.size(); });
  tokens_.insert(pos, Entry{text, id});
  first_byte_[static_cast<uint8_t>(text[0])] = true;
}

const SpecialTokenMatcher::Entry* SpecialTokenMatcher::match_at(std::string_view text, size_t pos) const {
  const std::string_view rest = text.substr(pos);
  for (const Entry& e : tokens_) {
    if (rest.starts_with(e.text)) return &e;
  }
  return nullptr;
}

std::vector<SpecialTokenMatcher::Segment> SpecialTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t plain_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const Entry* e = first_byte_[static_cast<uint8_t>(text[pos])] ? match_at(text, pos) : nullptr;
    if (e == nullptr) {
      ++pos;
      continue;
    }
    if (pos > plain_begin) out.push_back({text.substr(plain_begin, pos - plain_begin), -1});
    out.push_back({text.substr(pos, e->text.size()), e->id});
    pos += e->text.size();
    plain_begin = pos;
  }
  if (pos > plain_begin) out.push_back({text.substr(plain_begin, pos - plain_begin), -1});
  return out;
}

}  // namespace eaglerun
