// Reference quantize/dequantize for the int8, nf4 (+ double quantization), fp16 and bf16
// formats of tbw/quant.h, and the reference int8 GEMM (64-bit integer sums).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tbw/quant.h"

namespace tbw {

const float kNf4Values[16] = {-1.0f,
                              -0.6961928009986877f,
                              -0.5250730514526367f,
                              -0.39491748809814453f,
                              -0.28444138169288635f,
                              -0.18477343022823334f,
                              -0.09105003625154495f,
                              0.0f,
                              0.07958029955625534f,
                              0.16093020141124725f,
                              0.24611230194568634f,
                              0.33791524171829224f,
                              0.44070982933044434f,
                              0.5626170039176941f,
                              0.7229568362236023f,
                              1.0f};

namespace {

// Index of the nearest NF4 value: the count of midpoints below x (a midpoint itself rounds down,
// as bitsandbytes' comparisons do).
int nf4_index(float x) {
  int idx = 0;
  for (int i = 0; i < 15; i++) idx += x > 0.5f * (kNf4Values[i] + kNf4Values[i + 1]);
  return idx;
}

int8_t round_int8(float x) { return (int8_t)std::max(-127.f, std::min(127.f, std::nearbyint(x))); }

}  // namespace

void quantize_int8_rows(int8_t* codes, float* scale, const float* w, int rows, int cols) {
  for (int r = 0; r < rows; r++) {
    const float* src = w + (long)r * cols;
    float amax = 0.f;
    for (int c = 0; c < cols; c++) amax = std::max(amax, std::fabs(src[c]));
    scale[r] = amax / 127.f;
    const float inv = amax > 0.f ? 127.f / amax : 0.f;
    for (int c = 0; c < cols; c++) codes[(long)r * cols + c] = round_int8(src[c] * inv);
  }
}

void dequantize_int8_rows(float* w, const int8_t* codes, const float* scale, int rows, int cols) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) w[(long)r * cols + c] = scale[r] * codes[(long)r * cols + c];
}

void quantize_nf4(Nf4Block* blocks, float* absmax, const float* w, long n) {
  const long nb = nf4_blocks(n);
  for (long b = 0; b < nb; b++) {
    const long i0 = b * kNf4BlockSize, i1 = std::min(n, i0 + kNf4BlockSize);
    float amax = 0.f;
    for (long i = i0; i < i1; i++) amax = std::max(amax, std::fabs(w[i]));
    absmax[b] = amax;
    const float inv = amax > 0.f ? 1.f / amax : 0.f;
    std::memset(blocks[b].packed, 0x77, sizeof(blocks[b].packed));  // padding decodes to 0
    for (long i = i0; i < i1; i++) {
      const int j = (int)(i - i0), q = nf4_index(w[i] * inv);
      uint8_t& byte = blocks[b].packed[j / 2];
      byte = (j % 2 == 0) ? (uint8_t)((q << 4) | (byte & 0x0F)) : (uint8_t)((byte & 0xF0) | q);
    }
  }
}

void dequantize_nf4(float* w, const Nf4Block* blocks, const float* absmax, long i0, long i1) {
  for (long i = i0; i < i1;) {
    const long b = i / kNf4BlockSize, end = std::min(i1, (b + 1) * kNf4BlockSize);
    float lut[16];  // this block's 16 values
    for (int q = 0; q < 16; q++) lut[q] = absmax[b] * kNf4Values[q];
    const uint8_t* packed = blocks[b].packed;
    for (; i < end; i++) {
      const int j = (int)(i - b * kNf4BlockSize);
      const uint8_t byte = packed[j >> 1];
      w[i - i0] = lut[(j & 1) ? byte & 0x0F : byte >> 4];
    }
  }
}

void quantize_absmax(int8_t* codes, float* scales, float* offset, const float* absmax, long nb) {
  double sum = 0;
  for (long i = 0; i < nb; i++) sum += absmax[i];
  const float mean = nb ? (float)(sum / nb) : 0.f;
  *offset = mean;
  for (long s = 0; s < absmax_dq_blocks(nb); s++) {
    const long i0 = s * kAbsmaxDqBlock, i1 = std::min(nb, i0 + kAbsmaxDqBlock);
    float amax = 0.f;
    for (long i = i0; i < i1; i++) amax = std::max(amax, std::fabs(absmax[i] - mean));
    scales[s] = amax / 127.f;
    const float inv = amax > 0.f ? 127.f / amax : 0.f;
    for (long i = i0; i < i1; i++) codes[i] = round_int8((absmax[i] - mean) * inv);
  }
}

void dequantize_absmax(float* absmax, const int8_t* codes, const float* scales, float offset, long nb) {
  for (long i = 0; i < nb; i++) absmax[i] = offset + scales[i / kAbsmaxDqBlock] * codes[i];
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) return (uint16_t)(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u : 0u));  // inf, nan
  if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  // rounds past 65504: inf
  if (ax < 0x38800000u) {  // half subnormal (or zero): round |f| / 2^-24 to an integer, ties to even
    float af;
    std::memcpy(&af, &ax, 4);
    return (uint16_t)(sign | (uint32_t)std::nearbyint(af * 16777216.f));
  }
  const uint32_t mant_odd = (ax >> 13) & 1u;
  const uint32_t r = ax + 0xC8000FFFu + mant_odd;  // rebias the exponent (-112 << 23) and round to nearest even
  return (uint16_t)(sign | (r >> 13));
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  float out;
  if (exp == 0) {
    out = std::ldexp((float)mant, -24);
    return sign ? -out : out;
  }
  const uint32_t bits = sign | (exp == 31 ? (0xFFu << 23) | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40u);  // keep nan a nan
  return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

float bf16_to_float(uint16_t b) {
  const uint32_t x = (uint32_t)b << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

float quantize_token_int8(int8_t* q, int32_t* qsum, const float* x, int C, int cpad) {
  float amax = 0.f;
  for (int c = 0; c < C; c++) amax = std::max(amax, std::fabs(x[c]));
  const float inv = amax > 0.f ? 127.f / amax : 0.f;
  int32_t sum = 0;
  for (int c = 0; c < C; c++) {
    q[c] = round_int8(x[c] * inv);
    sum += q[c];
  }
  for (int c = C; c < cpad; c++) q[c] = 0;
  *qsum = sum;
  return amax / 127.f;
}

void int8_gemm_ref(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC) {
  std::vector<int8_t> q(C);
  for (int n = 0; n < N; n++) {
    int32_t qsum;
    const float xs = quantize_token_int8(q.data(), &qsum, inp + (long)n * C, C, C);
    for (int o = 0; o < OC; o++) {
      int64_t acc = 0;
      for (int c = 0; c < C; c++) acc += (int64_t)q[c] * codes[(long)o * C + c];
      out[(long)n * OC + o] = xs * scale[o] * (float)acc + (bias ? bias[o] : 0.f);
    }
  }
}

}  // namespace tbw
