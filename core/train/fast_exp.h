#pragma once
// exp(x) for float in branch-free arithmetic the compiler can vectorise (Cephes-style: x = n ln2 + r,
// exp(r) by a degree-6 polynomial, 2^n built in the exponent bits). Relative error about 2e-7 for
// x in [-87, 88]; inputs outside are clamped (softmax only feeds x <= 0).
#include <cstdint>
#include <cstring>

namespace eaglerun::train {

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = x * 1.44269504088896341f + kShift;
  const float n = t - kShift;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t ti, si;
  std::memcpy(&ti, &t, sizeof ti);
  std::memcpy(&si, &kShift, sizeof si);
  const int32_t bits = (ti - si + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace eaglerun::train
