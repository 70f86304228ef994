// Scalar reference dot product: the oracle every fast variant is tested against.
#include "tbw_kernels.h"

namespace tbw {

// a (n), b (n) -> sum_i a[i]*b[i], accumulated in double
float dot_ref(const float* a, const float* b, size_t n) {
  double acc = 0.0;
  for (size_t i = 0; i < n; i++) acc += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(acc);
}

}  // namespace tbw
