#pragma once
// A measured or published function of the token count, given as points and interpolated linearly;
// beyond the last point it continues along the last segment (the cost of a compute-bound forward
// grows linearly with its tokens) or stays flat (a share that has saturated).
#include <string>
#include <vector>

namespace eaglerun::sim {

struct TokenCurve {
  enum class Beyond { Flat, Linear };
  std::vector<double> tokens;  // strictly increasing, >= 1
  std::vector<double> values;  // same length
  Beyond beyond = Beyond::Flat;

  bool empty() const { return tokens.empty(); }
  double at(double n) const;
  // Throws Error(where: ...) unless there are >= 1 points, increasing tokens and positive values.
  void check(const std::string& where) const;
};

}  // namespace eaglerun::sim
