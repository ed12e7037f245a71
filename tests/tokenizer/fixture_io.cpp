#include "tests/tokenizer/fixture_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/test_paths.h"

namespace eaglerun::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> read_jsonl(const std::string& rel) {
  std::ifstream in(fixture(rel));
  EXPECT_TRUE(in.good()) << "cannot open fixture " << fixture(rel);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

std::vector<TokenCase> read_token_cases(const std::string& rel) {
  std::vector<TokenCase> cases;
  for (const nlohmann::json& row : read_jsonl(rel)) {
    TokenCase c{row.at("text").get<std::string>(), row.at("ids").get<std::vector<int32_t>>(), std::nullopt};
    if (row.contains("decoded")) c.decoded = row.at("decoded").get<std::string>();
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string escaped(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace eaglerun::test
