// Counter-based randomness for dropout: the mask of element i depends only on
// (seed, i), so it is the same for any thread count, tile order or variant.
#pragma once
#include <cstdint>

namespace tbw {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) with 24 bits.
inline float uniform01(uint64_t seed, uint64_t i) {
  return float(splitmix64(seed ^ splitmix64(i)) >> 40) * (1.0f / 16777216.0f);
}

// Inverted dropout: the multiplier of element i (0 or 1/(1-p)).
inline float dropout_scale(uint64_t seed, uint64_t i, float p) {
  return uniform01(seed, i) < p ? 0.f : 1.f / (1.f - p);
}

}  // namespace tbw
