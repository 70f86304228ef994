// LayerNorm (a warp per row), embeddings (gather; backward scatter-adds with atomics),
// and the classification/regression losses.
#include "common.cuh"
#include "kernels.cuh"

namespace tbw::cuda {
namespace {

// One warp per row: two passes over the row for mean and variance, as the reference.
__global__ void ln_fwd(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N, int C,
                       float eps) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (row >= N) return;
  const float* x = inp + (long)row * C;
  float s = 0.f;
  for (int i = lane; i < C; i += 32) s += x[i];
  const float m = warp_sum(s) / C;
  float v = 0.f;
  for (int i = lane; i < C; i += 32) v += (x[i] - m) * (x[i] - m);
  const float r = 1.f / sqrtf(warp_sum(v) / C + eps);
  for (int i = lane; i < C; i += 32) out[(long)row * C + i] = (x[i] - m) * r * w[i] + b[i];
  if (lane == 0) mean[row] = m, rstd[row] = r;
}

__global__ void ln_bwd_inp(float* dinp, const float* dout, const float* inp, const float* w, const float* mean,
                           const float* rstd, int N, int C) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (row >= N) return;
  const float *x = inp + (long)row * C, *dy = dout + (long)row * C;
  const float m = mean[row], r = rstd[row];
  float a = 0.f, bsum = 0.f;
  for (int i = lane; i < C; i += 32) {
    const float dn = w[i] * dy[i];
    a += dn;
    bsum += dn * (x[i] - m) * r;
  }
  const float dmean = warp_sum(a) / C, dnorm_mean = warp_sum(bsum) / C;
  for (int i = lane; i < C; i += 32) {
    const float norm = (x[i] - m) * r;
    dinp[(long)row * C + i] += (w[i] * dy[i] - dmean - norm * dnorm_mean) * r;
  }
}

// dweight/dbias: each thread sums one column over a slice of rows.
__global__ void ln_bwd_params(float* dw, float* db, const float* dout, const float* inp, const float* mean, const float* rstd,
                              int N, int C, int rows_per_block) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int n0 = blockIdx.y * rows_per_block, n1 = min(N, n0 + rows_per_block);
  float sw = 0.f, sb = 0.f;
  for (int n = n0; n < n1; n++) {
    const float dy = dout[(long)n * C + c];
    sw += (inp[(long)n * C + c] - mean[n]) * rstd[n] * dy;
    sb += dy;
  }
  atomicAdd(dw + c, sw);
  atomicAdd(db + c, sb);
}

__global__ void emb_fwd(float* out, const int32_t* ids, const int32_t* tt, const float* wte, const int8_t* codes,
                        const float* scale, const float* wpe, const float* wtt, int B, int T, int C) {
  const long total = (long)B * T * C;
  for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total; e += (long)gridDim.x * blockDim.x) {
    const long bt = e / C;
    const int i = e % C, t = bt % T, id = ids[bt];
    const float word = codes ? scale[id] * codes[(long)id * C + i] : wte[(long)id * C + i];
    out[e] = word + wpe[(long)t * C + i] + wtt[(long)tt[bt] * C + i];
  }
}

__global__ void emb_bwd(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids, const int32_t* tt, int B,
                        int T, int C) {
  const long total = (long)B * T * C;
  for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total; e += (long)gridDim.x * blockDim.x) {
    const long bt = e / C;
    const int i = e % C, t = bt % T;
    const float g = dout[e];
    atomicAdd(dwte + (long)ids[bt] * C + i, g);
    atomicAdd(dwpe + (long)t * C + i, g);
    atomicAdd(dwtt + (long)tt[bt] * C + i, g);
  }
}

