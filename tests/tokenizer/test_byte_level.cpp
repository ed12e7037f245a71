// The GPT-2 byte <-> Unicode map and the UTF-8 helpers under it.
#include <gtest/gtest.h>

#include <set>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/utf8.h"

namespace eaglerun {
namespace {

TEST(ByteLevel, MapsKnownBytes) {
  EXPECT_EQ(byte_to_unicode(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(byte_to_unicode('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(byte_to_unicode(0x00), U'\u0100');
  EXPECT_EQ(byte_to_unicode(0x7F), U'\u0121');
  EXPECT_EQ(byte_to_unicode(0xAD), U'\u0143');
  EXPECT_EQ(byte_to_unicode('A'), U'A');
  EXPECT_EQ(byte_to_unicode(0xE9), U'\u00E9');
}

TEST(ByteLevel, IsABijectionOnAllBytes) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = byte_to_unicode(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << "byte " << b;
    ASSERT_TRUE(unicode_to_byte(cp).has_value());
    EXPECT_EQ(*unicode_to_byte(cp), b);
  }
  EXPECT_FALSE(unicode_to_byte(U' ').has_value());
  EXPECT_FALSE(unicode_to_byte(U'\u0144').has_value());
  EXPECT_FALSE(unicode_to_byte(U'\u4E00').has_value());
}

TEST(ByteLevel, RoundTripsEveryByteString) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string mapped = bytes_to_byte_level(all);
  EXPECT_TRUE(is_valid_utf8(mapped));
  std::string back;
  ASSERT_TRUE(byte_level_to_bytes(mapped, back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(bytes_to_byte_level("a b\n"), "a\xC4\xA0" "b\xC4\x8A");
  std::string out;
  EXPECT_FALSE(byte_level_to_bytes("\xE4\xB8\x80", out));  // U+4E00 is not in the map
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, EncodesAndDecodesBoundaries) {
  for (char32_t cp : {U'\0', U'\x7F', U'\x80', U'\u07FF', U'\u0800', U'\uFFFF', U'\U00010000', U'\U0010FFFF'}) {
    std::string s;
    utf8_append(s, cp);
    char32_t back;
    size_t len;
    ASSERT_TRUE(utf8_decode(s, 0, back, len));
    EXPECT_EQ(back, cp);
    EXPECT_EQ(len, s.size());
  }
}

}  // namespace
}  // namespace eaglerun
