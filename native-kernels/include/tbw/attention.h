// Attention shape. Flash attention (tiled, online softmax, backward by
// recomputation, never a (T,T) buffer) is Backend::attention_forward/backward
// on the fast CPU backends; the naive reference that materializes softmax(QKᵀ)
// is tbw::ref::attention_forward/backward (the "ref" backend).
#pragma once

namespace tbw {

struct AttentionShape {
  int B, NH, T, HS;
};

}  // namespace tbw
