#pragma once
// Reading the fixtures made by data/fixtures/tokenizer/make_tokenizer_fixtures.py.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eaglerun::test {

// One line of a token fixture: text, the oracle's ids, and the oracle's decoding when it differs from text.
struct TokenCase {
  std::string text;
  std::vector<int32_t> ids;
  std::optional<std::string> decoded;
};

// Parses data/fixtures/<rel> as JSONL; fails the current test (and returns empty) when unreadable.
std::vector<nlohmann::json> read_jsonl(const std::string& rel);
std::vector<TokenCase> read_token_cases(const std::string& rel);
std::string read_file(const std::string& path);

// Printable form of a string for failure messages (escapes control and non-ASCII bytes).
std::string escaped(const std::string& s);

}  // namespace eaglerun::test
