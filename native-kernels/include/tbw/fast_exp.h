// 2^x in straight-line arithmetic the compiler vectorizes (std::exp2 is a
// library call that stops vectorization).
#pragma once
#include <cstdint>
#include <cstring>

namespace tbw {

// 2^x for x <= 0 (softmax arguments after subtracting the row max), in
// straight-line arithmetic that vectorizes: x = n + r with r in [-0.5, 0.5],
// 2^r by a degree-6 polynomial (relative error < 3e-7, tested); returns exactly 0 for
// x < -126 (and -inf).
inline float fast_exp2_nonpos(float x) {
  const float big = 12582912.f;  // 1.5 * 2^23: adding it rounds to an integer
  const float xc = x < -126.f ? -126.f : x;
  float n = xc + big;
  n -= big;
  const float r = xc - n;
  float p = 1.535336188319500e-4f;
  p = p * r + 1.339887440266574e-3f;
  p = p * r + 9.618437357674640e-3f;
  p = p * r + 5.550332471162809e-2f;
  p = p * r + 2.402264791363012e-1f;
  p = p * r + 6.931472028550421e-1f;
  p = p * r + 1.f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < -126.f ? 0.f : p * scale;
}

// The standard normal CDF Φ(x) = erfc(-x/√2)/2 in straight-line arithmetic
// (so GELU loops vectorize): erfc by the Chebyshev fit of Numerical Recipes'
// erfcc (fractional error < 1.2e-7 for every argument), so the tail x < 0
// keeps its relative accuracy instead of cancelling in 1 + erf(x).
inline float fast_normal_cdf(float x) {
  const float z = (x < 0.f ? -x : x) * 0.70710678118654752f;
  const float t = 1.f / (1.f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  // p is within 1e-7 of 0 at z = 0, so the exponent is <= 1e-7: fine for the 2^x above.
  const float half_erfc = 0.5f * t * fast_exp2_nonpos((p - z * z) * 1.4426950408889634f);
  return x < 0.f ? half_erfc : 1.f - half_erfc;
}

// out[i] = GELU(in[i]) = in[i]·Φ(in[i]) (BERT's erf form) for i < n; out may be in.
inline void gelu_span(float* out, const float* in, long n) {
  for (long i = 0; i < n; i++) out[i] = in[i] * fast_normal_cdf(in[i]);
}

// log2(x) for normal x > 0 in straight-line arithmetic: x = 2^e·m with m in [√½, √2), then
// log2 m = (2/ln 2)·atanh(z), z = (m-1)/(m+1), |z| <= 0.172, by its odd series to z^9
// (truncation < 4e-10; absolute error < 2e-7 overall, tested).
inline float fast_log2(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  int32_t mbits = (bits & 0x7fffff) | 0x3f800000;  // m in [1, 2)
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  const bool high = m > 1.41421356f;
  m = high ? m * 0.5f : m;
  e += high ? 1 : 0;
  const float z = (m - 1.f) / (m + 1.f), z2 = z * z;
  float p = 1.f / 9.f;
  p = p * z2 + 1.f / 7.f;
  p = p * z2 + 1.f / 5.f;
  p = p * z2 + 1.f / 3.f;
  p = p * z2 + 1.f;
  return (float)e + 2.8853900817779268f * z * p;  // 2/ln 2
}

// e^x for x <= 0.
inline float fast_exp_nonpos(float x) { return fast_exp2_nonpos(x * 1.4426950408889634f); }

// GELU'(x) = Φ(x) + x·φ(x)
inline float gelu_grad(float x) { return fast_normal_cdf(x) + x * 0.3989422804014327f * fast_exp_nonpos(-0.5f * x * x); }

// d[i] *= GELU'(x[i]) for i < n: a gradient taken back through GELU
inline void gelu_grad_span(float* d, const float* x, long n) {
  for (long i = 0; i < n; i++) d[i] *= gelu_grad(x[i]);
}

}  // namespace tbw
