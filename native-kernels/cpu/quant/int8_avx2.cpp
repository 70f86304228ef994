// int8 GEMM with AVX2: codes widened to int16 and multiplied with vpmaddwd (s16 x s16 -> s32,
// pairs summed), which cannot saturate (vpmaddubsw could). Panels: 8 channels x 2 k per vector.
#include "tbw/quant.h"

#if defined(__AVX2__)
#include <immintrin.h>

#include "int8_driver.h"

namespace tbw {
namespace {

struct Avx2Kernel {
  using Act = int16_t;
  using Pack = int16_t;
  static constexpr int KSTEP = 2, NR = 8, MR = 6, GR = 2;

  static void pack(int16_t* dst, const int8_t* codes, int g, int C, int Ck, int OC) {
    for (int k = 0; k < Ck; k += 2)
      for (int j = 0; j < 8; j++) {
        const int o = g * 8 + j;
        for (int t = 0; t < 2; t++) *dst++ = (o < OC && k + t < C) ? codes[(long)o * C + k + t] : 0;
      }
  }

  static void tile(float* out, const int16_t* acts, const float* xs, const int32_t*, const int16_t* panels, const float* scale,
                   const float* bias, int n0, int mr, int g0, int gr, int Ck, int OC) {
    __m256i acc[MR][GR];
    for (int i = 0; i < MR; i++)
      for (int p = 0; p < GR; p++) acc[i][p] = _mm256_setzero_si256();
    const int16_t* x[MR];
    for (int i = 0; i < MR; i++) x[i] = acts + (size_t)(n0 + std::min(i, mr - 1)) * Ck;
    const int16_t* w0 = panels + (size_t)g0 * Ck * 8;
    const int16_t* w1 = gr > 1 ? w0 + (size_t)Ck * 8 : w0;
    for (int k = 0; k < Ck; k += 2) {
      const __m256i b0 = _mm256_loadu_si256((const __m256i*)(w0 + (size_t)k * 8));
      const __m256i b1 = _mm256_loadu_si256((const __m256i*)(w1 + (size_t)k * 8));
      for (int i = 0; i < MR; i++) {
        int32_t pair;
        std::memcpy(&pair, x[i] + k, 4);
        const __m256i a = _mm256_set1_epi32(pair);
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(b0, a));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(b1, a));
      }
    }
    for (int p = 0; p < gr; p++) {
      const int o0 = (g0 + p) * 8, valid = std::min(8, OC - o0);
      alignas(32) float ws[8] = {}, bv[8] = {}, r[8];
      for (int j = 0; j < valid; j++) ws[j] = scale[o0 + j], bv[j] = bias ? bias[o0 + j] : 0.f;
      for (int i = 0; i < mr; i++) {
        const int n = n0 + i;
        const __m256 s = _mm256_mul_ps(_mm256_set1_ps(xs[n]), _mm256_load_ps(ws));
        const __m256 v = _mm256_add_ps(_mm256_mul_ps(s, _mm256_cvtepi32_ps(acc[i][p])), _mm256_load_ps(bv));
        if (valid == 8) {
          _mm256_storeu_ps(out + (long)n * OC + o0, v);
        } else {
          _mm256_store_ps(r, v);
          for (int j = 0; j < valid; j++) out[(long)n * OC + o0 + j] = r[j];
        }
      }
    }
  }
};

}  // namespace

void int8_gemm_avx2(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC) {
  int8_gemm_packed<Avx2Kernel>(out, inp, codes, scale, bias, N, C, OC);
}

}  // namespace tbw

#else

namespace tbw {
void int8_gemm_avx2(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC) {
  int8_gemm_portable(out, inp, codes, scale, bias, N, C, OC);
}
}  // namespace tbw

#endif
