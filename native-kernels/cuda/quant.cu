// Quantized GEMMs on CUDA. int8: activations quantized per token exactly as
// quantize_token_int8 (round half to even, [-127,127]), then exact integer dot products
// from shared-memory tiles, so results match int8_gemm_ref up to the final float products,
// which are rounded the same way. nf4: the weight is dequantized (bitsandbytes' code
// values) for the fp32/bf16 GEMM.
#include "common.cuh"
#include "kernels.cuh"

namespace tbw::cuda {
namespace {

__constant__ float kNf4[16];

// One warp per token row.
__global__ void quantize_tokens(int8_t* xq, float* xs, const float* inp, int N, int C) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (row >= N) return;
  const float* x = inp + (long)row * C;
  float amax = 0.f;
  for (int i = lane; i < C; i += 32) amax = fmaxf(amax, fabsf(x[i]));
  amax = warp_max(amax);
  const float inv = amax > 0.f ? 127.f / amax : 0.f;
  for (int i = lane; i < C; i += 32) xq[(long)row * C + i] = (int8_t)fmaxf(-127.f, fminf(127.f, rintf(__fmul_rn(x[i], inv))));
  if (lane == 0) xs[row] = amax / 127.f;
}

constexpr int QT = 32, QK = 64;  // 32x32 outputs per block, 64 bytes of K per tile

__global__ void int8_gemm_kernel(float* out, const int8_t* xq, const float* xs, const int8_t* codes, const float* scale,
                                 const float* bias, int N, int C, int OC) {
  __shared__ int8_t Xs[QT][QK + 4], Ws[QT][QK + 4];
  const int tx = threadIdx.x % QT, ty = threadIdx.x / QT;  // 32 x 8 threads, 4 rows each
  const int n0 = blockIdx.y * QT, o0 = blockIdx.x * QT;
  int acc[4] = {0, 0, 0, 0};
  for (int k0 = 0; k0 < C; k0 += QK) {
    for (int e = threadIdx.x; e < QT * QK; e += blockDim.x) {
      const int r = e / QK, k = e % QK;
      Xs[r][k] = (n0 + r < N && k0 + k < C) ? xq[(long)(n0 + r) * C + k0 + k] : 0;
      Ws[r][k] = (o0 + r < OC && k0 + k < C) ? codes[(long)(o0 + r) * C + k0 + k] : 0;
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < QK; k++) {
      const int w = Ws[tx][k];
#pragma unroll
      for (int i = 0; i < 4; i++) acc[i] += (int)Xs[ty * 4 + i][k] * w;
    }
    __syncthreads();
  }
  const int o = o0 + tx;
  if (o >= OC) return;
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const int n = n0 + ty * 4 + i;
    if (n < N) out[(long)n * OC + o] = __fadd_rn(__fmul_rn(__fmul_rn(xs[n], scale[o]), (float)acc[i]), bias ? bias[o] : 0.f);
  }
}

__global__ void dequant_int8(float* out, const int8_t* codes, const float* scale, int OC, int C) {
  const long n = (long)OC * C;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
    out[i] = scale[i / C] * codes[i];
}

__global__ void dequant_nf4(float* out, const uint8_t* packed, const float* absmax, long n) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) {
    const long b = i / kNf4BlockSize;
    const int j = (int)(i % kNf4BlockSize);
    const uint8_t byte = packed[b * (kNf4BlockSize / 2) + (j >> 1)];
    out[i] = absmax[b] * kNf4[(j & 1) ? byte & 0x0F : byte >> 4];  // high nibble first (bitsandbytes)
  }
}

}  // namespace

void upload_nf4_values() { TBW_CUDA_CHECK(cudaMemcpyToSymbol(kNf4, kNf4Values, sizeof(kNf4))); }

void int8_gemm(const Ctx& c, float* out, const float* inp, const int8_t* codes, const float* scale, const float* bias, int8_t* xq,
               float* xs, int N, int C, int OC) {
  if (N <= 0 || OC <= 0) return;
  quantize_tokens<<<blocks_for(N, 8), 256, 0, c.stream>>>(xq, xs, inp, N, C);
  TBW_CUDA_LAUNCHED("quantize_tokens");
  int8_gemm_kernel<<<dim3((OC + QT - 1) / QT, (N + QT - 1) / QT), 256, 0, c.stream>>>(out, xq, xs, codes, scale, bias, N, C, OC);
  TBW_CUDA_LAUNCHED("int8_gemm");
}

void dequantize(const Ctx& c, float* out, const QuantWeight& w, int OC, int C) {
  const long n = (long)OC * C;
  if (n <= 0) return;
  if (w.kind == QuantKind::Int8) {
    dequant_int8<<<grid_for(n, 256), 256, 0, c.stream>>>(out, w.codes, w.scale, OC, C);
  } else if (w.kind == QuantKind::Nf4) {
    dequant_nf4<<<grid_for(n, 256), 256, 0, c.stream>>>(out, reinterpret_cast<const uint8_t*>(w.blocks), w.absmax, n);
  } else {
    throw std::runtime_error("dequantize: the weight is not quantized");
  }
  TBW_CUDA_LAUNCHED("dequantize");
}

}  // namespace tbw::cuda
