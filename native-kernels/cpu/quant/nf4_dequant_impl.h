// nf4 dequantization of a range of the flattened weight, compiled per variant: on AVX-512 a
// block's 16 values (absmax · code value, computed as the reference does) form a 16-float table
// that vpermps indexes with 16 codes at a time; elsewhere, and at the range's partial blocks,
// the reference. Results are bit-identical to tbw::dequantize_nf4.
#pragma once
#include "tbw/quant.h"
#if TBW_VEC_FLOATS == 16
#include <immintrin.h>
#endif

namespace tbw {
namespace TBW_NS {

inline void dequantize_nf4_range(float* w, const Nf4Block* blocks, const float* absmax, long i0, long i1) {
#if TBW_VEC_FLOATS == 16
  const long first_full = (i0 + kNf4BlockSize - 1) / kNf4BlockSize, last_full = i1 / kNf4BlockSize;  // [first, last)
  if (first_full >= last_full) return dequantize_nf4(w, blocks, absmax, i0, i1);
  const long head_end = first_full * kNf4BlockSize;
  if (i0 < head_end) dequantize_nf4(w, blocks, absmax, i0, head_end);
  const __m512 values = _mm512_loadu_ps(kNf4Values);
  const __m512i shifts = _mm512_set_epi32(0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);  // even lanes: high nibble
  const __m512i low4 = _mm512_set1_epi32(0x0F);
  float* out = w + (head_end - i0);
  for (long b = first_full; b < last_full; b++, out += kNf4BlockSize) {
    const __m512 lut = _mm512_mul_ps(_mm512_set1_ps(absmax[b]), values);
    for (int half = 0; half < 2; half++) {
      const __m128i bytes = _mm_loadu_si128((const __m128i*)(blocks[b].packed + 16 * half));
      for (int part = 0; part < 2; part++) {
        const __m128i pairs = part == 0 ? _mm_unpacklo_epi8(bytes, bytes) : _mm_unpackhi_epi8(bytes, bytes);  // each byte twice
        const __m512i codes = _mm512_and_si512(_mm512_srlv_epi32(_mm512_cvtepu8_epi32(pairs), shifts), low4);
        _mm512_storeu_ps(out + 32 * half + 16 * part, _mm512_permutexvar_ps(codes, lut));
      }
    }
  }
  const long tail_start = last_full * kNf4BlockSize;
  if (tail_start < i1) dequantize_nf4(out, blocks, absmax, tail_start, i1);
#else
  dequantize_nf4(w, blocks, absmax, i0, i1);
#endif
}

}  // namespace TBW_NS
}  // namespace tbw
