#pragma once
// Splits text into the pieces that byte-level BPE encodes one at a time, as HF tokenizers does.
//   "gpt2"  : ByteLevel(use_regex=True), i.e. the pieces are the matches of GPT-2's regex
//             's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   "smollm": Sequence([Digits(individual_digits=True), ByteLevel(use_regex=True)]): every numeric
//             character (general category N) is first split off as a piece of its own, then the GPT-2
//             regex runs on each stretch between them, so "  2" -> ["  ", "2"] and " 12" -> [" ", "1", "2"].
// \s is Oniguruma's Unicode \s as HF uses it (White_Space: includes U+0085 and the Z categories, not U+180E).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eaglerun {

class Pcre2Regex;

class PreTokenizer {
 public:
  // Throws Error for a name other than those above.
  explicit PreTokenizer(const std::string& name);
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  const std::string& name() const { return name_; }

  // Appends to out the non-empty pieces of text, in order; together they cover text exactly.
  // text must be valid UTF-8.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  void split_regex(std::string_view text, std::vector<std::string_view>& out) const;

  std::string name_;
  bool split_digits_ = false;
  std::unique_ptr<Pcre2Regex> words_;   // the GPT-2 regex
  std::unique_ptr<Pcre2Regex> digit_;   // one numeric character
};

}  // namespace eaglerun
