// Softmax row helpers shared by flash and naive attention (compiled per variant).
// Scores are kept in log2 units (scale·log2 e folded into the QKᵀ product), so
// rows need only 2^x. Reductions use 16 independent lanes so they vectorize
// (a plain float max/sum reduction does not: the compiler may not reorder it).
#pragma once
#include "tbw/fast_exp.h"

namespace tbw {
namespace TBW_NS {

constexpr float kLog2e = 1.4426950408889634f, kLn2 = 0.6931471805599453f;
constexpr int LANES = 16;

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

}  // namespace TBW_NS
}  // namespace tbw
