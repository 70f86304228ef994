// Flash attention compiled for the avx512 variant (see flash_impl.h).
#define TBW_FLASH_NS flash_avx512
#include "flash_impl.h"

namespace tbw {

void flash_attention_forward_avx512(float* out, float* lse, const float* q, const float* k, const float* v,
                                const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  flash_avx512::forward(out, lse, q, k, v, mask, s, p, seed);
}

void flash_attention_backward_avx512(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                 const float* v, const float* out, const float* lse, const uint8_t* mask,
                                 AttentionShape s, float p, uint64_t seed) {
  flash_avx512::backward(dq, dk, dv, dout, q, k, v, out, lse, mask, s, p, seed);
}

size_t flash_attention_workspace_bytes_avx512(int HS) { return num_threads() * flash_avx512::Workspace::floats(HS) * sizeof(float); }

}  // namespace tbw
