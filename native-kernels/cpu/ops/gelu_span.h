// GELU over spans, per variant. AVX-512 spells out tbw/fast_exp.h's fast_normal_cdf and
// gelu_grad in intrinsics, step for step (same polynomials, same 2^x): GCC's own vectorization of
// the scalar functions ran 20-25 % slower. Other variants use the scalar functions, which their
// compilers vectorize. GELU runs in the intermediate GEMM's epilogue and its gradient in the
// output GEMM's, on every training step.
#pragma once
#include "../attention/softmax_rows.h"
#include "tbw/fast_exp.h"

namespace tbw {
namespace TBW_NS {

#if defined(__AVX512F__)
// Φ(x) as fast_normal_cdf: erfc(|x|/√2) by the Numerical Recipes Chebyshev fit
inline __m512 normal_cdf16(__m512 x) {
  const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, _mm512_set1_ps(1.f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  const __m512 e = exp2_nonpos16(_mm512_mul_ps(_mm512_fnmadd_ps(z, z, p), _mm512_set1_ps(1.4426950408889634f)));
  const __m512 half_erfc = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), t), e);
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(neg, _mm512_sub_ps(_mm512_set1_ps(1.f), half_erfc), half_erfc);
}

// GELU'(x) = Φ(x) + x·φ(x)
inline __m512 gelu_grad16(__m512 x) {
  const __m512 half_x2 = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), x), x);
  const __m512 pdf = exp2_nonpos16(_mm512_mul_ps(half_x2, _mm512_set1_ps(1.4426950408889634f)));
  return _mm512_fmadd_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.3989422804014327f)), pdf, normal_cdf16(x));
}

// f(i, mask) over [0, n) sixteen at a time, the tail masked
template <class F>
inline void for_lanes16(long n, F&& f) {
  long i = 0;
  for (; i + 16 <= n; i += 16) f(i, (__mmask16)0xFFFF);
  if (i < n) f(i, tail_mask((int)(n - i)));
}

// out[i] = GELU(in[i]); out may be in
inline void gelu_span(float* out, const float* in, long n) {
  for_lanes16(n, [&](long i, __mmask16 m) {
    const __m512 x = _mm512_maskz_loadu_ps(m, in + i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(x, normal_cdf16(x)));
  });
}

// d[i] *= GELU'(x[i])
inline void gelu_grad_span(float* d, const float* x, long n) {
  for_lanes16(n, [&](long i, __mmask16 m) {
    const __m512 g = gelu_grad16(_mm512_maskz_loadu_ps(m, x + i));
    _mm512_mask_storeu_ps(d + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, d + i), g));
  });
}

// dinp[i] += dout[i]·GELU'(x[i])
inline void gelu_backward_span(float* dinp, const float* x, const float* dout, long n) {
  for_lanes16(n, [&](long i, __mmask16 m) {
    const __m512 g = gelu_grad16(_mm512_maskz_loadu_ps(m, x + i));
    _mm512_mask_storeu_ps(dinp + i, m, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, dout + i), g, _mm512_maskz_loadu_ps(m, dinp + i)));
  });
}
#else
using tbw::gelu_grad_span;
using tbw::gelu_span;

inline void gelu_backward_span(float* dinp, const float* x, const float* dout, long n) {
  for (long i = 0; i < n; i++) dinp[i] += dout[i] * gelu_grad(x[i]);
}
#endif

}  // namespace TBW_NS
}  // namespace tbw
