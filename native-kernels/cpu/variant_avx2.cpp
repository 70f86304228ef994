// The avx2 CPU backend (-mavx2 -mfma): GEMM micro-kernel, flash attention and the
// fast ops, compiled together so everything inlines.
#define TBW_NS avx2
#define TBW_VEC_FLOATS 8
#include <cstdlib>
#include <cstring>

#include "gemm/kernel_avx2.h"
#include "backend_impl.h"

namespace tbw {

void sgemm_avx2(const GemmArgs& g) { avx2::Gemm::run(g); }

double fma_peak_gflops_avx2(long iters) { return avx2::fma_peak_gflops(iters); }

Backend* cpu_backend_avx2() {
  static avx2::CpuBackend backend("avx2", int8_gemm_shared_avx2);
  return &backend;
}

}  // namespace tbw
