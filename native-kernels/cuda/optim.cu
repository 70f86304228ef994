// Optimizers on CUDA, with the reference's semantics (tbw/ref/optim.h): AdamW, SGD with
// momentum, Adafactor (factored second moments; its reductions in double, on the device,
// with no host round trip), and the sum of squares behind global-norm clipping.
#include "common.cuh"
#include "kernels.cuh"

namespace tbw::cuda {
namespace {

#define TBW_GRID_LOOP(i, n) for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < (n); i += (long)gridDim.x * blockDim.x)

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd,
                             float bc1, float bc2) {
  TBW_GRID_LOOP(i, n) {
    const float gi = g[i];
    const float mi = m[i] = b1 * m[i] + (1.f - b1) * gi;
    const float vi = v[i] = b2 * v[i] + (1.f - b2) * gi * gi;
    float pi = p[i] * (1.f - lr * wd);
    p[i] = pi - lr / bc1 * mi / (sqrtf(vi) / sqrtf(bc2) + eps);
  }
}

__global__ void sgd_kernel(float* p, const float* g, float* buf, long n, float lr, float momentum, float dampening, float wd,
                           bool nesterov, bool first) {
  TBW_GRID_LOOP(i, n) {
    float d = g[i] + wd * p[i];
    if (momentum != 0.f) {
      const float b = buf[i] = first ? d : momentum * buf[i] + (1.f - dampening) * d;
      d = nesterov ? d + momentum * b : b;
    }
    p[i] -= lr * d;
  }
}

__global__ void sum_squares_kernel(double* acc, const float* x, long n) {
  double s = 0.0;
  TBW_GRID_LOOP(i, n) s += (double)x[i] * x[i];
  s = block_sum_d(s);
  if (threadIdx.x == 0) atomicAdd(acc, s);
}

// row[r] = β·row[r] + (1−β)·mean_c(g² + eps1): a block per row
__global__ void af_rows(float* row, const float* g, int rows, int cols, float beta2t, float eps1) {
  const int r = blockIdx.x;
  double s = 0.0;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) s += (double)g[(long)r * cols + c] * g[(long)r * cols + c] + eps1;
  s = block_sum_d(s);
  if (threadIdx.x == 0) row[r] = beta2t * row[r] + (1.f - beta2t) * (float)(s / cols);
}
// col[c]: a thread per column
__global__ void af_cols(float* col, const float* g, int rows, int cols, float beta2t, float eps1) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  double s = 0.0;
  for (int r = 0; r < rows; r++) s += (double)g[(long)r * cols + c] * g[(long)r * cols + c] + eps1;
  col[c] = beta2t * col[c] + (1.f - beta2t) * (float)(s / rows);
}
__global__ void sum_kernel(double* acc, const float* x, long n) {
  double s = 0.0;
  TBW_GRID_LOOP(i, n) s += x[i];
  s = block_sum_d(s);
  if (threadIdx.x == 0) atomicAdd(acc, s);
}
// sums[1] = Σ row; upd = g / sqrt(row/row_mean) / sqrt(col); sums[2] += Σ upd²
__global__ void af_update_factored(float* upd, double* sums, const float* g, const float* row, const float* col, int rows, int cols) {
  const float row_mean = (float)(sums[1] / rows);
  const long n = (long)rows * cols;
  double s = 0.0;
  TBW_GRID_LOOP(i, n) {
    const float u = g[i] / sqrtf(row[i / cols] / row_mean) / sqrtf(col[i % cols]);
    upd[i] = u;
    s += (double)u * u;
  }
  s = block_sum_d(s);
  if (threadIdx.x == 0) atomicAdd(sums + 2, s);
}
__global__ void af_update_vector(float* upd, double* sums, const float* g, float* v, long n, float beta2t, float eps1) {
  double s = 0.0;
  TBW_GRID_LOOP(i, n) {
    const float vi = v[i] = beta2t * v[i] + (1.f - beta2t) * (g[i] * g[i] + eps1);
    const float u = g[i] / sqrtf(vi);
    upd[i] = u;
    s += (double)u * u;
  }
  s = block_sum_d(s);
  if (threadIdx.x == 0) atomicAdd(sums + 2, s);
}
// sums[0] = Σ p² (scale_parameter), sums[2] = Σ upd²
__global__ void af_apply(float* p, float* m, const float* upd, const double* sums, long n, float lr, bool scale_parameter, float eps2,
                         float clip, float beta1, float wd) {
  if (scale_parameter) lr *= fmaxf(eps2, (float)sqrt(sums[0] / n));
  const float denom = fmaxf(1.f, (float)sqrt(sums[2] / n) / clip);
  TBW_GRID_LOOP(i, n) {
    float u = upd[i] / denom * lr;
    if (beta1 > 0.f) u = m[i] = beta1 * m[i] + (1.f - beta1) * u;
    float pi = p[i];
    if (wd != 0.f) pi += pi * (-wd * lr);
    p[i] = pi - u;
  }
}

}  // namespace

