// GEMM variants against the reference: the three matmul layouts (forward,
// dinp, dweight), odd sizes, bias, accumulation.
#include <string>
#include <vector>

#include "harness.h"
#include "tbw/threadpool.h"

using namespace tbw;

// Declared tolerance: fp32 FMA accumulation vs the double reference, relative
// to the magnitude scale sqrt(K) of sums of K products of values in (-1,1).
static bool check(Variant v, int M, int N, int K, int layout, bool bias, bool accumulate) {
  auto A = th::random_vec((size_t)M * K, M * 7 + K);
  auto B = th::random_vec((size_t)K * N, N * 13 + K);
  auto bvec = th::random_vec(N, 99);
  auto C0 = th::random_vec((size_t)M * N, 5);
  GemmArgs g;
  g.M = M, g.N = N, g.K = K;
  g.A = A.data();
  g.B = B.data();
  switch (layout) {
    case 0: g.a_rs = K, g.a_cs = 1, g.b_rs = 1, g.b_cs = K; break;  // forward: inp (M,K) · W (N,K)ᵀ
    case 1: g.a_rs = K, g.a_cs = 1, g.b_rs = N, g.b_cs = 1; break;  // dinp: dout (M,K) · W (K,N)
    default: g.a_rs = 1, g.a_cs = M, g.b_rs = N, g.b_cs = 1; break; // dweight: dout (K,M)ᵀ · inp (K,N)
  }
  g.ldc = N;
  g.bias = bias ? bvec.data() : nullptr;
  g.accumulate = accumulate;
  std::vector<float> want = C0, got = C0;
  g.C = want.data();
  sgemm_ref(g);
  g.C = got.data();
  sgemm(v, g);
  double atol = 2e-6 * std::sqrt((double)K + 1) + 1e-6;
  return th::allclose("C", got.data(), want.data(), want.size(), 1e-5, atol);
}

int main() {
  std::printf("test_gemm (threads %d)\n", num_threads());
  const int shapes[][3] = {{1, 1, 1},    {7, 5, 3},      {13, 33, 17},  {12, 32, 256}, {25, 65, 257},
                           {128, 312, 312}, {97, 1200, 312}, {64, 312, 1200}, {200, 768, 130}, {3, 3072, 70},
                           {50, 70, 4099},   {100, 130, 4096}};  // the last two take the split-K path
  for (Variant v : th::variants_or_skip("gemm")) {
    bool ok = true;
    for (auto& s : shapes)
      for (int layout = 0; layout < 3; layout++)
        for (int flags = 0; flags < 4; flags++) ok = check(v, s[0], s[1], s[2], layout, flags & 1, flags & 2) && ok;
    th::report(std::string("gemm[") + variant_name(v) + "] 12 shapes x 3 layouts x bias/accumulate", ok);
  }
  // Thread-count independence: the same result with 1 thread and with the pool.
  for (Variant v : th::variants_or_skip("gemm threads")) {
    int before = num_threads();
    set_num_threads(1);
    bool ok = check(v, 130, 301, 97, 0, true, false);
    set_num_threads(before > 1 ? before : 2);
    ok = check(v, 130, 301, 97, 0, true, false) && ok;
    set_num_threads(before);
    th::report(std::string("gemm[") + variant_name(v) + "] with 1 and N threads", ok);
  }
  return th::finish("test_gemm");
}
