// AVX2+FMA GEMM: 6x16 micro-kernel (12 ymm accumulators), masked edges.
// Included by variant_avx2.cpp (compiled with -mavx2 -mfma).
#pragma once
#include <immintrin.h>

namespace tbw {
namespace TBW_NS {

static inline __m256i lane_mask(int n) {  // first n of 8 lanes set (n in 0..8)
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

struct Kernel6x16 {
  static constexpr int MR = 6;
  static constexpr int NR = 16;

  // a (kc,6), b (kc,16) -> c (mr,nr) tile with leading dimension ldc.
  // A element (i, k) is a[i*A_RS + k*A_CS] (packed slivers by default).
  template <int A_RS = 1, int A_CS = MR>
  static inline void run(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool load_c,
                         float alpha, const float* bias) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++, a += A_CS, b += NR) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++) {
        const __m256 ai = _mm256_broadcast_ss(a + i * A_RS);
        acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
      }
    }
    const __m256i m0 = lane_mask(nr < 8 ? nr : 8), m1 = lane_mask(nr <= 8 ? 0 : nr - 8);
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 bias0 = bias ? _mm256_maskload_ps(bias, m0) : _mm256_setzero_ps();
    const __m256 bias1 = bias ? _mm256_maskload_ps(bias + 8, m1) : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
      float* ci = c + i * ldc;
      __m256 v0 = _mm256_fmadd_ps(acc[i][0], va, bias0), v1 = _mm256_fmadd_ps(acc[i][1], va, bias1);
      if (load_c) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(ci, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(ci + 8, m1));
      }
      _mm256_maskstore_ps(ci, m0, v0);
      _mm256_maskstore_ps(ci + 8, m1, v1);
    }
  }
};

using MicroKernel = Kernel6x16;

}  // namespace TBW_NS
}  // namespace tbw
