#include "core/tokenizer/pretokenizer.h"

#include "core/error.h"
#include "core/tokenizer/pcre2_regex.h"

namespace eaglerun {
namespace {

// GPT-2's pattern as HF's ByteLevel pre-tokenizer compiles it with Oniguruma.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// HF's Digits splitter tests Rust's char::is_numeric, i.e. general categories Nd, Nl and No.
constexpr const char* kDigitPattern = R"(\p{N})";

}  // namespace

PreTokenizer::PreTokenizer(const std::string& name) : name_(name) {
  if (name == "smollm") {
    split_digits_ = true;
  } else if (name != "gpt2") {
    throw Error("unsupported pre-tokenizer '" + name + "' (supported: smollm, gpt2)");
  }
  words_ = std::make_unique<Pcre2Regex>(kGpt2Pattern);
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
