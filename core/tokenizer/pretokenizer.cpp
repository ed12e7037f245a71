#include "core/tokenizer/pretokenizer.h"

#include "core/error.h"
#include "core/tokenizer/pcre2_regex.h"

namespace eaglerun {
namespace {

// Oniguruma's Unicode \s as HF's ByteLevel regex sees it: the White_Space property. PCRE2's \s would
// also match U+180E (MONGOLIAN VOWEL SEPARATOR), which Oniguruma does not.
constexpr const char* kWhitespace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// GPT-2's pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ with \s
// spelled out as kWhitespace.
std::string gpt2_pattern() {
  const std::string ws = kWhitespace;
  return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^)" + ws + R"(\p{L}\p{N}]+|[)" + ws + "]+(?![^" + ws +
         "])|[" + ws + "]+";
}

// HF's Digits splitter tests Rust's char::is_numeric: general categories Nd, Nl and No of Rust's
// Unicode version (16.0). The listed ranges are the digits added in Unicode 15 and 16, which older
// PCRE2 tables (10.42: Unicode 14) do not put in \p{N}.
constexpr const char* kDigitPattern =
    R"([\p{N}\x{10D40}-\x{10D49}\x{116D0}-\x{116E3}\x{11BF0}-\x{11BF9}\x{11F50}-\x{11F59})"
    R"(\x{16130}-\x{16139}\x{16D70}-\x{16D79}\x{1CCF0}-\x{1CCF9}\x{1D2C0}-\x{1D2D3}\x{1E4F0}-\x{1E4F9})"
    R"(\x{1E5F1}-\x{1E5FA}])";

}  // namespace

PreTokenizer::PreTokenizer(const std::string& name) : name_(name) {
  if (name == "smollm") {
    split_digits_ = true;
  } else if (name != "gpt2") {
    throw Error("unsupported pre-tokenizer '" + name + "' (supported: smollm, gpt2)");
  }
  words_ = std::make_unique<Pcre2Regex>(gpt2_pattern());
  if (split_digits_) digit_ = std::make_unique<Pcre2Regex>(kDigitPattern);
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
  if (!split_digits_) {
    split_regex(text, out);
    return;
  }
  Pcre2Regex::Scratch scratch(*digit_);
  size_t pos = 0;
  size_t begin = 0;
  size_t end = 0;
  while (pos < text.size() && digit_->find(text, pos, scratch, begin, end)) {
    if (begin > pos) split_regex(text.substr(pos, begin - pos), out);
    out.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  if (pos < text.size()) split_regex(text.substr(pos), out);
}

// Matches and the gaps between them both become pieces (HF's Isolated split); the GPT-2 pattern
// matches every character, so in practice there are no gaps.
void PreTokenizer::split_regex(std::string_view text, std::vector<std::string_view>& out) const {
  Pcre2Regex::Scratch scratch(*words_);
  size_t pos = 0;
  size_t begin = 0;
  size_t end = 0;
  while (pos < text.size() && words_->find(text, pos, scratch, begin, end)) {
    if (end == begin) break;  // cannot happen with these patterns; the rest becomes one piece
    if (begin > pos) out.push_back(text.substr(pos, begin - pos));
    out.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  if (pos < text.size()) out.push_back(text.substr(pos));
}

}  // namespace eaglerun
