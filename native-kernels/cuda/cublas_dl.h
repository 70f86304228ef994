// cuBLAS loaded at run time with dlopen: only the few entry points the backend uses are
// declared here, so no cuBLAS headers or libraries are needed to build. Where it is not
// found, the backend runs its own SIMT GEMM and capabilities() says why.
#pragma once
#include <string>

namespace tbw::cuda {

typedef void* cublasHandle_t;
typedef int cublasStatus_t;  // 0: CUBLAS_STATUS_SUCCESS
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum { CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14 };         // cudaDataType
enum { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77 };  // cublasComputeType_t
enum { CUBLAS_GEMM_DEFAULT = -1 };

struct Cublas {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, void* stream) = nullptr;
  cublasStatus_t (*sgemm)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float* alpha, const float* A,
                          int lda, const float* B, int ldb, const float* beta, float* C, int ldc) = nullptr;
  cublasStatus_t (*sgemm_strided_batched)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float* alpha,
                                          const float* A, int lda, long long strideA, const float* B, int ldb,
                                          long long strideB, const float* beta, float* C, int ldc, long long strideC,
                                          int batch) = nullptr;
  // mixed precision: fp16/bf16 inputs, fp32 accumulation and output
  cublasStatus_t (*gemm_ex)(cublasHandle_t, int transa, int transb, int m, int n, int k, const void* alpha, const void* A,
                            int Atype, int lda, const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype,
                            int ldc, int computeType, int algo) = nullptr;
  std::string path;   // the library loaded
  std::string error;  // why none was loaded
};

// Searched once: $TBW_CUBLAS, the dynamic loader's path, $CUDA_HOME/$CUDA_PATH, /usr/local/cuda,
// and the pip wheel folders (nvidia/cublas/lib in site-packages). Null when none loads.
const Cublas* cublas();
const std::string& cublas_error();  // why cublas() is null

}  // namespace tbw::cuda
