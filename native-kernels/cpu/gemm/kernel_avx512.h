// AVX-512 GEMM: 12x32 micro-kernel (24 zmm accumulators), masked edges.
// Included by variant_avx512.cpp (compiled with -mavx512f).
#pragma once
#include <immintrin.h>

namespace tbw {
namespace TBW_NS {

struct Kernel12x32 {
  static constexpr int MR = 12;
  static constexpr int NR = 32;

  // a (kc,12), b (kc,32) -> c (mr,nr) tile with leading dimension ldc.
  // A element (i, k) is a[i*A_RS + k*A_CS]: packed slivers by default; flash
  // attention passes row-major or transposed tiles directly.
  template <int A_RS = 1, int A_CS = MR>
  static inline void run(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool load_c,
                         float alpha, const float* bias) {
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++, a += A_CS, b += NR) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < MR; i++) {
        const __m512 ai = _mm512_set1_ps(a[i * A_RS]);
        acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
      }
    }
    const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1u);
    const __m512 va = _mm512_set1_ps(alpha);
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
      float* ci = c + i * ldc;
      __m512 v0 = _mm512_fmadd_ps(acc[i][0], va, bias0), v1 = _mm512_fmadd_ps(acc[i][1], va, bias1);
      if (load_c) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
      }
      _mm512_mask_storeu_ps(ci, m0, v0);
      _mm512_mask_storeu_ps(ci + 16, m1, v1);
    }
  }
};

using MicroKernel = Kernel12x32;

}  // namespace TBW_NS
}  // namespace tbw
