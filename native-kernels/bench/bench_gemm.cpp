// Quick GEMM throughput check for development (the real benchmark against
// ONNX Runtime is `npm run bench:kernels`).
#include <chrono>
#include <cstdio>
#include <vector>

#include "../tests/harness.h"
#include "tbw/threadpool.h"

using namespace tbw;

int main() {
  const int N = 4096;
  const int shapes[][2] = {{312, 312}, {312, 1200}, {1200, 312}};
  for (Variant v : {Variant::Avx2, Variant::Avx512}) {
    for (auto& s : shapes) {
      const int C = s[0], OC = s[1];
      auto A = th::random_vec((size_t)N * C, 1), W = th::random_vec((size_t)OC * C, 2), b = th::random_vec(OC, 3);
      std::vector<float> out((size_t)N * OC);
      GemmArgs g;
      g.M = N, g.N = OC, g.K = C, g.A = A.data(), g.a_rs = C, g.a_cs = 1, g.B = W.data(), g.b_rs = 1, g.b_cs = C;
      g.C = out.data(), g.ldc = OC, g.bias = b.data();
      sgemm(v, g);
      int reps = 10;
      auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; r++) sgemm(v, g);
      double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
      std::printf("%-7s fwd %dx%d->%d: %.1f GFLOP/s\n", variant_name(v), N, C, OC, 2.0 * N * C * OC / sec / 1e9);
    }
  }
}
