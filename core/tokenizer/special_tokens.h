#pragma once
// Finds special-token strings in text the way HF tokenizers matches added tokens: scanning left to
// right, at the first position where any token matches, the longest matching token wins; the text
// between matches is left for the normal (pre-tokenizer + model) path.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eaglerun {

class SpecialTokenMatcher {
 public:
  struct Segment {
    std::string_view text;
    int32_t id;  // the special token's id, or -1 for plain text
  };

  // Registers text -> id. Empty strings are ignored; a repeated string keeps the first id.
  void add(const std::string& text, int32_t id);

  bool empty() const { return tokens_.empty(); }

  // Consecutive segments covering text; plain-text segments are non-empty.
  std::vector<Segment> split(std::string_view text) const;

 private:
  struct Entry {
    std::string text;
    int32_t id;
  };
  // Longest match at pos, or nullptr.
  const Entry* match_at(std::string_view text, size_t pos) const;

  std::vector<Entry> tokens_;                      // sorted by decreasing length
  std::array<bool, 256> first_byte_{};             // bytes that start some token
};

}  // namespace eaglerun
