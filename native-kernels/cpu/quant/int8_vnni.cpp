// int8 GEMM with AVX-512 VNNI (vpdpbusd: u8 x s8 -> s32). The weight codes are stored
// flipped to unsigned (code ^ 0x80 = code + 128), so each dot product gains 128·Σ q[n],
// subtracted in the epilogue. Panels: 16 channels x 4 k per 64-byte vector.
#include "tbw/quant.h"

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#include <immintrin.h>

#include "int8_driver.h"

namespace tbw {
namespace {

// acc += u8(b)·s8(a) in groups of 4 bytes. Inline asm on named accumulators: GCC 12 compiles
// _mm512_dpbusd_epi32 on an accumulator array with a register copy of each accumulator per
// call and stack spills, which cost about half the kernel's speed.
#define TBW_DPBUSD(acc, b, a) asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(b), "v"(a))

struct VnniKernel {
  using Act = int8_t;
  using Pack = uint8_t;
  static constexpr int KSTEP = 4, NR = 16, MR = 8, GR = 2;

  static void pack(uint8_t* dst, const int8_t* codes, int g, int C, int Ck, int OC) {
    for (int k = 0; k < Ck; k += 4)
      for (int j = 0; j < 16; j++) {
        const int o = g * 16 + j;
        for (int t = 0; t < 4; t++) {
          const int c = k + t;
          const int8_t v = (o < OC && c < C) ? codes[(long)o * C + c] : 0;
          *dst++ = (uint8_t)v ^ 0x80u;
        }
      }
  }

  // quantize_token_int8 in 16-float vectors: the same max, the same x·(127/max) rounded to
  // nearest even (the default MXCSR mode, as std::nearbyint), so the same codes.
  static float quantize(int8_t* q, int32_t* qsum, const float* x, int C, int Ck) {
    __m512 vmax = _mm512_setzero_ps();
    int c = 0;
    for (; c + 16 <= C; c += 16) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(x + c)));
    const __mmask16 tail = (__mmask16)((1u << (C - c)) - 1u);
    if (c < C) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + c)));
    const float amax = _mm512_reduce_max_ps(vmax);
    const __m512 inv = _mm512_set1_ps(amax > 0.f ? 127.f / amax : 0.f);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    __m512i sum = _mm512_setzero_si512();
    for (c = 0; c + 16 <= C; c += 16) {
      const __m512i v = _mm512_min_epi32(hi, _mm512_max_epi32(lo, _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + c), inv))));
      sum = _mm512_add_epi32(sum, v);
      _mm_storeu_si128((__m128i*)(q + c), _mm512_cvtepi32_epi8(v));
    }
    if (c < C) {
      const __m512i v = _mm512_min_epi32(hi, _mm512_max_epi32(lo, _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + c), inv))));
      sum = _mm512_add_epi32(sum, _mm512_maskz_mov_epi32(tail, v));
      _mm512_mask_cvtepi32_storeu_epi8(q + c, tail, v);
    }
    std::memset(q + C, 0, Ck - C);
    *qsum = _mm512_reduce_add_epi32(sum);
    return amax / 127.f;
  }

  static void tile(float* out, const int8_t* acts, const float* xs, const int32_t* xsum, const uint8_t* panels, const float* scale,
                   const float* bias, int n0, int mr, int g0, int gr, int Ck, int OC) {
    static_assert(MR == 8 && GR == 2, "the loop below names 8 x 2 accumulators");
    const auto row = [&](int i) { return acts + (size_t)(n0 + std::min(i, mr - 1)) * Ck; };
    const int8_t *x0 = row(0), *x1 = row(1), *x2 = row(2), *x3 = row(3), *x4 = row(4), *x5 = row(5), *x6 = row(6), *x7 = row(7);
    const uint8_t* w0 = panels + (size_t)g0 * Ck * 16;
    const uint8_t* w1 = gr > 1 ? w0 + (size_t)Ck * 16 : w0;
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    __m512i c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (int k = 0; k < Ck; k += 4) {
      const __m512i b0 = _mm512_loadu_si512(w0 + (size_t)k * 16), b1 = _mm512_loadu_si512(w1 + (size_t)k * 16);
#define TBW_ROW(i)                                            \
  {                                                           \
    int32_t quad;                                             \
    std::memcpy(&quad, x##i + k, 4);                          \
    const __m512i a = _mm512_set1_epi32(quad);                \
    TBW_DPBUSD(c##i##0, b0, a);                               \
    TBW_DPBUSD(c##i##1, b1, a);                               \
  }
      TBW_ROW(0) TBW_ROW(1) TBW_ROW(2) TBW_ROW(3) TBW_ROW(4) TBW_ROW(5) TBW_ROW(6) TBW_ROW(7)
#undef TBW_ROW
    }
    // Epilogue straight from the named accumulators (copying them into an array spills them to the stack).
    const int o0 = g0 * 16;
    const __mmask16 m0 = channel_mask(OC - o0), m1 = gr > 1 ? channel_mask(OC - o0 - 16) : (__mmask16)0;
    const __m512 ws0 = _mm512_maskz_loadu_ps(m0, scale + o0), ws1 = _mm512_maskz_loadu_ps(m1, scale + o0 + 16);
    const __m512 bv0 = bias ? _mm512_maskz_loadu_ps(m0, bias + o0) : _mm512_setzero_ps();
    const __m512 bv1 = bias ? _mm512_maskz_loadu_ps(m1, bias + o0 + 16) : _mm512_setzero_ps();
    const auto store = [&](int i, __m512i a0, __m512i a1) {
      if (i >= mr) return;
      const int n = n0 + i;
      const __m512i corr = _mm512_set1_epi32(128 * xsum[n]);
      const __m512 xv = _mm512_set1_ps(xs[n]);
      float* o = out + (long)n * OC + o0;
      _mm512_mask_storeu_ps(o, m0, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(xv, ws0), _mm512_cvtepi32_ps(_mm512_sub_epi32(a0, corr))), bv0));
      if (m1) _mm512_mask_storeu_ps(o + 16, m1, _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(xv, ws1), _mm512_cvtepi32_ps(_mm512_sub_epi32(a1, corr))), bv1));
    };
    store(0, c00, c01), store(1, c10, c11), store(2, c20, c21), store(3, c30, c31);
    store(4, c40, c41), store(5, c50, c51), store(6, c60, c61), store(7, c70, c71);
  }

  // the valid channels of a 16-channel panel with `left` channels to go (0 when none)
  static __mmask16 channel_mask(int left) { return left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1u); }
};

}  // namespace

void int8_gemm_vnni(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC, uint64_t frozen,
                    float* gelu_out) {
  const Int8Part part{out, codes, scale, bias, gelu_out};
  int8_gemm_packed<VnniKernel>(&part, 1, inp, N, C, OC, frozen);
}

void int8_gemm_shared_vnni(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen) {
  int8_gemm_packed<VnniKernel>(parts, n, inp, N, C, OC, frozen);
}

bool int8_vnni_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
}

}  // namespace tbw

#else  // built without VNNI flags (a non-x86 build): reported unsupported, never called

namespace tbw {
void int8_gemm_vnni(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC, uint64_t,
                    float* gelu_out) {
  int8_gemm_portable(out, inp, codes, scale, bias, N, C, OC, 0, gelu_out);
}
void int8_gemm_shared_vnni(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen) {
  int8_gemm_shared_portable(parts, n, inp, N, C, OC, frozen);
}
bool int8_vnni_supported() { return false; }
}  // namespace tbw

#endif
