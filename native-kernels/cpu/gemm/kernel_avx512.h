// AVX-512 GEMM: 12x32 micro-kernel (24 zmm accumulators), masked edges.
// Included by variant_avx512.cpp (compiled with -mavx512f).
#pragma once
#include <immintrin.h>

namespace tbw {
namespace TBW_NS {

// 16x16 transpose of r[0..15] in place (r[i] lane k -> r[k] lane i): unpacks within 128-bit
// lanes, then lane shuffles.
inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]), t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  for (int g = 0; g < 16; g += 4) {  // u[g + c], 128-bit lane L: rows g..g+3 of column 4L + c
    const __m512d t0 = _mm512_castps_pd(t[g]), t1 = _mm512_castps_pd(t[g + 1]), t2 = _mm512_castps_pd(t[g + 2]),
                  t3 = _mm512_castps_pd(t[g + 3]);
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2)), u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3)), u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int c = 0; c < 4; c++) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    const __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    r[c] = _mm512_shuffle_f32x4(x0, y0, 0x88), r[4 + c] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    r[8 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88), r[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
}

// A full sliver from 12 rows stored with unit stride along k (row i at src + i*rs): out[k*12 + i],
// k < kc. Sixteen k at a time through a register transpose instead of 192 scalar moves.
inline void pack_a_rows_12(const float* src, long rs, int kc, float* out) {
  for (int k0 = 0; k0 < kc; k0 += 16) {
    const int n = kc - k0 < 16 ? kc - k0 : 16;
    const __mmask16 m = n == 16 ? 0xFFFF : (__mmask16)((1u << n) - 1u);
    __m512 r[16];
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      r[i] = _mm512_maskz_loadu_ps(m, src + i * rs + k0);
      _mm_prefetch((const char*)(src + (12 + i) * rs + k0), _MM_HINT_T0);  // the next sliver's rows
    }
    r[12] = r[13] = r[14] = r[15] = _mm512_setzero_ps();
    transpose16(r);
    for (int k = 0; k < n; k++) _mm512_mask_storeu_ps(out + (size_t)(k0 + k) * 12, 0x0FFF, r[k]);
  }
}

struct Kernel12x32 {
  static constexpr int MR = 12;
  static constexpr int NR = 32;

  // The driver packs full slivers of row-major A with this (see has_row_pack).
  static void pack_a_rows(const float* src, long rs, int kc, float* out) { pack_a_rows_12(src, rs, kc, out); }

  // Flash attention's head-dimension rows: 13 rows x 32 (26 accumulators) cover head size 26
  // with no padding (see flash_impl.h).
  static constexpr int D_ROWS = 13;

  // a (kc,ROWS), b (kc,32) -> c (mr,nr) tile with leading dimension ldc.
  // A element (i, k) is a[i*A_RS + k*A_CS]: packed slivers by default; flash
  // attention passes row-major or transposed tiles directly. B row k is b + k*B_RS
  // (packed panels by default; 64-byte aligned rows either way).
  template <int A_RS = 1, int A_CS = MR, int B_RS = NR, int ROWS = MR>
  static inline void run(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool load_c,
                         float alpha, const float* bias) {
    static_assert(ROWS <= 13, "2 accumulators per row + 2 B registers + a broadcast fit 32 zmm up to 13 rows");
    if (nr <= 16) return run_narrow<A_RS, A_CS, B_RS, ROWS>(kc, a, b, c, ldc, mr, nr, load_c, alpha, bias);
    __m512 acc[ROWS][2];
#pragma GCC unroll 13
    for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    if (load_c)  // C's tile is read after the k loop: fetch it meanwhile (a big accumulated C is not in cache)
      for (int i = 0; i < mr; i++) {
        _mm_prefetch((const char*)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char*)(c + i * ldc + NR - 1), _MM_HINT_T0);
      }
    for (int k = 0; k < kc; k++, a += A_CS, b += B_RS) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 13
      for (int i = 0; i < ROWS; i++) {
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
#pragma GCC unroll 13
    for (int i = 0; i < ROWS; i++) {
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

  // run for tiles at most 16 columns wide (LoRA's rank-16 products, a GEMM's last panel): one
  // vector per row, so the masked-off second half costs no FMAs.
  template <int A_RS, int A_CS, int B_RS, int ROWS>
  static inline void run_narrow(int kc, const float* a, const float* b, float* c, long ldc, int mr, int nr, bool load_c, float alpha,
                                const float* bias) {
    __m512 acc[ROWS];
#pragma GCC unroll 13
    for (int i = 0; i < ROWS; i++) acc[i] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++, a += A_CS, b += B_RS) {
      const __m512 b0 = _mm512_load_ps(b);
#pragma GCC unroll 13
      for (int i = 0; i < ROWS; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i * A_RS]), b0, acc[i]);
    }
    const __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __m512 va = _mm512_set1_ps(alpha);
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
#pragma GCC unroll 13
    for (int i = 0; i < ROWS; i++) {
      if (i >= mr) break;
      float* ci = c + i * ldc;
      __m512 v0 = _mm512_fmadd_ps(acc[i], va, bias0);
      if (load_c) v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
      _mm512_mask_storeu_ps(ci, m0, v0);
    }
  }
};

using MicroKernel = Kernel12x32;

}  // namespace TBW_NS
}  // namespace tbw
