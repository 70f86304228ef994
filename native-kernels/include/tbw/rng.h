// Counter-based randomness for dropout: the mask of element i depends only on
// (seed, i), so it is the same for any thread count, tile order or variant.
#pragma once
#include <cstdint>

// Host and device (CUDA) share these functions, so both backends draw the same masks.
#if defined(__CUDACC__)
#define TBW_HD __host__ __device__
#else
#define TBW_HD
#endif

namespace tbw {

TBW_HD inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A 32-bit integer hash (Wellons' lowbias32): 32-bit multiplies only, so
// loops over elements vectorize (64-bit multiplies do not on AVX-512F/AVX2).
TBW_HD inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// Uniform in [0, 1) with 24 bits, from (seed, i): two rounds of mix32 over the
// index's low word keyed by the seed's low word, then its high words.
TBW_HD inline float uniform01(uint64_t seed, uint64_t i) {
  const uint32_t h = mix32(mix32((uint32_t)i ^ (uint32_t)seed) ^ (uint32_t)(seed >> 32) ^ ((uint32_t)(i >> 32) * 0x9E3779B9u));
  return float(h >> 8) * (1.0f / 16777216.0f);
}

// Inverted dropout: the multiplier of element i (0 or 1/(1-p)).
TBW_HD inline float dropout_scale(uint64_t seed, uint64_t i, float p) {
  return uniform01(seed, i) < p ? 0.f : 1.f / (1.f - p);
}

}  // namespace tbw