void adamw(const Ctx& c, float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h) {
  if (n <= 0) return;
  const float bc1 = 1.f - std::pow(h.beta1, (float)h.step), bc2 = 1.f - std::pow(h.beta2, (float)h.step);
  adamw_kernel<<<grid_for(n, 256), 256, 0, c.stream>>>(p, g, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.weight_decay, bc1, bc2);
  TBW_CUDA_LAUNCHED("adamw");
}

void sgd(const Ctx& c, float* p, const float* g, float* buf, long n, const SgdHyper& h) {
  if (n <= 0) return;
  sgd_kernel<<<grid_for(n, 256), 256, 0, c.stream>>>(p, g, buf, n, h.lr, h.momentum, h.dampening, h.weight_decay, h.nesterov,
                                                     h.step == 1);
  TBW_CUDA_LAUNCHED("sgd");
}

void sum_squares(const Ctx& c, double* acc, const float* x, long n) {
  if (n <= 0) return;
  sum_squares_kernel<<<grid_for(n, 256) < 1024 ? grid_for(n, 256) : 1024, 256, 0, c.stream>>>(acc, x, n);
  TBW_CUDA_LAUNCHED("sum_squares");
}

void adafactor(const Ctx& c, float* p, const float* g, float* row, float* col, float* v, float* m, float* upd, double* sums,
               int rows, int cols, const AdafactorHyper& h) {
  const long n = (long)rows * cols;
  if (n <= 0) return;
  const unsigned grid = grid_for(n, 256) < 1024 ? grid_for(n, 256) : 1024;
  TBW_CUDA_CHECK(cudaMemsetAsync(sums, 0, 3 * sizeof(double), c.stream));
  const float beta2t = 1.f - std::pow((float)h.step, h.decay_rate);
  if (h.scale_parameter) sum_squares(c, sums, p, n);
  if (rows > 1) {
    af_rows<<<rows, 256, 0, c.stream>>>(row, g, rows, cols, beta2t, h.eps1);
    TBW_CUDA_LAUNCHED("af_rows");
    af_cols<<<blocks_for(cols, 128), 128, 0, c.stream>>>(col, g, rows, cols, beta2t, h.eps1);
    TBW_CUDA_LAUNCHED("af_cols");
    sum_kernel<<<grid_for(rows, 256) < 64 ? grid_for(rows, 256) : 64, 256, 0, c.stream>>>(sums + 1, row, rows);
    TBW_CUDA_LAUNCHED("af_row_sum");
    af_update_factored<<<grid, 256, 0, c.stream>>>(upd, sums, g, row, col, rows, cols);
    TBW_CUDA_LAUNCHED("af_update_factored");
  } else {
    af_update_vector<<<grid, 256, 0, c.stream>>>(upd, sums, g, v, n, beta2t, h.eps1);
    TBW_CUDA_LAUNCHED("af_update_vector");
  }
  af_apply<<<grid, 256, 0, c.stream>>>(p, m, upd, sums, n, h.lr, h.scale_parameter, h.eps2, h.clip_threshold, h.beta1, h.weight_decay);
  TBW_CUDA_LAUNCHED("af_apply");
}

}  // namespace tbw::cuda
