#include "simulator/curve.h"

#include "core/error.h"

namespace eaglerun::sim {

double TokenCurve::at(double n) const {
  if (tokens.size() == 1 || n <= tokens.front()) return values.front();
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    if (n <= tokens[i]) {
      const double f = (n - tokens[i - 1]) / (tokens[i] - tokens[i - 1]);
      return values[i - 1] + f * (values[i] - values[i - 1]);
    }
  }
  if (beyond == Beyond::Flat) return values.back();
  const std::size_t k = tokens.size() - 1;
  const double slope = (values[k] - values[k - 1]) / (tokens[k] - tokens[k - 1]);
  return values[k] + slope * (n - tokens[k]);
}

void TokenCurve::check(const std::string& where) const {
  if (tokens.empty() || tokens.size() != values.size())
    throw Error(where + ": 'tokens' and the values must be lists of the same non-zero length");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 1 || (i > 0 && tokens[i] <= tokens[i - 1]))
      throw Error(where + ": 'tokens' must increase from >= 1");
    if (!(values[i] > 0)) throw Error(where + ": every value must be positive");
  }
}

}  // namespace eaglerun::sim
