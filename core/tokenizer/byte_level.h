#pragma once
// GPT-2's reversible map between bytes and printable Unicode characters (HF tokenizers' ByteLevel).
// Bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to the code point of the same value; the other 68
// bytes (0x00-0x20, 0x7F-0xA0, 0xAD), in increasing order, map to U+0100, U+0101, ... U+0143.
// So ' ' (0x20) -> U+0120 'Ġ' and '\n' (0x0A) -> U+010A 'Ċ'.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eaglerun {

char32_t byte_to_unicode(uint8_t byte);

// The byte that maps to cp, or nullopt when cp is not in the map's image.
std::optional<uint8_t> unicode_to_byte(char32_t cp);

// Each byte of bytes replaced by the UTF-8 encoding of its mapped character.
std::string bytes_to_byte_level(std::string_view bytes);

// Inverse of bytes_to_byte_level. Returns false when text is not valid UTF-8 or holds a character
// outside the map; out then holds the bytes decoded so far.
bool byte_level_to_bytes(std::string_view text, std::string& out);

}  // namespace eaglerun
