// One row of dropout multipliers, shared by flash attention and the GEMM's masked addend.
#pragma once
#include <cstdint>

#include "tbw/rng.h"

namespace tbw {
namespace TBW_NS {

// keep[j] = dropout_scale(seed, index0 + j·stride, p) for j < n, hashed as a vectorizable 32-bit
// loop: the index's high word (part of the stream's key) is constant along the run unless it
// crosses 2^32. stride 1 is a row; stride T a column of a row-major index space (flash
// attention's per-query lanes).
inline void dropout_keep_strided(float* __restrict__ keep, int n, uint64_t seed, uint64_t index0, uint64_t stride, float p) {
  if (n <= 0) return;
  if ((index0 >> 32) != ((index0 + (uint64_t)(n - 1) * stride) >> 32)) {
    for (int j = 0; j < n; j++) keep[j] = dropout_scale(seed, index0 + j * stride, p);
    return;
  }
  const uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32) ^ ((uint32_t)(index0 >> 32) * 0x9E3779B9u), i0 = (uint32_t)index0,
                 st = (uint32_t)stride;
  const float scale = 1.f / (1.f - p);
  for (int j = 0; j < n; j++) {
    const uint32_t h = mix32(mix32((i0 + (uint32_t)j * st) ^ lo) ^ hi);
    keep[j] = float(h >> 8) * (1.0f / 16777216.0f) < p ? 0.f : scale;
  }
}

inline void dropout_keep_row(float* __restrict__ keep, int n, uint64_t seed, uint64_t index0, float p) {
  dropout_keep_strided(keep, n, seed, index0, 1, p);
}

}  // namespace TBW_NS
}  // namespace tbw
