// Reference GEMM: the plainest loop, accumulated in double.
#include "tbw/gemm.h"
#include "tbw/rng.h"

namespace tbw {

// A (M,K) · B (K,N) -> C (M,N), strides as in GemmArgs
void sgemm_ref(const GemmArgs& g) {
  if (g.a_row_sums)
    for (int m = 0; m < g.M; m++) {
      double sum = 0.0;
      for (int k = 0; k < g.K; k++) sum += g.A[m * g.a_rs + k * g.a_cs];
      g.a_row_sums[m] = float(g.a_row_sums[m] + sum);
    }
  for (int m = 0; m < g.M; m++) {
    for (int n = 0; n < g.N; n++) {
      double acc = 0.0;
      for (int k = 0; k < g.K; k++) acc += double(g.A[m * g.a_rs + k * g.a_cs]) * g.B[k * g.b_rs + n * g.b_cs];
      acc = acc * g.alpha + (g.bias ? g.bias[n] : 0.0);
      if (const GemmAddend* e = g.addend) {
        double extra = 0.0;
        for (int k = 0; k < e->K; k++) extra += double(e->A[m * e->a_rs + k * e->a_cs]) * e->B[k * e->b_rs + n * e->b_cs];
        const double keep = e->drop_p > 0.f ? dropout_scale(e->drop_seed, (uint64_t)m * g.N + n, e->drop_p) : 1.0;
        acc += extra * e->alpha * keep;
      }
      float* c = g.C + m * g.ldc + n;
      *c = g.accumulate ? float(*c + acc) : float(acc);
    }
  }
}

}  // namespace tbw
