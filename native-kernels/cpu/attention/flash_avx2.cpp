// Flash attention compiled for the avx2 variant (see flash_impl.h).
#define TBW_FLASH_NS flash_avx2
#include "flash_impl.h"

namespace tbw {

void flash_attention_forward_avx2(float* out, float* lse, const float* q, const float* k, const float* v,
                                const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  flash_avx2::forward(out, lse, q, k, v, mask, s, p, seed);
}

void flash_attention_backward_avx2(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                 const float* v, const float* out, const float* lse, const uint8_t* mask,
                                 AttentionShape s, float p, uint64_t seed) {
  flash_avx2::backward(dq, dk, dv, dout, q, k, v, out, lse, mask, s, p, seed);
}

size_t flash_attention_workspace_bytes_avx2(int HS) { return num_threads() * flash_avx2::Workspace::floats(HS) * sizeof(float); }

}  // namespace tbw
