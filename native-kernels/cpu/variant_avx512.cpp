// The avx512 CPU backend (-mavx512f): GEMM micro-kernel, flash attention and the
// fast ops, compiled together so everything inlines.
#define TBW_NS avx512
#define TBW_VEC_FLOATS 16
#include <cstdlib>
#include <cstring>

#include "gemm/kernel_avx512.h"
#include "backend_impl.h"

namespace tbw {

void sgemm_avx512(const GemmArgs& g) { avx512::Gemm::run(g); }

double fma_peak_gflops_avx512(long iters) { return avx512::fma_peak_gflops(iters); }

Backend* cpu_backend_avx512() {
  static avx512::CpuBackend backend("avx512", int8_vnni_supported() ? int8_gemm_shared_vnni : int8_gemm_shared_avx2);
  return &backend;
}

}  // namespace tbw
