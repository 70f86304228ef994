// Flash attention (tiled, online softmax, backward by recomputation). It never
// allocates a (T,T) buffer: per-thread tiles only. The naive reference that
// materializes softmax(QKᵀ) is tbw::ref::attention_forward/backward.
//   q, k, v, out, dout, dq, dk, dv: (B,NH,T,HS); lse: (B,NH,T); mask: (B,T), nonzero = keep key, or null
//   p: attention-probability dropout, with the counter-based mask of ref::att_index
#pragma once
#include <cstddef>
#include <cstdint>

namespace tbw {

struct AttentionShape {
  int B, NH, T, HS;
};

#define TBW_FLASH_DECLARE(SUFFIX)                                                                                   \
  void flash_attention_forward_##SUFFIX(float* out, float* lse, const float* q, const float* k, const float* v,     \
                                        const uint8_t* mask, AttentionShape s, float p, uint64_t seed);             \
  void flash_attention_backward_##SUFFIX(float* dq, float* dk, float* dv, const float* dout, const float* q,        \
                                         const float* k, const float* v, const float* out, const float* lse,        \
                                         const uint8_t* mask, AttentionShape s, float p, uint64_t seed);            \
  size_t flash_attention_workspace_bytes_##SUFFIX(int HS);

TBW_FLASH_DECLARE(scalar)
TBW_FLASH_DECLARE(avx2)
TBW_FLASH_DECLARE(avx512)
#undef TBW_FLASH_DECLARE

}  // namespace tbw
