#pragma once
// Paths and helpers shared by the experiments tests.
#include <filesystem>
#include <string>

#include "tests/test_paths.h"

namespace eaglerun::test {

inline std::string conversations_fixture() { return source_dir() + "/tests/experiments/data/conversations.jsonl"; }

inline bool default_model_available() { return std::filesystem::exists(default_model_path()); }

// A fresh, empty folder under the system's temporary folder.
inline std::string fresh_temp_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("eaglerun_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace eaglerun::test