// One thread per batch row (a handful of classes).
__global__ void ce_fwd(float* probs, float* row_loss, const float* logits, const int32_t* labels, int B, int NC) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= B) return;
  const float* z = logits + (long)b * NC;
  float mx = z[0];
  for (int c = 1; c < NC; c++) mx = fmaxf(mx, z[c]);
  float sum = 0.f;
  for (int c = 0; c < NC; c++) sum += expf(z[c] - mx);
  for (int c = 0; c < NC; c++) probs[(long)b * NC + c] = expf(z[c] - mx) / sum;
  row_loss[b] = -(z[labels[b]] - mx - logf(sum));
}
__global__ void ce_bwd(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) {
  const int e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= B * NC) return;
  const int b = e / NC, c = e % NC;
  dlogits[e] += dloss * (probs[e] - (c == labels[b] ? 1.f : 0.f)) / B;
}
__global__ void mse_fwd(float* row_loss, const float* preds, const float* targets, int B) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < B) row_loss[b] = (preds[b] - targets[b]) * (preds[b] - targets[b]);
}
__global__ void mse_bwd(float* dpreds, const float* preds, const float* targets, int B, float dloss) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < B) dpreds[b] += dloss * 2.f * (preds[b] - targets[b]) / B;
}

}  // namespace

void layernorm_forward(const Ctx& c, float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                       int C, float eps) {
  if (N <= 0) return;
  ln_fwd<<<blocks_for(N, 8), 256, 0, c.stream>>>(out, mean, rstd, inp, w, b, N, C, eps);
  TBW_CUDA_LAUNCHED("ln_fwd");
}

void layernorm_backward(const Ctx& c, float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C) {
  if (N <= 0) return;
  if (C <= 0) return;
  ln_bwd_inp<<<blocks_for(N, 8), 256, 0, c.stream>>>(dinp, dout, inp, w, mean, rstd, N, C);
  TBW_CUDA_LAUNCHED("ln_bwd_inp");
  const int rows = 256;
  ln_bwd_params<<<dim3((C + 127) / 128, (N + rows - 1) / rows), 128, 0, c.stream>>>(dw, db, dout, inp, mean, rstd, N, C, rows);
  TBW_CUDA_LAUNCHED("ln_bwd_params");
}

void embeddings_forward(const Ctx& c, float* out, const int32_t* ids, const int32_t* tt, const float* wte, const int8_t* wte_codes,
                        const float* wte_scale, const float* wpe, const float* wtt, int B, int T, int C) {
  const long n = (long)B * T * C;
  if (n <= 0) return;
  emb_fwd<<<grid_for(n, 256), 256, 0, c.stream>>>(out, ids, tt, wte, wte_codes, wte_scale, wpe, wtt, B, T, C);
  TBW_CUDA_LAUNCHED("emb_fwd");
}

void embeddings_backward(const Ctx& c, float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids,
                         const int32_t* tt, int B, int T, int C) {
  const long n = (long)B * T * C;
  if (n <= 0) return;
  emb_bwd<<<grid_for(n, 256), 256, 0, c.stream>>>(dwte, dwpe, dwtt, dout, ids, tt, B, T, C);
  TBW_CUDA_LAUNCHED("emb_bwd");
}

void crossentropy_forward(const Ctx& c, float* probs, float* row_loss, const float* logits, const int32_t* labels, int B, int NC) {
  if (B <= 0) return;
  ce_fwd<<<blocks_for(B, 128), 128, 0, c.stream>>>(probs, row_loss, logits, labels, B, NC);
  TBW_CUDA_LAUNCHED("ce_fwd");
}
void crossentropy_backward(const Ctx& c, float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) {
  if (B <= 0 || NC <= 0) return;
  ce_bwd<<<blocks_for((long)B * NC, 128), 128, 0, c.stream>>>(dlogits, probs, labels, B, NC, dloss);
  TBW_CUDA_LAUNCHED("ce_bwd");
}
void mse_rows(const Ctx& c, float* row_loss, const float* preds, const float* targets, int B) {
  if (B <= 0) return;
  mse_fwd<<<blocks_for(B, 128), 128, 0, c.stream>>>(row_loss, preds, targets, B);
  TBW_CUDA_LAUNCHED("mse_fwd");
}
void mse_backward(const Ctx& c, float* dpreds, const float* preds, const float* targets, int B, float dloss) {
  if (B <= 0) return;
  mse_bwd<<<blocks_for(B, 128), 128, 0, c.stream>>>(dpreds, preds, targets, B, dloss);
  TBW_CUDA_LAUNCHED("mse_bwd");
}

}  // namespace tbw::cuda
