#pragma once
// Paths and helpers shared by the experiments tests.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_paths.h"

namespace eaglerun::test {

inline std::string conversations_fixture() { return source_dir() + "/tests/experiments/data/conversations.jsonl"; }

inline bool default_model_available() { return std::filesystem::exists(default_model_path()); }

// A fresh, empty folder under the system's temporary folder, one per process (ctest -j runs each
// test of a suite in its own process; they must not clear each other's folders), removed when the
// process exits.
inline std::string fresh_temp_dir(const std::string& name) {
  struct Cleanup {
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("eaglerun_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir.string();
}

}  // namespace eaglerun::test
