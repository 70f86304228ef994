// The GEMM calls of a linear layer y = x·Wᵀ (+ b): its forward and both backward products.
#pragma once
#include "gemm_driver.h"

namespace tbw {
namespace TBW_NS {

using Gemm = GemmDriver<MicroKernel>;

// inp (N,C) · W (OC,C)ᵀ -> out (N,OC)
inline GemmArgs linear_args(float* out, const float* inp, const float* W, int N, int C, int OC) {
  GemmArgs g;
  g.M = N, g.N = OC, g.K = C;
  g.A = inp, g.a_rs = C, g.a_cs = 1;
  g.B = W, g.b_rs = 1, g.b_cs = C;
  g.C = out, g.ldc = OC;
  return g;
}

// dout (N,OC) · W (OC,C) -> (N,C)
inline GemmArgs linear_dinp_args(float* dinp, const float* dout, const float* W, int N, int C, int OC) {
  GemmArgs g;
  g.M = N, g.N = C, g.K = OC;
  g.A = dout, g.a_rs = OC, g.a_cs = 1;
  g.B = W, g.b_rs = C, g.b_cs = 1;
  g.C = dinp, g.ldc = C;
  return g;
}

// dout (N,OC)ᵀ · inp (N,C) -> (OC,C)
inline GemmArgs linear_dweight_args(float* dweight, const float* dout, const float* inp, int N, int C, int OC) {
  GemmArgs g;
  g.M = OC, g.N = C, g.K = N;
  g.A = dout, g.a_rs = 1, g.a_cs = OC;
  g.B = inp, g.b_rs = C, g.b_cs = 1;
  g.C = dweight, g.ldc = C;
  return g;
}

}  // namespace TBW_NS
}  // namespace tbw
