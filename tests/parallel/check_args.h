#pragma once
// What the multi-rank check programs (parallel_check.cpp, nccl_split_test.cpp) share: reading
// "--name value" arguments, and seeded random prompts.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"

namespace eaglerun::test {

// for (ArgReader args(argc, argv); args.next();) { if (args.name() == "--tp") tp = std::stoi(args.value()); ... }
class ArgReader {
 public:
  ArgReader(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++i_ < argc_; }
  std::string name() const { return argv_[i_]; }
  // The argument after the current name (consumed).
  std::string value() {
    require(i_ + 1 < argc_, name() + " needs a value");
    return argv_[++i_];
  }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
};

inline std::vector<int32_t> random_prompt(uint64_t seed, int n, int64_t vocab) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> p;
  for (int i = 0; i < n; ++i) p.push_back(static_cast<int32_t>(rng() % vocab));
  return p;
}

}  // namespace eaglerun::test
