// General fp32 matrix product with arbitrary strides; every matmul forward and
// backward is one call of it.
//   C (M,N) = [C +] alpha · A (M,K) · B (K,N) [+ bias (N)]
//   A(m,k) = A[m*a_rs + k*a_cs], B(k,n) = B[k*b_rs + n*b_cs], C(m,n) = C[m*ldc + n]
#pragma once
#include <cstddef>
#include <cstdint>

namespace tbw {

// A second, short product summed into the same output while each tile is in cache (LoRA's
// rank-r path): C(m,n) += alpha · keep(m,n) · Σ_k A(m,k)·B(k,n), k < K, strides as in GemmArgs.
// keep is 1, or with drop_p > 0 the inverted-dropout multiplier dropout_scale(drop_seed, m·N + n,
// drop_p) of rng.h: the mask of dropout over a contiguous (M,N) tensor.
struct GemmAddend {
  int K = 0;
  const float* A = nullptr;
  long a_rs = 0, a_cs = 1;
  const float* B = nullptr;
  long b_rs = 0, b_cs = 1;
  float alpha = 1.f;
  float drop_p = 0.f;
  uint64_t drop_seed = 0;
};

struct GemmArgs {
  int M = 0, N = 0, K = 0;
  const float* A = nullptr;
  long a_rs = 0, a_cs = 1;
  const float* B = nullptr;
  long b_rs = 0, b_cs = 1;
  float* C = nullptr;
  long ldc = 0;
  float alpha = 1.f;
  bool accumulate = false;      // C += alpha·A·B instead of C = alpha·A·B
  const float* bias = nullptr;  // (N), added once
  // B already packed by the variant's driver for the whole K in one block (see CpuBackend's
  // frozen weights); null: packed per call.
  const float* b_packed = nullptr;
  // When set, GELU(C) is also written here (same ldc; may be C itself), while the tile is in cache.
  float* gelu_out = nullptr;
  // When set, C ∘= GELU'(gelu_grad_at) (same ldc) once C is final: a gradient taken back through GELU.
  const float* gelu_grad_at = nullptr;
  // When set, added to C after the main product and bias, before GELU (see GemmAddend).
  const GemmAddend* addend = nullptr;
  // When set, a_row_sums[m] += Σ_k A(m,k): a dweight GEMM's A is doutᵀ, so this is dbias, summed
  // from the rows of dout while they are packed.
  float* a_row_sums = nullptr;
};

void sgemm_ref(const GemmArgs& g);     // plain triple loop, double accumulation: the oracle
void sgemm_scalar(const GemmArgs& g);  // packed, 4x8 portable micro-kernel, threaded
void sgemm_avx2(const GemmArgs& g);    // packed, 6x16 FMA micro-kernel, threaded
void sgemm_avx512(const GemmArgs& g);  // packed, 12x32 FMA micro-kernel, threaded

}  // namespace tbw
