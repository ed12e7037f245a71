// Rotary position embedding. cos/sin of position * inv_freq are computed in double and cached
// per thread and (theta, head_dim) and positions [0, cached), grown geometrically on demand, so a
// decode step pays table lookups, not sin/cos calls.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels/ops.h"

namespace eaglerun {

namespace {

struct RopeTable {
  double theta = 0.0;
  int64_t half = 0;       // head_dim / 2
  int64_t positions = 0;  // rows cached
  std::vector<float> cos;  // [positions, half]
  std::vector<float> sin;  // [positions, half]

  void fill(int64_t from, int64_t to) {
    cos.resize(static_cast<std::size_t>(to * half));
    sin.resize(static_cast<std::size_t>(to * half));
    for (int64_t j = 0; j < half; ++j) {
      const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(j) / static_cast<double>(2 * half));
      for (int64_t p = from; p < to; ++p) {
        const double angle = static_cast<double>(p) * inv_freq;
        cos[p * half + j] = static_cast<float>(std::cos(angle));
        sin[p * half + j] = static_cast<float>(std::sin(angle));
      }
    }
    positions = to;
  }
};

// One table per (theta, head_dim) a thread meets: a target and its draft head (LLaMA's 10,000 vs
// SmolLM2's 100,000) alternate every step, and one shared table was refilled at each switch.
const RopeTable& rope_table(double theta, int64_t half, int64_t max_position) {
  thread_local std::vector<RopeTable> tables;
  auto it = std::find_if(tables.begin(), tables.end(), [&](const RopeTable& t) { return t.theta == theta && t.half == half; });
  if (it == tables.end()) {
    if (tables.size() >= 8) tables.clear();  // many configurations in one thread (tests): start over
    tables.push_back(RopeTable{theta, half, 0, {}, {}});
    it = tables.end() - 1;
  }
  RopeTable& table = *it;
  if (max_position >= table.positions) {
    int64_t to = table.positions == 0 ? 64 : table.positions;
    while (to <= max_position) to *= 2;
    table.fill(table.positions, to);
  }
  return table;
}

// Rotates (a, b) by the angle with cosine c and sine s: a' = a c - b s, b' = b c + a s.
inline void rotate(float& a, float& b, float c, float s) {
  const float a0 = a;
  const float b0 = b;
  a = a0 * c - b0 * s;
  b = b0 * c + a0 * s;
}

}  // namespace

void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta,
          RopePairing pairing) {
  require(head_dim > 0 && head_dim % 2 == 0, "rope: head_dim must be even, got " + std::to_string(head_dim));
  const int64_t half = head_dim / 2;
  int64_t max_position = 0;
  for (int64_t i = 0; i < n; ++i) {
    require(positions[i] >= 0, "rope: negative position " + std::to_string(positions[i]));
    max_position = positions[i] > max_position ? positions[i] : max_position;
  }
  const RopeTable& table = rope_table(theta, half, max_position);
  for (int64_t i = 0; i < n; ++i) {
    const float* c = table.cos.data() + static_cast<int64_t>(positions[i]) * half;
    const float* s = table.sin.data() + static_cast<int64_t>(positions[i]) * half;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* head = x + (i * n_heads + h) * head_dim;
      if (pairing == RopePairing::Halves) {
        for (int64_t j = 0; j < half; ++j) rotate(head[j], head[j + half], c[j], s[j]);
      } else {
        for (int64_t j = 0; j < half; ++j) rotate(head[2 * j], head[2 * j + 1], c[j], s[j]);
      }
    }
  }
}

}  // namespace eaglerun
