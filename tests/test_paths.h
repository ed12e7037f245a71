#pragma once
// Paths the tests use: the source tree, its fixtures, and the default model fetched by data/fetch_model.sh.
#include <cstdlib>
#include <string>

namespace eaglerun::test {

inline std::string source_dir() { return EAGLERUN_SOURCE_DIR; }
inline std::string fixture(const std::string& rel) { return source_dir() + "/data/fixtures/" + rel; }
// EAGLERUN_MODEL overrides; the default is where data/fetch_model.sh puts the SmolLM2 GGUF.
inline std::string default_model_path() {
  if (const char* p = std::getenv("EAGLERUN_MODEL")) return p;
  return source_dir() + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

}  // namespace eaglerun::test
