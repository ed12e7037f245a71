#pragma once
// The one exception type eaglerun throws for bad input (files, configs, flags, prompts).
// The CLI catches it, prints "eaglerun: error: <what()>" and exits with status 1.
#include <stdexcept>
#include <string>

namespace eaglerun {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws Error(message) when cond is false. For checks on input, not on our own invariants.
inline void require(bool cond, const std::string& message) {
  if (!cond) throw Error(message);
}

}  // namespace eaglerun
