#pragma once
// Minimal UTF-8 helpers (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
#include <cstddef>
#include <string>
#include <string_view>

namespace eaglerun {

// Decodes the code point starting at text[pos] into cp and its byte length into len.
// Returns false (cp and len unspecified) when the bytes there are not one valid UTF-8 sequence.
bool utf8_decode(std::string_view text, size_t pos, char32_t& cp, size_t& len);

// True when the whole of text is valid UTF-8.
bool is_valid_utf8(std::string_view text);

// Appends the UTF-8 encoding of cp (which must be a valid scalar value).
void utf8_append(std::string& out, char32_t cp);

}  // namespace eaglerun
