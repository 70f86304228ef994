// Attention on CUDA.
// Flash: a thread per query row (forward, dq) or key row (dk/dv); tiles of the other side
// in shared memory; online softmax in the forward; the backward recomputes probabilities
// from the saved log-sum-exp, so nothing of size (T,T) is ever stored. Head sizes up to 64
// (26 and 64 are the cases that matter) through a padded register width D of 32 or 64.
// Naive: batched GEMMs around a materialized softmax, the "flash off" side.
#include "common.cuh"
#include "kernels.cuh"
#include "tbw/ref/attention.h"
#include "tbw/rng.h"

namespace tbw::cuda {
namespace {

constexpr int FQ = 64;  // query rows per block (forward, dq)
constexpr int FK = 32;  // key rows per shared tile (forward, dq)
constexpr int BKR = 64; // key rows per block (dk/dv)
constexpr int BQT = 32; // query rows per shared tile (dk/dv)

__device__ inline float keep_of(uint64_t seed, int b, int h, int i, int j, int NH, int T, float p) {
  return p > 0.f ? dropout_scale(seed, ref::att_index(b, h, i, j, NH, T), p) : 1.f;
}

// Keys [j0, j0+FK) of one head into shared memory (zero padded to D) with their mask bits,
// loaded by the FQ threads of the block; ends with a barrier.
template <int D>
__device__ inline void load_key_tile(float (*Ks)[D], float (*Vs)[D], bool* on, const float* k, const float* v,
                                     const uint8_t* mask_b, int j0, int T, int HS) {
  for (int e = threadIdx.x; e < FK * D; e += FQ) {
    const int jj = e / D, d = e % D, j = j0 + jj;
    const bool in = j < T && d < HS;
    Ks[jj][d] = in ? k[(long)j * HS + d] : 0.f;
    Vs[jj][d] = in ? v[(long)j * HS + d] : 0.f;
  }
  for (int jj = threadIdx.x; jj < FK; jj += FQ) on[jj] = j0 + jj < T && (!mask_b || mask_b[j0 + jj]);
  __syncthreads();
}

template <int D>
__global__ void flash_fwd(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask, int NH,
                          int T, int HS, float scale, float p, uint64_t seed) {
  __shared__ float Ks[FK][D], Vs[FK][D];
  __shared__ bool on[FK];
  const int bh = blockIdx.x, b = bh / NH, h = bh % NH, i = blockIdx.y * FQ + threadIdx.x;
  const bool active = i < T;
  const long base = (long)bh * T * HS;
  float qi[D], o[D];
#pragma unroll
  for (int d = 0; d < D; d++) qi[d] = (active && d < HS) ? q[base + (long)i * HS + d] * scale : 0.f, o[d] = 0.f;
  float m = -INFINITY, l = 0.f;
  for (int j0 = 0; j0 < T; j0 += FK) {
    load_key_tile<D>(Ks, Vs, on, k + base, v + base, mask ? mask + (long)b * T : nullptr, j0, T, HS);
    if (active) {
      float s[FK], tmax = -INFINITY;
#pragma unroll
      for (int jj = 0; jj < FK; jj++) {
        float acc = 0.f;
#pragma unroll
        for (int d = 0; d < D; d++) acc = fmaf(qi[d], Ks[jj][d], acc);
        s[jj] = on[jj] ? acc : -INFINITY;
        tmax = fmaxf(tmax, s[jj]);
      }
      if (tmax > -INFINITY) {
        const float mnew = fmaxf(m, tmax), corr = expf(m - mnew);  // m = -inf gives 0
        l *= corr;
#pragma unroll
        for (int d = 0; d < D; d++) o[d] *= corr;
#pragma unroll
        for (int jj = 0; jj < FK; jj++) {
          if (!on[jj]) continue;
          const float pj = expf(s[jj] - mnew);
          l += pj;
          const float w = pj * keep_of(seed, b, h, i, j0 + jj, NH, T, p);
#pragma unroll
          for (int d = 0; d < D; d++) o[d] = fmaf(w, Vs[jj][d], o[d]);
        }
        m = mnew;
      }
    }
    __syncthreads();
  }
  if (!active) return;
  const bool empty = m == -INFINITY;  // every key padded: zero output, lse = -inf
#pragma unroll
  for (int d = 0; d < D; d++)
    if (d < HS) out[base + (long)i * HS + d] = empty ? 0.f : o[d] / l;
  lse[(long)bh * T + i] = empty ? -INFINITY : m + logf(l);
}

// rowdot[bh,i] = Σ_d dout·out: the Σ_j P·dP term of the softmax backward.
__global__ void row_dot(float* rowdot, const float* dout, const float* out, long rows, int HS) {
  for (long r = blockIdx.x * (long)blockDim.x + threadIdx.x; r < rows; r += (long)gridDim.x * blockDim.x) {
    float s = 0.f;
    for (int d = 0; d < HS; d++) s = fmaf(dout[r * HS + d], out[r * HS + d], s);
    rowdot[r] = s;
  }
}

template <int D>
__global__ void flash_bwd_dq(float* dq, const float* q, const float* k, const float* v, const float* dout, const float* lse,
                             const float* rowdot, const uint8_t* mask, int NH, int T, int HS, float scale, float p,
                             uint64_t seed) {
  __shared__ float Ks[FK][D], Vs[FK][D];
  __shared__ bool on[FK];
  const int bh = blockIdx.x, b = bh / NH, h = bh % NH, i = blockIdx.y * FQ + threadIdx.x;
  const long base = (long)bh * T * HS;
  const float L = i < T ? lse[(long)bh * T + i] : -INFINITY, Di = i < T ? rowdot[(long)bh * T + i] : 0.f;
  const bool active = i < T && L > -INFINITY;
  float qi[D], gi[D], acc[D];
#pragma unroll
  for (int d = 0; d < D; d++) {
    const bool in = active && d < HS;
    qi[d] = in ? q[base + (long)i * HS + d] : 0.f;
    gi[d] = in ? dout[base + (long)i * HS + d] : 0.f;
    acc[d] = 0.f;
  }
  for (int j0 = 0; j0 < T; j0 += FK) {
    load_key_tile<D>(Ks, Vs, on, k + base, v + base, mask ? mask + (long)b * T : nullptr, j0, T, HS);
    if (active) {
      for (int jj = 0; jj < FK; jj++) {
        if (!on[jj]) continue;
        float s = 0.f, dp = 0.f;
#pragma unroll
        for (int d = 0; d < D; d++) s = fmaf(qi[d], Ks[jj][d], s), dp = fmaf(gi[d], Vs[jj][d], dp);
        const float pij = expf(s * scale - L);
        const float ds = pij * (dp * keep_of(seed, b, h, i, j0 + jj, NH, T, p) - Di) * scale;
#pragma unroll
        for (int d = 0; d < D; d++) acc[d] = fmaf(ds, Ks[jj][d], acc[d]);
      }
    }
    __syncthreads();
  }
  if (!active) return;
#pragma unroll
  for (int d = 0; d < D; d++)
    if (d < HS) dq[base + (long)i * HS + d] += acc[d];
}

template <int D>
__global__ void flash_bwd_dkv(float* dk, float* dv, const float* q, const float* k, const float* v, const float* dout,
                              const float* lse, const float* rowdot, const uint8_t* mask, int NH, int T, int HS, float scale,
                              float p, uint64_t seed) {
  __shared__ float Qs[BQT][D], Gs[BQT][D], Ls[BQT], Ds[BQT];
  const int bh = blockIdx.x, b = bh / NH, h = bh % NH, j = blockIdx.y * BKR + threadIdx.x;
  const long base = (long)bh * T * HS;
  const bool active = j < T && (!mask || mask[(long)b * T + j]);  // a padded key gets no gradient
  float kj[D], vj[D], dkj[D], dvj[D];
#pragma unroll
  for (int d = 0; d < D; d++) {
    const bool in = active && d < HS;
    kj[d] = in ? k[base + (long)j * HS + d] : 0.f;
    vj[d] = in ? v[base + (long)j * HS + d] : 0.f;
    dkj[d] = dvj[d] = 0.f;
  }
  for (int i0 = 0; i0 < T; i0 += BQT) {
    for (int e = threadIdx.x; e < BQT * D; e += BKR) {
      const int ii = e / D, d = e % D, i = i0 + ii;
      const bool in = i < T && d < HS;
      Qs[ii][d] = in ? q[base + (long)i * HS + d] : 0.f;
      Gs[ii][d] = in ? dout[base + (long)i * HS + d] : 0.f;
    }
    for (int ii = threadIdx.x; ii < BQT; ii += BKR) {
      const int i = i0 + ii;
      Ls[ii] = i < T ? lse[(long)bh * T + i] : -INFINITY;
      Ds[ii] = i < T ? rowdot[(long)bh * T + i] : 0.f;
    }
    __syncthreads();
    if (active) {
      for (int ii = 0; ii < BQT; ii++) {
        if (Ls[ii] == -INFINITY) continue;  // a padding query row, or one whose keys are all padded
        float s = 0.f, dp = 0.f;
#pragma unroll
        for (int d = 0; d < D; d++) s = fmaf(Qs[ii][d], kj[d], s), dp = fmaf(Gs[ii][d], vj[d], dp);
        const float pij = expf(s * scale - Ls[ii]), keep = keep_of(seed, b, h, i0 + ii, j, NH, T, p);
        const float ds = pij * (dp * keep - Ds[ii]) * scale, pk = pij * keep;
#pragma unroll
        for (int d = 0; d < D; d++) dvj[d] = fmaf(pk, Gs[ii][d], dvj[d]), dkj[d] = fmaf(ds, Qs[ii][d], dkj[d]);
      }
    }
    __syncthreads();
  }
  if (!active) return;
#pragma unroll
  for (int d = 0; d < D; d++)
    if (d < HS) dk[base + (long)j * HS + d] += dkj[d], dv[base + (long)j * HS + d] += dvj[d];
}

// Masked softmax of one score row per block, in place; lse per row.
__global__ void softmax_rows(float* att, float* lse, const uint8_t* mask, int NH, int T) {
  const long row = blockIdx.x;  // (b, h, i)
  const int b = (int)(row / ((long)NH * T));
  float* a = att + row * T;
  float mx = -INFINITY;
  for (int j = threadIdx.x; j < T; j += blockDim.x) {
    if (mask && !mask[(long)b * T + j]) a[j] = -INFINITY;
    mx = fmaxf(mx, a[j]);
  }
  mx = block_max(mx);
  if (mx == -INFINITY) {  // every key padded
    for (int j = threadIdx.x; j < T; j += blockDim.x) a[j] = 0.f;
    if (threadIdx.x == 0) lse[row] = -INFINITY;
    return;
  }
  float sum = 0.f;
  for (int j = threadIdx.x; j < T; j += blockDim.x) sum += (a[j] = expf(a[j] - mx));
  sum = block_sum(sum);
  for (int j = threadIdx.x; j < T; j += blockDim.x) a[j] /= sum;
  if (threadIdx.x == 0) lse[row] = mx + logf(sum);
}

// work = dP (dout·Vᵀ) in, dS out: dS = P ⊙ (dP·keep − Σ_j P·dP·keep)·scale. The (B,NH,T,T) flat
// index of (b,h,i,j) is att_index(b,h,i,j), so the dropout masks match the forward's.
__global__ void softmax_rows_backward(float* work, const float* att, int T, float scale, float p, uint64_t seed) {
  const long row = blockIdx.x;
  const float* a = att + row * T;
  float* w = work + row * T;
  float dot = 0.f;
  for (int j = threadIdx.x; j < T; j += blockDim.x) {
    const float g = w[j] * (p > 0.f ? dropout_scale(seed, (uint64_t)(row * T + j), p) : 1.f);
    w[j] = g;
    dot += a[j] * g;
  }
  dot = block_sum(dot);
  for (int j = threadIdx.x; j < T; j += blockDim.x) w[j] = a[j] * (w[j] - dot) * scale;
}

template <int D>
void launch_flash(const Ctx& c, bool forward, float* out, float* lse, float* dq, float* dk, float* dv, const float* rowdot,
                  const float* dout, const float* q, const float* k, const float* v, const uint8_t* mask, AttentionShape s,
                  float scale, float p, uint64_t seed) {
  const int BH = s.B * s.NH;
  if (forward) {
    flash_fwd<D><<<dim3(BH, (s.T + FQ - 1) / FQ), FQ, 0, c.stream>>>(out, lse, q, k, v, mask, s.NH, s.T, s.HS, scale, p, seed);
    TBW_CUDA_LAUNCHED("flash_fwd");
    return;
  }
  flash_bwd_dq<D><<<dim3(BH, (s.T + FQ - 1) / FQ), FQ, 0, c.stream>>>(dq, q, k, v, dout, lse, rowdot, mask, s.NH, s.T, s.HS,
                                                                      scale, p, seed);
  TBW_CUDA_LAUNCHED("flash_bwd_dq");
  flash_bwd_dkv<D><<<dim3(BH, (s.T + BKR - 1) / BKR), BKR, 0, c.stream>>>(dk, dv, q, k, v, dout, lse, rowdot, mask, s.NH, s.T,
                                                                          s.HS, scale, p, seed);
  TBW_CUDA_LAUNCHED("flash_bwd_dkv");
}

void dispatch_flash(const Ctx& c, bool forward, float* out, float* lse, float* dq, float* dk, float* dv, const float* rowdot,
                    const float* dout, const float* q, const float* k, const float* v, const uint8_t* mask, AttentionShape s,
                    float p, uint64_t seed) {
  if (s.B <= 0 || s.NH <= 0 || s.T <= 0) return;
  const float scale = 1.f / sqrtf((float)s.HS);
  if (s.HS <= 32) launch_flash<32>(c, forward, out, lse, dq, dk, dv, rowdot, dout, q, k, v, mask, s, scale, p, seed);
  else if (s.HS <= 64) launch_flash<64>(c, forward, out, lse, dq, dk, dv, rowdot, dout, q, k, v, mask, s, scale, p, seed);
  else
    throw std::runtime_error("CUDA flash attention supports head sizes up to 64, got " + std::to_string(s.HS) +
                             "; turn flash attention off (naive attention) for this model");
}

}  // namespace

void flash_forward(const Ctx& c, float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                   AttentionShape s, float p, uint64_t seed) {
  dispatch_flash(c, true, out, lse, nullptr, nullptr, nullptr, nullptr, nullptr, q, k, v, mask, s, p, seed);
}

void flash_backward(const Ctx& c, float* dq, float* dk, float* dv, float* rowdot, const float* dout, const float* q,
                    const float* k, const float* v, const float* out, const float* lse, const uint8_t* mask, AttentionShape s,
                    float p, uint64_t seed) {
  const long rows = (long)s.B * s.NH * s.T;
  if (rows <= 0) return;
  row_dot<<<grid_for(rows, 256), 256, 0, c.stream>>>(rowdot, dout, out, rows, s.HS);
  TBW_CUDA_LAUNCHED("row_dot");
  dispatch_flash(c, false, nullptr, const_cast<float*>(lse), dq, dk, dv, rowdot, dout, q, k, v, mask, s, p, seed);
}

void naive_forward(const Ctx& c, float* out, float* lse, float* att, float* work, const float* q, const float* k, const float* v,
                   const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS, BH = s.B * s.NH;
  if (BH <= 0 || T <= 0) return;
  const long long TT = (long long)T * T, TH = (long long)T * HS;
  gemm(c, false, true, T, T, HS, 1.f / sqrtf((float)HS), q, HS, k, HS, 0.f, att, T, nullptr, BH, TH, TH, TT);
  softmax_rows<<<(unsigned)(BH * (long)T), 128, 0, c.stream>>>(att, lse, mask, s.NH, T);
  TBW_CUDA_LAUNCHED("softmax_rows");
  const float* probs = att;
  if (p > 0.f) {  // att keeps the probabilities before dropout, as the backward needs
    dropout(c, work, att, BH * TT, p, seed, false);
    probs = work;
  }
  gemm(c, false, false, T, HS, T, 1.f, probs, T, v, HS, 0.f, out, HS, nullptr, BH, TT, TH, TH);
}

void naive_backward(const Ctx& c, float* dq, float* dk, float* dv, float* work, float* work2, const float* dout, const float* q,
                    const float* k, const float* v, const float* att, AttentionShape s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS, BH = s.B * s.NH;
  if (BH <= 0 || T <= 0) return;
  const long long TT = (long long)T * T, TH = (long long)T * HS;
  const float* probs = att;
  if (p > 0.f) {
    dropout(c, work2, att, BH * TT, p, seed, false);
    probs = work2;
  }
  gemm(c, true, false, T, HS, T, 1.f, probs, T, dout, HS, 1.f, dv, HS, nullptr, BH, TT, TH, TH);   // dV += P'ᵀ·dO
  gemm(c, false, true, T, T, HS, 1.f, dout, HS, v, HS, 0.f, work, T, nullptr, BH, TH, TH, TT);     // dP' = dO·Vᵀ
  softmax_rows_backward<<<(unsigned)(BH * (long)T), 128, 0, c.stream>>>(work, att, T, 1.f / sqrtf((float)HS), p, seed);
  TBW_CUDA_LAUNCHED("softmax_rows_backward");
  gemm(c, false, false, T, HS, T, 1.f, work, T, k, HS, 1.f, dq, HS, nullptr, BH, TT, TH, TH);      // dQ += dS·K
  gemm(c, true, false, T, HS, T, 1.f, work, T, q, HS, 1.f, dk, HS, nullptr, BH, TT, TH, TH);       // dK += dSᵀ·Q
}

}  // namespace tbw::cuda
