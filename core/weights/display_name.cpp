#include "core/weights/display_name.h"

namespace eaglerun {

std::string quote_name(std::string_view name, std::size_t max_len) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i == max_len) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out + "'";
}

}  // namespace eaglerun
