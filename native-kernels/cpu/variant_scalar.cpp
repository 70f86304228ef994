// The scalar CPU backend (no ISA flags: the portable fallback): GEMM micro-kernel, flash attention and the
// fast ops, compiled together so everything inlines.
#define TBW_NS scalar
#define TBW_VEC_FLOATS 4
#include <cstdlib>
#include <cstring>

#include "gemm/kernel_scalar.h"
#include "backend_impl.h"

namespace tbw {

void sgemm_scalar(const GemmArgs& g) { scalar::Gemm::run(g); }

double fma_peak_gflops_scalar(long iters) { return scalar::fma_peak_gflops(iters); }

Backend* cpu_backend_scalar() {
  static scalar::CpuBackend backend("scalar", int8_gemm_shared_portable);
  return &backend;
}

}  // namespace tbw
