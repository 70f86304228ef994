// The scalar CPU backend (no ISA flags: the portable fallback): GEMM micro-kernel, flash attention and the
// fast ops, compiled together so everything inlines.
#define TBW_NS scalar
#include <cstdlib>
#include <cstring>

#include "gemm/kernel_scalar.h"
#include "backend_impl.h"

namespace tbw {

void sgemm_scalar(const GemmArgs& g) { scalar::Gemm::run(g); }

Backend* cpu_backend_scalar() {
  static scalar::CpuBackend backend("scalar");
  return &backend;
}

}  // namespace tbw
