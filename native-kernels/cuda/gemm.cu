// GEMM on CUDA: cuBLAS (loaded at run time) in fp32, or with bf16/fp16 inputs and fp32
// accumulation; without cuBLAS a tiled SIMT kernel (64x64 tiles in shared memory, 4x4
// outputs per thread) that handles any strides, transposes and batch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>

#include "common.cuh"
#include "kernels.cuh"

namespace tbw::cuda {
namespace {

constexpr int BM = 64, BN = 64, BK = 16;

__global__ void gemm_simt(bool ta, bool tb, int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                          const float* __restrict__ B, int ldb, float beta, float* __restrict__ C, int ldc,
                          const float* __restrict__ bias, long long sA, long long sB, long long sC) {
  __shared__ float As[BK][BM + 1], Bs[BK][BN + 1];
  A += blockIdx.z * sA, B += blockIdx.z * sB, C += blockIdx.z * sC;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int e = threadIdx.x; e < BM * BK; e += 256) {
      // A tile: consecutive threads walk the contiguous dimension of the stored matrix
      const int mi = ta ? e % BM : e / BK, ki = ta ? e / BM : e % BK;
      const int m = m0 + mi, k = k0 + ki;
      As[ki][mi] = (m < M && k < K) ? (ta ? A[(long)k * lda + m] : A[(long)m * lda + k]) : 0.f;
      const int ni = tb ? e / BK : e % BN, kj = tb ? e % BK : e / BN;
      const int n = n0 + ni, kb = k0 + kj;
      Bs[kj][ni] = (n < N && kb < K) ? (tb ? B[(long)n * ldb + kb] : B[(long)kb * ldb + n]) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = As[kk][ty * 4 + i], b[i] = Bs[kk][tx * 4 + i];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const int m = m0 + ty * 4 + i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      const int n = n0 + tx * 4 + j;
      if (n >= N) continue;
      float v = alpha * acc[i][j];
      if (beta != 0.f) v += beta * C[(long)m * ldc + n];
      if (bias) v += bias[n];
      C[(long)m * ldc + n] = v;
    }
  }
}

__global__ void add_bias(float* C, const float* bias, int M, int N, int ldc, long long sC) {
  C += blockIdx.z * sC;
  const long total = (long)M * N;
  for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total; e += (long)gridDim.x * blockDim.x)
    C[(e / N) * ldc + e % N] += bias[e % N];
}

// Each thread sums a column over a slice of rows, then adds it atomically.
__global__ void col_sum_kernel(float* out, const float* A, int M, int N, int rows_per_block) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  const int m0 = blockIdx.y * rows_per_block, m1 = min(M, m0 + rows_per_block);
  float s = 0.f;
  for (int m = m0; m < m1; m++) s += A[(long)m * N + n];
  atomicAdd(out + n, s);
}

__global__ void convert_half(uint16_t* out, const float* in, long n, bool bf16) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    if (bf16) {
      __nv_bfloat16 h = __float2bfloat16_rn(in[i]);
      out[i] = *reinterpret_cast<uint16_t*>(&h);
    } else {
      __half h = __float2half_rn(in[i]);
      out[i] = *reinterpret_cast<uint16_t*>(&h);
    }
  }
}

// Elements spanned by a stored matrix of `rows` rows of `cols` with row stride ld, batched.
long long span(int rows, int cols, int ld, int batch, long long stride) {
  return (long long)(batch - 1) * stride + (long long)(rows - 1) * ld + cols;
}

void check_blas(cublasStatus_t st, const char* what) {
  if (st != 0) throw std::runtime_error(std::string("cuBLAS ") + what + " failed with status " + std::to_string(st));
}

}  // namespace

uint16_t* Staging::ensure(cudaStream_t stream, size_t n) {
  if (n <= elems) return ptr;
  TBW_CUDA_CHECK(cudaStreamSynchronize(stream));  // the old buffer may still be read
  if (ptr) TBW_CUDA_CHECK(cudaFree(ptr));
  ptr = nullptr, elems = 0;
  TBW_CUDA_CHECK(cudaMalloc(&ptr, n * sizeof(uint16_t)));
  elems = n;
  return ptr;
}

Staging::~Staging() {
  if (ptr) cudaFree(ptr);
}

void to_half(const Ctx& c, uint16_t* out, const float* inp, long n, bool bf16) {
  convert_half<<<grid_for(n, 256), 256, 0, c.stream>>>(out, inp, n, bf16);
  TBW_CUDA_LAUNCHED("convert_half");
}

void gemm(const Ctx& c, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc, const float* bias, int batch, long long sA, long long sB, long long sC) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if (c.blas && K > 0) {  // K <= 0 (C = beta·C + bias) is left to the SIMT kernel
    // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands.
    check_blas(c.blas->set_stream(c.handle, c.stream), "set stream");
    const int opA = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opB = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (c.precision != Precision::Fp32 && batch == 1) {
      const bool bf16 = c.precision == Precision::Bf16;
      const long long nA = span(ta ? K : M, ta ? M : K, lda, 1, 0), nB = span(tb ? N : K, tb ? K : N, ldb, 1, 0);
      uint16_t* h = c.staging->ensure(c.stream, (size_t)(nA + nB));
      to_half(c, h, A, (long)nA, bf16);
      to_half(c, h + nA, B, (long)nB, bf16);
      const int type = bf16 ? CUDA_R_16BF : CUDA_R_16F;
      check_blas(c.blas->gemm_ex(c.handle, opB, opA, N, M, K, &alpha, h + nA, type, ldb, h, type, lda, &beta, C, CUDA_R_32F, ldc,
                                 CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 "GemmEx");
    } else if (batch == 1) {
      check_blas(c.blas->sgemm(c.handle, opB, opA, N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc), "Sgemm");
    } else {
      check_blas(c.blas->sgemm_strided_batched(c.handle, opB, opA, N, M, K, &alpha, B, ldb, sB, A, lda, sA, &beta, C, ldc, sC, batch),
                 "SgemmStridedBatched");
    }
  } else {
    for (int z0 = 0; z0 < batch; z0 += 65535) {  // gridDim.z is at most 65535
      dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM, std::min(65535, batch - z0));
      gemm_simt<<<grid, 256, 0, c.stream>>>(ta, tb, M, N, K, alpha, A + z0 * sA, lda, B + z0 * sB, ldb, beta, C + z0 * sC, ldc, bias,
                                            sA, sB, sC);
      TBW_CUDA_LAUNCHED("gemm_simt");
    }
    return;  // the SIMT kernel adds the bias itself
  }
  for (int z0 = 0; bias && z0 < batch; z0 += 65535) {
    dim3 grid(grid_for((long)M * N, 256), 1, std::min(65535, batch - z0));
    add_bias<<<grid, 256, 0, c.stream>>>(C + z0 * sC, bias, M, N, ldc, sC);
    TBW_CUDA_LAUNCHED("add_bias");
  }
}

void col_sum(const Ctx& c, float* out, const float* A, int M, int N) {
  if (M <= 0 || N <= 0) return;
  const int rows = 256;
  dim3 grid((N + 127) / 128, (M + rows - 1) / rows);
  col_sum_kernel<<<grid, 128, 0, c.stream>>>(out, A, M, N, rows);
  TBW_CUDA_LAUNCHED("col_sum");
}

}  // namespace tbw::cuda
