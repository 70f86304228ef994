// This machine's fp32 peak for one variant: every pool thread runs 24
// independent multiply-add chains in registers (no memory traffic). Compiled
// per variant, so the vector width and FMA use match the GEMM micro-kernel.
#pragma once
#include <chrono>
#include <vector>

#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

// TBW_VEC_FLOATS: floats per vector register of the variant (defined by variant_*.cpp)
inline double fma_peak_gflops(long iters) {
  constexpr int W = TBW_VEC_FLOATS;
  typedef float vf __attribute__((vector_size(TBW_VEC_FLOATS * 4)));
  std::vector<float> sink(num_threads() * 64);
  auto t0 = std::chrono::steady_clock::now();
  parallel_for(num_threads(), [&](int t, int) {
    vf acc[24], a, b;
    for (int l = 0; l < W; l++) a[l] = 0.999f, b[l] = 1e-4f;
    for (int i = 0; i < 24; i++)
      for (int l = 0; l < W; l++) acc[i][l] = 0.001f * i;
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 24
      for (int i = 0; i < 24; i++) acc[i] = acc[i] * a + b;
    }
    vf s = acc[0];
    for (int i = 1; i < 24; i++) s += acc[i];
    sink[t * 64] = s[0];
  });
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return (double)num_threads() * iters * 24 * W * 2 / sec / 1e9;
}

}  // namespace TBW_NS
}  // namespace tbw
