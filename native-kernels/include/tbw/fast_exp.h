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

}  // namespace tbw
