// Elementwise and layout kernels: GELU (erf form), tanh, residual, dropout (the same
// counter-based masks as the CPU, from tbw/rng.h), row copies and head split/merge.
#include "common.cuh"
#include "kernels.cuh"
#include "tbw/rng.h"

namespace tbw::cuda {
namespace {

#define TBW_GRID_LOOP(i, n) for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < (n); i += (long)gridDim.x * blockDim.x)

__global__ void gelu_fwd(float* out, const float* inp, long n) {
  TBW_GRID_LOOP(i, n) { const float x = inp[i]; out[i] = 0.5f * x * erfcf(-x * 0.70710678118654752f); }  // erfc: no cancellation for x << 0
}
__global__ void gelu_bwd(float* dinp, const float* inp, const float* dout, long n) {
  TBW_GRID_LOOP(i, n) {
    const float x = inp[i], cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
    dinp[i] += dout[i] * (cdf + x * 0.3989422804014327f * expf(-0.5f * x * x));
  }
}
__global__ void tanh_fwd(float* out, const float* inp, long n) { TBW_GRID_LOOP(i, n) out[i] = tanhf(inp[i]); }
__global__ void tanh_bwd(float* dinp, const float* out, const float* dout, long n) {
  TBW_GRID_LOOP(i, n) dinp[i] += dout[i] * (1.f - out[i] * out[i]);
}
__global__ void residual_fwd(float* out, const float* a, const float* b, long n) { TBW_GRID_LOOP(i, n) out[i] = a[i] + b[i]; }
__global__ void residual_bwd(float* da, float* db, const float* dout, long n) {
  TBW_GRID_LOOP(i, n) {
    const float d = dout[i];
    da[i] += d;
    db[i] += d;
  }
}
__global__ void dropout_kernel(float* out, const float* inp, long n, float p, uint64_t seed, bool accumulate) {
  TBW_GRID_LOOP(i, n) {
    const float v = inp[i] * (p > 0.f ? dropout_scale(seed, (uint64_t)i, p) : 1.f);
    out[i] = accumulate ? out[i] + v : v;
  }
}
__global__ void scale_kernel(float* x, long n, float s) { TBW_GRID_LOOP(i, n) x[i] *= s; }

__global__ void copy_rows_kernel(float* dst, const float* src, int rows, int cols, long ds, long ss, bool accumulate) {
  TBW_GRID_LOOP(e, (long)rows * cols) {
    const long r = e / cols, c = e % cols;
    float* d = dst + r * ds + c;
    const float v = src[r * ss + c];
    *d = accumulate ? *d + v : v;
  }
}
// merge: (B,NH,T,HS) -> (B,T,NH·HS); split is the inverse. Indexed by the (B,T,C) element.
__global__ void heads_kernel(float* out, const float* inp, int B, int T, int NH, int HS, bool split, bool accumulate) {
  const long total = (long)B * T * NH * HS;
  TBW_GRID_LOOP(e, total) {
    const int d = e % HS, h = (e / HS) % NH;
    const long bt = e / ((long)NH * HS);
    const int t = bt % T, b = bt / T;
    const long headed = (((long)b * NH + h) * T + t) * HS + d;
    float* o = split ? out + headed : out + e;
    const float v = split ? inp[e] : inp[headed];
    *o = accumulate ? *o + v : v;
  }
}

}  // namespace

#define TBW_LAUNCH(kernel, n, ...)                                                 \
  do {                                                                             \
    if ((n) > 0) {                                                                 \
      kernel<<<grid_for((n), 256), 256, 0, c.stream>>>(__VA_ARGS__);               \
      TBW_CUDA_LAUNCHED(#kernel);                                                  \
    }                                                                              \
  } while (0)

void gelu_forward(const Ctx& c, float* out, const float* inp, long n) { TBW_LAUNCH(gelu_fwd, n, out, inp, n); }
void gelu_backward(const Ctx& c, float* dinp, const float* inp, const float* dout, long n) { TBW_LAUNCH(gelu_bwd, n, dinp, inp, dout, n); }
void tanh_forward(const Ctx& c, float* out, const float* inp, long n) { TBW_LAUNCH(tanh_fwd, n, out, inp, n); }
void tanh_backward(const Ctx& c, float* dinp, const float* out, const float* dout, long n) { TBW_LAUNCH(tanh_bwd, n, dinp, out, dout, n); }
void residual_forward(const Ctx& c, float* out, const float* a, const float* b, long n) { TBW_LAUNCH(residual_fwd, n, out, a, b, n); }
void residual_backward(const Ctx& c, float* da, float* db, const float* dout, long n) { TBW_LAUNCH(residual_bwd, n, da, db, dout, n); }
void dropout(const Ctx& c, float* out, const float* inp, long n, float p, uint64_t seed, bool accumulate) {
  TBW_LAUNCH(dropout_kernel, n, out, inp, n, p, seed, accumulate);
}
void scale_inplace(const Ctx& c, float* x, long n, float s) { TBW_LAUNCH(scale_kernel, n, x, n, s); }
void copy_rows(const Ctx& c, float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) {
  TBW_LAUNCH(copy_rows_kernel, (long)rows * cols, dst, src, rows, cols, dst_stride, src_stride, accumulate);
}
void split_heads(const Ctx& c, float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) {
  TBW_LAUNCH(heads_kernel, (long)B * T * NH * HS, out, inp, B, T, NH, HS, true, accumulate);
}
void merge_heads(const Ctx& c, float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) {
  TBW_LAUNCH(heads_kernel, (long)B * T * NH * HS, out, inp, B, T, NH, HS, false, accumulate);
}

}  // namespace tbw::cuda
