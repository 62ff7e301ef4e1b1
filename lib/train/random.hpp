// The training's own pseudo-random generator (xoshiro256** seeded through
// splitmix64), so that initial weights and window sampling are identical on
// every platform and standard library for a given seed (std::*_distribution
// results are implementation-defined).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace invforecast::train {

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& word : state_) word = splitmix64(seed);
  }

  // The generator's whole state, so that a training checkpoint resumes the
  // exact stream (train/checkpoint.hpp).
  using State = std::array<uint64_t, 4>;
  State state() const { return state_; }
  static Random from_state(const State& state) {
    Random random(0);
    random.state_ = state;
    return random;
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Uniform integer in [0, bound), bound > 0, without modulo bias (rejection
  // of the short last bucket).
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value = next();
    while (value >= limit) value = next();
    return value % bound;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  State state_;
};

}  // namespace invforecast::train
