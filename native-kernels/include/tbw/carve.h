// Hands out consecutive float ranges of one allocation (activation blocks and
// backward workspaces are each allocated once on the backend, then carved).
#pragma once
#include <cstddef>

namespace tbw {

class Carve {
 public:
  explicit Carve(void* base) : p_(static_cast<float*>(base)) {}
  float* take(size_t n) {
    float* out = p_;
    p_ += n;
    return out;
  }

 private:
  float* p_;
};

}  // namespace tbw
