// GEMM variants against the reference: the three matmul layouts (forward,
// dinp, dweight), odd sizes, bias, accumulation.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "harness.h"
#include "tbw/threadpool.h"

using namespace tbw;

// Declared tolerance: fp32 FMA accumulation vs the double reference, relative
// to the magnitude scale sqrt(K) of sums of K products of values in (-1,1).
static bool check(Variant v, int M, int N, int K, int layout, bool bias, bool accumulate, float alpha = 1.f, bool row_sums = false) {
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
  g.alpha = alpha;
  std::vector<float> want = C0, got = C0, want_sums = th::random_vec(M, 9), got_sums = want_sums;
  g.C = want.data();
  g.a_row_sums = row_sums ? want_sums.data() : nullptr;
  sgemm_ref(g);
  g.C = got.data();
  g.a_row_sums = row_sums ? got_sums.data() : nullptr;
  sgemm(v, g);
  double atol = 2e-6 * std::sqrt((double)K + 1) + 1e-6;
  return th::allclose("C", got.data(), want.data(), want.size(), 1e-5, atol) &&
         th::allclose("row sums", got_sums.data(), want_sums.data(), M, 1e-5, atol);
}

// The rank-r addend (LoRA's path summed into the base product's tiles), with and without its
// dropout mask, after one K block or several (K > 1280), with GELU written from the final tile.
static bool check_addend(Variant v, int M, int N, int K, int r, float drop_p, bool gelu) {
  auto A = th::random_vec((size_t)M * K, 3 + K), B = th::random_vec((size_t)K * N, 4 + N);
  auto A2 = th::random_vec((size_t)M * r, 5 + r), B2 = th::random_vec((size_t)N * r, 6 + r), bvec = th::random_vec(N, 7);
  auto C0 = th::random_vec((size_t)M * N, 8);
  GemmAddend e;
  e.K = r, e.A = A2.data(), e.a_rs = r, e.a_cs = 1;  // h (M,r)
  e.B = B2.data(), e.b_rs = 1, e.b_cs = r;           // Bm (N,r) read transposed, as LoRA's up-projection
  e.alpha = 0.5f, e.drop_p = drop_p, e.drop_seed = 0x1234567890ull;
  GemmArgs g;
  g.M = M, g.N = N, g.K = K, g.A = A.data(), g.a_rs = K, g.a_cs = 1, g.B = B.data(), g.b_rs = N, g.b_cs = 1;
  g.ldc = N, g.bias = bvec.data(), g.accumulate = true, g.addend = &e;
  std::vector<float> want = C0, got = C0, got_gelu((size_t)M * N);
  g.C = want.data();
  sgemm_ref(g);
  g.C = got.data();
  if (gelu) g.gelu_out = got_gelu.data();
  sgemm(v, g);
  const double atol = 2e-6 * std::sqrt((double)K + r + 1) + 1e-6;
  bool ok = th::allclose("C with addend", got.data(), want.data(), want.size(), 1e-5, atol);
  if (gelu) {
    std::vector<double> want_gelu(want.size());
    for (size_t i = 0; i < want.size(); i++) want_gelu[i] = 0.5 * want[i] * (1.0 + std::erf(want[i] / std::sqrt(2.0)));
    std::vector<float> wg(want_gelu.begin(), want_gelu.end());
    ok = th::allclose("GELU(C with addend)", got_gelu.data(), wg.data(), wg.size(), 1e-5, atol) && ok;
  }
  return ok;
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
        for (int flags = 0; flags < 8; flags++)
          ok = check(v, s[0], s[1], s[2], layout, flags & 1, flags & 2, flags & 4 ? 0.37f : 1.f) && ok;
    th::report(std::string("gemm[") + variant_name(v) + "] 12 shapes x 3 layouts x bias/accumulate/alpha", ok);
  }
  for (Variant v : th::variants_or_skip("gemm addend")) {
    bool ok = true;
    for (float p : {0.f, 0.1f})
      ok = check_addend(v, 1, 1, 1, 1, p, false) && check_addend(v, 97, 70, 33, 16, p, false) && check_addend(v, 300, 312, 312, 16, p, true) &&
           check_addend(v, 40, 45, 1300, 8, p, false) && check_addend(v, 40, 45, 1300, 8, p, true) && check_addend(v, 25, 33, 0, 3, p, false) && ok;
    th::report(std::string("gemm[") + variant_name(v) + "] rank-r addend, dropout mask, one and several K blocks", ok);
  }
  for (Variant v : th::variants_or_skip("gemm row sums")) {
    bool ok = true;
    for (auto& s : {std::array<int, 3>{1, 1, 1}, {13, 33, 17}, {97, 70, 312}, {312, 40, 4096}, {130, 50, 2500}})
      for (int layout : {1, 2}) ok = check(v, s[0], s[1], s[2], layout, false, true, 1.f, true) && ok;
    th::report(std::string("gemm[") + variant_name(v) + "] row sums of A (dweight's dbias), split K included", ok);
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
