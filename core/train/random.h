#pragma once
// Small deterministic random numbers for training: the same values on every platform and
// standard library (no std:: distributions), and streams keyed by counters, so a resumed run
// needs no saved generator state: noise of sample n is stream(seed, kNoise, n), the order of
// epoch e is stream(seed, kOrder, e).
#include <cstdint>
#include <vector>

namespace eaglerun::train {

class RandomStream {
 public:
  RandomStream(uint64_t seed, uint64_t purpose, uint64_t counter);
  uint64_t next();              // splitmix64
  float uniform();              // [0, 1), 24 random bits
  uint64_t below(uint64_t n);   // [0, n), n > 0 (rejection sampling: unbiased)

 private:
  uint64_t state_;
};

inline constexpr uint64_t kStreamOrder = 1;  // shuffles of the training set
inline constexpr uint64_t kStreamNoise = 2;  // feature noise
inline constexpr uint64_t kStreamInit = 3;   // initial weights
inline constexpr uint64_t kStreamGrow = 4;   // the new weights of a grown head (grow_head.h)

// A permutation of 0..n-1 (Fisher-Yates on the stream).
std::vector<int64_t> random_permutation(int64_t n, RandomStream& rng);

}  // namespace eaglerun::train
