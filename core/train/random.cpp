#include "core/train/random.h"

#include <utility>

namespace eaglerun::train {
namespace {

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

RandomStream::RandomStream(uint64_t seed, uint64_t purpose, uint64_t counter)
    : state_(mix(mix(mix(seed) ^ purpose) ^ counter)) {}

uint64_t RandomStream::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

float RandomStream::uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

uint64_t RandomStream::below(uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x = next();
  while (x >= limit) x = next();
  return x % n;
}

std::vector<int64_t> random_permutation(int64_t n, RandomStream& rng) {
  std::vector<int64_t> p(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
  return p;
}

}  // namespace eaglerun::train
