// Softmax row helpers shared by flash and naive attention (compiled per variant).
// Scores are kept in log2 units (scale·log2 e folded into the QKᵀ product), so
// rows need only 2^x. Reductions use 16 independent lanes so they vectorize
// (a plain float max/sum reduction does not: the compiler may not reorder it).
#pragma once
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "tbw/fast_exp.h"

namespace tbw {
namespace TBW_NS {

constexpr float kLog2e = 1.4426950408889634f, kLn2 = 0.6931471805599453f;
constexpr int LANES = 16;

#if defined(__AVX512F__)
// AVX-512: one register per row, tree reductions (a compiler-vectorized 16-lane array ends in a
// serial chain per row), and 2^x by vscalefps.

// fast_exp2_nonpos on 16 lanes: the same polynomial, 2^n applied by scalef; 0 for x < -126
inline __m512 exp2_nonpos16(__m512 x) {
  const __m512 xc = _mm512_max_ps(x, _mm512_set1_ps(-126.f));
  const __m512 n = _mm512_roundscale_ps(xc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_sub_ps(xc, n);
  __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.339887440266574e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.618437357674640e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.550332471162809e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(2.402264791363012e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(6.931472028550421e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  const __mmask16 keep = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-126.f), _CMP_GE_OQ);
  return _mm512_maskz_scalef_ps(keep, p, n);
}

inline __mmask16 tail_mask(int left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u); }

inline float row_max(const float* __restrict__ x, int n, float init) {
  __m512 mx = _mm512_set1_ps(init);
  for (int j = 0; j < n; j += 16) mx = _mm512_mask_max_ps(mx, tail_mask(n - j), mx, _mm512_maskz_loadu_ps(tail_mask(n - j), x + j));
  return _mm512_reduce_max_ps(mx);
}

// x[j] = 2^(x[j] - mx) in place; returns the sum
inline float exp2_row_sum(float* __restrict__ x, int n, float mx) {
  __m512 sum = _mm512_setzero_ps();
  const __m512 vmx = _mm512_set1_ps(mx);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(n - j);
    const __m512 e = exp2_nonpos16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), vmx));
    _mm512_mask_storeu_ps(x + j, m, e);
    sum = _mm512_mask_add_ps(sum, m, sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

inline float dot_row(const float* __restrict__ a, const float* __restrict__ b, int n) {
  __m512 sum = _mm512_setzero_ps();
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = tail_mask(n - j);
    sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + j), _mm512_maskz_loadu_ps(m, b + j), sum);
  }
  return _mm512_reduce_add_ps(sum);
}

#else

inline float row_max(const float* __restrict__ x, int n, float init) {
  float part[LANES];
  for (int l = 0; l < LANES; l++) part[l] = init;
  int j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) part[l] = part[l] > x[j + l] ? part[l] : x[j + l];
  float mx = init;
  for (int l = 0; l < LANES; l++) mx = part[l] > mx ? part[l] : mx;
  for (; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  return mx;
}

// x[j] = 2^(x[j] - mx) in place; returns the sum
inline float exp2_row_sum(float* __restrict__ x, int n, float mx) {
  float part[LANES] = {};
  int j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) part[l] += (x[j + l] = fast_exp2_nonpos(x[j + l] - mx));
  float sum = 0.f;
  for (int l = 0; l < LANES; l++) sum += part[l];
  for (; j < n; j++) sum += (x[j] = fast_exp2_nonpos(x[j] - mx));
  return sum;
}

inline float dot_row(const float* __restrict__ a, const float* __restrict__ b, int n) {
  float part[LANES] = {};
  int j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) part[l] += a[j + l] * b[j + l];
  float sum = 0.f;
  for (int l = 0; l < LANES; l++) sum += part[l];
  for (; j < n; j++) sum += a[j] * b[j];
  return sum;
}

#endif

}  // namespace TBW_NS
}  // namespace tbw
