#pragma once
// Reads the JSON fixtures written by data/fixtures/make_*_fixtures.py (Hugging Face outputs).
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace eaglerun::test {

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  return nlohmann::json::parse(in);
}

inline std::vector<float> flatten(const nlohmann::json& rows) {
  std::vector<float> out;
  for (const auto& r : rows) {
    for (const auto& v : r) out.push_back(v.get<float>());
  }
  return out;
}

inline double max_abs_diff(const float* a, const std::vector<float>& b) {
  double m = 0;
  for (std::size_t i = 0; i < b.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace eaglerun::test
