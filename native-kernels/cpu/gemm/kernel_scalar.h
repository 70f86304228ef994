// Portable 4x8 GEMM micro-kernel for CPUs without AVX2 (the compiler may still
// use the baseline SIMD of the target). Included by variant_scalar.cpp.
#pragma once

namespace tbw {
namespace TBW_NS {

struct Kernel4x8 {
  static constexpr int MR = 4;
  static constexpr int NR = 8;

  // a (kc,4), b (kc,8) -> c (mr,nr) tile with leading dimension ldc.
  // A element (i, k) is a[i*A_RS + k*A_CS] (packed slivers by default).
  template <int A_RS = 1, int A_CS = MR>
  static inline void run(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool load_c,
                         float alpha, const float* bias) {
    float acc[MR][NR] = {};
    for (int k = 0; k < kc; k++, a += A_CS, b += NR)
      for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] += a[i * A_RS] * b[j];
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        float v = alpha * acc[i][j] + (bias ? bias[j] : 0.f);
        c[i * ldc + j] = load_c ? c[i * ldc + j] + v : v;
      }
  }
};

using MicroKernel = Kernel4x8;

}  // namespace TBW_NS
}  // namespace tbw
