// The avx2 CPU backend (-mavx2 -mfma): GEMM micro-kernel, flash attention and the
// fast ops, compiled together so everything inlines.
#define TBW_NS avx2
#include <cstdlib>
#include <cstring>

#include "gemm/kernel_avx2.h"
#include "backend_impl.h"

namespace tbw {

void sgemm_avx2(const GemmArgs& g) { avx2::Gemm::run(g); }

Backend* cpu_backend_avx2() {
  static avx2::CpuBackend backend("avx2");
  return &backend;
}

}  // namespace tbw
