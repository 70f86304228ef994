// int8 GEMM with AVX2: codes widened to int16 and multiplied with vpmaddwd (s16 x s16 -> s32,
// pairs summed), which cannot saturate (vpmaddubsw could). Panels: 8 channels x 2 k per vector.
#include "tbw/quant.h"

#if defined(__AVX2__)
#include <immintrin.h>

#include <cmath>

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

  // quantize_token_int8 in 8-float vectors (the same codes), written as int16.
  static float quantize(int16_t* q, int32_t* qsum, const float* x, int C, int Ck) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 vmax = _mm256_setzero_ps();
    int c = 0;
    for (; c + 8 <= C; c += 8) vmax = _mm256_max_ps(vmax, _mm256_and_ps(_mm256_loadu_ps(x + c), absmask));
    alignas(32) float m[8];
    _mm256_store_ps(m, vmax);
    float amax = 0.f;
    for (int j = 0; j < 8; j++) amax = std::max(amax, m[j]);
    for (int j = c; j < C; j++) amax = std::max(amax, std::fabs(x[j]));
    const float inv_s = amax > 0.f ? 127.f / amax : 0.f;
    const __m256 inv = _mm256_set1_ps(inv_s);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    __m256i sum = _mm256_setzero_si256();
    for (c = 0; c + 8 <= C; c += 8) {
      const __m256i v = _mm256_min_epi32(hi, _mm256_max_epi32(lo, _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c), inv))));
      sum = _mm256_add_epi32(sum, v);
      const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(v, v), 0xD8);
      _mm_storeu_si128((__m128i*)(q + c), _mm256_castsi256_si128(packed));
    }
    alignas(32) int32_t s[8];
    _mm256_store_si256((__m256i*)s, sum);
    int32_t total = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
    for (; c < C; c++) {
      const int16_t v = (int16_t)std::max(-127.f, std::min(127.f, std::nearbyint(x[c] * inv_s)));
      q[c] = v;
      total += v;
    }
    for (c = C; c < Ck; c++) q[c] = 0;
    *qsum = total;
    return amax / 127.f;
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

void int8_gemm_avx2(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC, uint64_t frozen,
                    float* gelu_out) {
  const Int8Part part{out, codes, scale, bias, gelu_out};
  int8_gemm_packed<Avx2Kernel>(&part, 1, inp, N, C, OC, frozen);
}

void int8_gemm_shared_avx2(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen) {
  int8_gemm_packed<Avx2Kernel>(parts, n, inp, N, C, OC, frozen);
}

}  // namespace tbw

#else

namespace tbw {
void int8_gemm_avx2(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC, uint64_t,
                    float* gelu_out) {
  int8_gemm_portable(out, inp, codes, scale, bias, N, C, OC, 0, gelu_out);
}
void int8_gemm_shared_avx2(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen) {
  int8_gemm_shared_portable(parts, n, inp, N, C, OC, frozen);
}
}  // namespace tbw

#endif
