// int8 GEMM in portable C++ (the scalar backend's): int32 dot products the compiler vectorizes,
// threaded over tokens.
#include <algorithm>
#include <vector>

#include "tbw/fast_exp.h"
#include "tbw/quant.h"
#include "tbw/threadpool.h"

namespace tbw {

void int8_gemm_portable(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C,
                        int OC, uint64_t, float* gelu_out) {
  constexpr int ROWS = 8;
  parallel_for((N + ROWS - 1) / ROWS, [&](int t, int) {
    std::vector<int8_t> q(C);
    for (int n = t * ROWS; n < std::min(N, (t + 1) * ROWS); n++) {
      int32_t qsum;
      const float xs = quantize_token_int8(q.data(), &qsum, inp + (long)n * C, C, C);
      for (int o = 0; o < OC; o++) {
        const int8_t* w = codes + (long)o * C;
        int32_t acc = 0;
#pragma omp simd reduction(+ : acc)
        for (int c = 0; c < C; c++) acc += (int32_t)q[c] * w[c];
        out[(long)n * OC + o] = xs * scale[o] * (float)acc + (bias ? bias[o] : 0.f);
      }
      if (gelu_out) gelu_span(gelu_out + (long)n * OC, out + (long)n * OC, OC);
    }
  });
}

void int8_gemm_shared_portable(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t) {
  for (int i = 0; i < n; i++) int8_gemm_portable(parts[i].out, inp, parts[i].codes, parts[i].scale, parts[i].bias, N, C, OC, 0, parts[i].gelu_out);
}

}  // namespace tbw
