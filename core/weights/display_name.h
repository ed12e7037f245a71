#pragma once
// Names read from untrusted files, made safe to print inside one-line error messages.
#include <string>
#include <string_view>

namespace eaglerun {

// 'name' in single quotes; control and non-ASCII bytes as \xNN; cut to max_len bytes with "...".
std::string quote_name(std::string_view name, std::size_t max_len = 96);

}  // namespace eaglerun
