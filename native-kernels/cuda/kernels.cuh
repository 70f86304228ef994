// Host-side launchers of the CUDA kernels, one group per .cu file. All run on the
// stream in Ctx and take device pointers; shapes follow tbw/backend.h.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cublas_dl.h"
#include "tbw/attention.h"
#include "tbw/optim_hyper.h"
#include "tbw/quant.h"

namespace tbw::cuda {

enum class Precision { Fp32, Bf16, Fp16 };  // GEMM inputs; accumulation is always fp32

// fp16/bf16 copies of GEMM inputs for mixed precision, grown on demand.
struct Staging {
  uint16_t* ptr = nullptr;
  size_t elems = 0;
  uint16_t* ensure(cudaStream_t stream, size_t n);
  ~Staging();
};

struct Ctx {
  cudaStream_t stream = nullptr;
  const Cublas* blas = nullptr;  // null: the SIMT fallback GEMM
  cublasHandle_t handle = nullptr;
  Precision precision = Precision::Fp32;  // Bf16/Fp16 only with cuBLAS (tensor cores)
  Staging* staging = nullptr;
};

// ---- gemm.cu ----------------------------------------------------------------------------------
// Row-major C (M,N) = alpha·op(A)·op(B) + beta·C, then += bias[n] when bias is given.
// op(A) is (M,K): A stored (M,K) with row stride lda, or (K,M) when ta. op(B) is (K,N): B stored
// (K,N), or (N,K) when tb. batch > 1 repeats it with element strides sA, sB, sC.
void gemm(const Ctx& c, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc, const float* bias = nullptr, int batch = 1, long long sA = 0, long long sB = 0,
          long long sC = 0);
// out[n] += Σ_m A[m][n]  (bias gradients)
void col_sum(const Ctx& c, float* out, const float* A, int M, int N);

// ---- elementwise.cu ---------------------------------------------------------------------------
void gelu_forward(const Ctx& c, float* out, const float* inp, long n);
void gelu_backward(const Ctx& c, float* dinp, const float* inp, const float* dout, long n);
void tanh_forward(const Ctx& c, float* out, const float* inp, long n);
void tanh_backward(const Ctx& c, float* dinp, const float* out, const float* dout, long n);
void residual_forward(const Ctx& c, float* out, const float* a, const float* b, long n);
void residual_backward(const Ctx& c, float* da, float* db, const float* dout, long n);
// out = inp·mask (p > 0) or a copy; accumulate: out += instead
void dropout(const Ctx& c, float* out, const float* inp, long n, float p, uint64_t seed, bool accumulate);
void copy_rows(const Ctx& c, float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate);
void split_heads(const Ctx& c, float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate);
void merge_heads(const Ctx& c, float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate);
void scale_inplace(const Ctx& c, float* x, long n, float s);
void to_half(const Ctx& c, uint16_t* out, const float* inp, long n, bool bf16);

// ---- norm_embed_loss.cu -----------------------------------------------------------------------
void layernorm_forward(const Ctx& c, float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                       int C, float eps);
void layernorm_backward(const Ctx& c, float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C);
void embeddings_forward(const Ctx& c, float* out, const int32_t* ids, const int32_t* tt, const float* wte, const int8_t* wte_codes,
                        const float* wte_scale, const float* wpe, const float* wtt, int B, int T, int C);
void embeddings_backward(const Ctx& c, float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids,
                         const int32_t* tt, int B, int T, int C);
// per-row losses (B) into row_loss; the caller sums them on the host
void crossentropy_forward(const Ctx& c, float* probs, float* row_loss, const float* logits, const int32_t* labels, int B, int NC);
void crossentropy_backward(const Ctx& c, float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss);
void mse_rows(const Ctx& c, float* row_loss, const float* preds, const float* targets, int B);
void mse_backward(const Ctx& c, float* dpreds, const float* preds, const float* targets, int B, float dloss);

// ---- attention.cu -----------------------------------------------------------------------------
// Flash: tiles of K/V (forward, dq) or Q/dO (dk/dv) in shared memory, online softmax, no (T,T)
// buffer. rowdot (B,NH,T) is backward workspace: rowsum(dout·out).
void flash_forward(const Ctx& c, float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                   AttentionShape s, float p, uint64_t seed);
void flash_backward(const Ctx& c, float* dq, float* dk, float* dv, float* rowdot, const float* dout, const float* q,
                    const float* k, const float* v, const float* out, const float* lse, const uint8_t* mask, AttentionShape s,
                    float p, uint64_t seed);
// Naive: batched GEMMs around a (B,NH,T,T) softmax; work (B,NH,T,T) and, with dropout, work2 (same).
void naive_forward(const Ctx& c, float* out, float* lse, float* att, float* work, const float* q, const float* k, const float* v,
                   const uint8_t* mask, AttentionShape s, float p, uint64_t seed);
void naive_backward(const Ctx& c, float* dq, float* dk, float* dv, float* work, float* work2, const float* dout, const float* q,
                    const float* k, const float* v, const float* att, AttentionShape s, float p, uint64_t seed);

// ---- optim.cu ---------------------------------------------------------------------------------
void adamw(const Ctx& c, float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h);
void sgd(const Ctx& c, float* p, const float* g, float* buf, long n, const SgdHyper& h);
// sum of squares of x (n) added to *acc (device double)
void sum_squares(const Ctx& c, double* acc, const float* x, long n);
// Adafactor in steps; work holds (rows·cols) floats of update and 3 doubles.
void adafactor(const Ctx& c, float* p, const float* g, float* row, float* col, float* v, float* m, float* upd, double* sums,
               int rows, int cols, const AdafactorHyper& h);

// ---- quant.cu ---------------------------------------------------------------------------------
// out = int8 GEMM with per-token activations (as int8_gemm_ref); xq (N·C) int8 and xs (N) floats of workspace
void int8_gemm(const Ctx& c, float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int8_t* xq,
               float* xs, int N, int C, int OC);
void dequantize(const Ctx& c, float* out, const QuantWeight& w, int OC, int C);
void upload_nf4_values();  // kNf4Values into the current device's constant memory

}  // namespace tbw::cuda
