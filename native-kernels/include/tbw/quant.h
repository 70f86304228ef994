// Quantized weight formats (fixed byte layouts) and their scalar reference
// quantize/dequantize routines, plus the int8 GEMM variants.
//
//   int8: per-output-channel symmetric. codes (OC,C) int8 in [-127,127], scale (OC) float;
//         w[o][c] ≈ scale[o]·codes[o][c], scale = max|w[o]|/127.
//   nf4:  QLoRA's NormalFloat4 (bitsandbytes' code values). The flattened weight is cut into
//         blocks of 64 values; each block keeps absmax = max|w| and 32 bytes of 4-bit indices
//         into kNf4Values, the first value of a pair in the high nibble (bitsandbytes' order);
//         w ≈ absmax·kNf4Values[index].
//   double quantization of nf4 absmaxes (QLoRA): absmax ≈ offset + dq_scale[i/256]·code[i],
//         code int8, offset = mean absmax, dq_scale = max|absmax - offset| / 127 per 256 absmaxes.
//   fp16 (IEEE half) and bf16 (top half of fp32, round to nearest even) storage.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tbw {

constexpr int kNf4BlockSize = 64;     // weights per absmax
constexpr int kAbsmaxDqBlock = 256;   // absmaxes per double-quantization scale
extern const float kNf4Values[16];    // ascending, from -1 to 1, with an exact 0 at index 7

struct Nf4Block {
  uint8_t packed[kNf4BlockSize / 2];
};
static_assert(sizeof(Nf4Block) == 32, "an nf4 block is 32 bytes of codes (its absmax is stored apart)");

inline long nf4_blocks(long n) { return (n + kNf4BlockSize - 1) / kNf4BlockSize; }
inline long absmax_dq_blocks(long blocks) { return (blocks + kAbsmaxDqBlock - 1) / kAbsmaxDqBlock; }

enum class QuantKind : int { None = 0, Int8 = 1, Nf4 = 2 };

// A frozen (OC,C) weight in one of the formats above.
struct QuantWeight {
  QuantKind kind = QuantKind::None;
  const int8_t* codes = nullptr;     // int8: (OC,C)
  const float* scale = nullptr;      // int8: (OC)
  const Nf4Block* blocks = nullptr;  // nf4: nf4_blocks(OC*C)
  const float* absmax = nullptr;     // nf4: one per block (double quantization already undone)
};

// ---- reference quantize / dequantize ----------------------------------------------------------
// w (rows,cols) -> codes (rows,cols), scale (rows)
void quantize_int8_rows(int8_t* codes, float* scale, const float* w, int rows, int cols);
void dequantize_int8_rows(float* w, const int8_t* codes, const float* scale, int rows, int cols);
// w (n) -> blocks (nf4_blocks(n)), absmax (nf4_blocks(n)); the last block is zero padded
void quantize_nf4(Nf4Block* blocks, float* absmax, const float* w, long n);
// values [i0, i1) of the flattened weight -> w (i1-i0)
void dequantize_nf4(float* w, const Nf4Block* blocks, const float* absmax, long i0, long i1);
// absmax (nb) -> codes (nb), scales (absmax_dq_blocks(nb)), *offset
void quantize_absmax(int8_t* codes, float* scales, float* offset, const float* absmax, long nb);
void dequantize_absmax(float* absmax, const int8_t* codes, const float* scales, float offset, long nb);

uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t b);

// Dynamic per-token activation quantization, shared by every int8 GEMM variant so that they agree
// exactly: q = round(x·127/max|x|) in [-127,127], zero padded to cpad; returns the scale
// max|x|/127 and the sum of the codes.
float quantize_token_int8(int8_t* q, int32_t* qsum, const float* x, int C, int cpad);

// ---- int8 GEMM: inp (N,C) · codes (OC,C)ᵀ -> out (N,OC) ------------------------------------------
// out[n][o] = xscale[n]·scale[o]·Σ q[n][c]·codes[o][c] + bias[o], activations quantized per token.
// The integer sums are exact, so every variant matches the reference up to the final float products.
void int8_gemm_ref(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC);
// frozen != 0: the codes will not change while this token is passed, so the packed panels are kept.
// gelu_out: also write GELU(out) there (may be out itself), each block while it is in cache.
void int8_gemm_portable(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C,
                        int OC, uint64_t frozen = 0, float* gelu_out = nullptr);
void int8_gemm_avx2(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC,
                    uint64_t frozen = 0, float* gelu_out = nullptr);
void int8_gemm_vnni(float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int N, int C, int OC,
                    uint64_t frozen = 0, float* gelu_out = nullptr);
bool int8_vnni_supported();

// n weights on one input, each part (N,OC) = inp · codesᵀ + bias (and GELU into gelu_out when set):
// query, key and value share the per-token quantization of their input.
struct Int8Part {
  float* out;
  const int8_t* codes;
  const float* scale;
  const float* bias;
  float* gelu_out = nullptr;
};
void int8_gemm_shared_portable(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen);
void int8_gemm_shared_avx2(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen);
void int8_gemm_shared_vnni(const Int8Part* parts, int n, const float* inp, int N, int C, int OC, uint64_t frozen);  // AVX-512 VNNI + BW on this CPU and in this build

}  // namespace tbw
