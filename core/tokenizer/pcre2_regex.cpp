#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/tokenizer/pcre2_regex.h"

#include <pcre2.h>

#include "core/error.h"

namespace eaglerun {

Pcre2Regex::Pcre2Regex(const std::string& pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    throw Error("regex '" + pattern + "' does not compile at offset " + std::to_string(error_offset) + ": " +
                reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  code_ = code;
}

Pcre2Regex::~Pcre2Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

Pcre2Regex::Scratch::Scratch(const Pcre2Regex& re)
    : data_(pcre2_match_data_create_from_pattern(static_cast<pcre2_code*>(re.code_), nullptr)) {
  if (data_ == nullptr) throw std::bad_alloc();
}

Pcre2Regex::Scratch::~Scratch() { pcre2_match_data_free(static_cast<pcre2_match_data*>(data_)); }

bool Pcre2Regex::find(std::string_view text, size_t start, Scratch& scratch, size_t& begin, size_t& end) const {
  auto* match_data = static_cast<pcre2_match_data*>(scratch.data_);
  const int rc = pcre2_match(static_cast<pcre2_code*>(code_), reinterpret_cast<PCRE2_SPTR>(text.data()),
                             text.size(), start, PCRE2_NO_UTF_CHECK, match_data, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof(message));
    throw Error(std::string("regex match failed: ") + reinterpret_cast<const char*>(message));
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data);
  begin = ovector[0];
  end = ovector[1];
  return true;
}

}  // namespace eaglerun
