// Attention shape. Flash attention (tiled, online softmax, backward by
// recomputation, never a (T,T) buffer) is Backend::attention_forward/backward
// on the fast CPU backends; the naive reference that materializes softmax(QKᵀ)
// is tbw::ref::attention_forward/backward (the "ref" backend).
#pragma once
#include <stdexcept>
#include <string>

namespace tbw {

struct AttentionShape {
  int B, NH, T, HS;
  // q, k, v, out and their gradients in the projections' token-major layout (B,T,NH·HS), head h at
  // columns [h·HS, h·HS+HS), instead of (B,NH,T,HS): no head split/merge copies. Only where
  // Backend::flash_token_major() says so; lse stays (B,NH,T).
  bool token_major = false;

  long row_stride() const { return token_major ? (long)NH * HS : HS; }
  // offset of row 0 of batch b, head h
  long head_offset(int b, int h) const { return token_major ? (long)b * T * NH * HS + (long)h * HS : ((long)b * NH + h) * T * HS; }
};

// Attention kernels that read only (B,NH,T,HS) call this first.
inline void require_head_major(const AttentionShape& s, const char* kernel) {
  if (s.token_major) throw std::invalid_argument(std::string(kernel) + " needs q, k, v in (B,NH,T,HS): split the heads first");
}

}  // namespace tbw
