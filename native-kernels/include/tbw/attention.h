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

// The key and value linears of a [CLS]-only last layer, folded into its attention
// (Backend::attention_cls_kv_*): k_j = k_w·x_j + k_b + scale·k_B·hk_j and v_j likewise, where
// hk, hv (B·T,r) are LoRA's down-projections dropout(x)·Aᵀ, null for a linear without an adapter.
struct ClsKV {
  const float *k_w, *k_b, *v_w, *v_b;  // (C,C), (C); a bias may be null
  const float *k_B = nullptr, *hk = nullptr, *v_B = nullptr, *hv = nullptr;  // (C,r), (B·T,r)
  int r = 0;
  float scale = 1.f;
};

// Their parameter gradients, accumulated (+=); null: frozen, or no adapter.
struct ClsKVGrads {
  float *k_w = nullptr, *k_b = nullptr, *v_w = nullptr, *v_b = nullptr, *k_B = nullptr, *v_B = nullptr;
};

// Attention kernels that read only (B,NH,T,HS) call this first.
inline void require_head_major(const AttentionShape& s, const char* kernel) {
  if (s.token_major) throw std::invalid_argument(std::string(kernel) + " needs q, k, v in (B,NH,T,HS): split the heads first");
}

}  // namespace tbw
