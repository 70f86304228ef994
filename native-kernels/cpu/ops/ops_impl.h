// The fast CPU implementations of the non-GEMM, non-attention ops, written
// once and compiled per variant (variant_*.cpp). Work is split into fixed-size
// chunks (independent of the thread count), and reductions combine per-chunk
// partial sums in chunk order, so results are the same for any TBW_THREADS.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "../gemm/aligned_buffer.h"
#include "gelu_span.h"
#include "tbw/fast_exp.h"
#include "tbw/optim_hyper.h"
#include "tbw/rng.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

constexpr long CHUNK = 16384;  // elements per task in elementwise loops

template <class F>
inline void for_chunks(long n, F&& f) {  // f(begin, end)
  const int tasks = (int)((n + CHUNK - 1) / CHUNK);
  parallel_for(tasks, [&](int t, int) { f(t * CHUNK, std::min(n, (t + 1) * CHUNK)); });
}

template <class F>
inline void for_rows(int N, int rows_per_task, F&& f) {  // f(row)
  const int tasks = (N + rows_per_task - 1) / rows_per_task;
  parallel_for(tasks, [&](int t, int) {
    for (int r = t * rows_per_task, e = std::min(N, (t + 1) * rows_per_task); r < e; r++) f(r);
  });
}

// Scratch buffers kept across calls (ops are issued from one thread at a time).
inline float* scratch(int slot, size_t n) {
  static AlignedBuffer bufs[8];
  return bufs[slot].get(n);
}

// ---- layernorm -------------------------------------------------------------------------------
// One row: o = (x - mean)·rstd·w + b; returns mean and rstd.
inline void layernorm_row(float* __restrict__ o, float* mean, float* rstd, const float* __restrict__ x, const float* w, const float* b,
                          int C, float eps) {
  float m = 0.f;
#pragma omp simd reduction(+ : m)
  for (int i = 0; i < C; i++) m += x[i];
  m /= C;
  float v = 0.f;
#pragma omp simd reduction(+ : v)
  for (int i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
  const float s = 1.f / std::sqrt(v / C + eps);
  for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
  *mean = m;
  *rstd = s;
}

inline void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                              int C, float eps) {
  for_rows(N, 64, [&](int n) { layernorm_row(out + (long)n * C, mean + n, rstd + n, inp + (long)n * C, w, b, C, eps); });
}

// out = LayerNorm(a + b) row by row, the sum kept in a per-thread row buffer (and in res unless null)
inline void residual_layernorm_forward(float* out, float* res, float* mean, float* rstd, const float* a, const float* b,
                                       const float* w, const float* bias, int N, int C, float eps) {
  for_rows(N, 64, [&](int n) {
    static thread_local AlignedBuffer row_buf;
    float* x = res ? res + (long)n * C : row_buf.get(C);
    const float *xa = a + (long)n * C, *xb = b + (long)n * C;
    for (int i = 0; i < C; i++) x[i] = xa[i] + xb[i];
    layernorm_row(out + (long)n * C, mean + n, rstd + n, x, w, bias, C, eps);
  });
}

// One row: dx += the input gradient, pw += norm·dy, pb += dy. A plain function with restrict
// pointers: as a lambda body GCC left both loops scalar.
inline void layernorm_backward_row(float* __restrict__ dx, float* __restrict__ pw, float* __restrict__ pb,
                                   const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ w,
                                   float m, float s, int C) {
  float dnorm_mean = 0.f, dnorm_norm_mean = 0.f;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
  for (int i = 0; i < C; i++) {
    const float norm = (x[i] - m) * s, dnorm = w[i] * dy[i];
    dnorm_mean += dnorm;
    dnorm_norm_mean += dnorm * norm;
  }
  dnorm_mean /= C;
  dnorm_norm_mean /= C;
#pragma omp simd
  for (int i = 0; i < C; i++) {
    const float norm = (x[i] - m) * s, dnorm = w[i] * dy[i];
    pb[i] += dy[i];
    pw[i] += norm * dy[i];
    dx[i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
  }
}

// dweight/dbias: per-task partials (ROWS rows each), summed in task order.
inline void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* w,
                               const float* mean, const float* rstd, int N, int C) {
  constexpr int ROWS = 64;
  const int tasks = (N + ROWS - 1) / ROWS;
  float* partial = scratch(0, (size_t)tasks * 2 * C);
  parallel_for(tasks, [&](int t, int) {
    float* pw = partial + (size_t)t * 2 * C;
    float* pb = pw + C;
    std::fill(pw, pw + 2 * C, 0.f);
    for (int n = t * ROWS, e = std::min(N, (t + 1) * ROWS); n < e; n++)
      layernorm_backward_row(dinp + (long)n * C, pw, pb, dout + (long)n * C, inp + (long)n * C, w, mean[n], rstd[n], C);
  });
  for (int t = 0; t < tasks; t++) {
    const float* pw = partial + (size_t)t * 2 * C;
    for (int i = 0; i < C; i++) {
      dweight[i] += pw[i];
      dbias[i] += pw[C + i];
    }
  }
}

// ---- activations, residual, dropout ----------------------------------------------------------
inline void gelu_forward(float* out, const float* inp, long n) {
  for_chunks(n, [&](long b, long e) { gelu_span(out + b, inp + b, e - b); });
}

inline void gelu_backward(float* dinp, const float* inp, const float* dout, long n) {
  for_chunks(n, [&](long b, long e) { gelu_backward_span(dinp + b, inp + b, dout + b, e - b); });
}

inline void tanh_forward(float* out, const float* inp, long n) {
  for_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; i++) out[i] = std::tanh(inp[i]);
  });
}

inline void tanh_backward(float* dinp, const float* out, const float* dout, long n) {
  for_chunks(n, [&](long b, long e) {
    for (long i = b; i < e; i++) dinp[i] += dout[i] * (1.f - out[i] * out[i]);
  });
}

inline void residual_forward(float* out, const float* a, const float* b, long n) {
  for_chunks(n, [&](long s, long e) {
    for (long i = s; i < e; i++) out[i] = a[i] + b[i];
  });
}

inline void residual_backward(float* da, float* db, const float* dout, long n) {
  for_chunks(n, [&](long s, long e) {
    for (long i = s; i < e; i++) {
      da[i] += dout[i];
      db[i] += dout[i];
    }
  });
}

// Inverted dropout over elements [b, e) of a tensor with the mask of rng.h's dropout_scale,
// written so the loop vectorizes: 32-bit lanes, the seed's words hoisted. out and in point at
// element b: out[i - b] = in[i - b] * keep(i) (or += when accumulating).
template <bool Accumulate>
inline void dropout_span(float* out, const float* in, long b, long e, float p, uint64_t seed) {
  const long b0 = b;
  const uint32_t lo = (uint32_t)seed;
  const float scale = 1.f / (1.f - p);
  while (b < e) {
    // The index's high word is constant within each 2^32 block.
    const long block_end = std::min(e, ((b >> 32) + 1) << 32);
    const uint32_t hi = (uint32_t)(seed >> 32) ^ ((uint32_t)(b >> 32) * 0x9E3779B9u);
    const uint32_t i0 = (uint32_t)b, n = (uint32_t)(block_end - b);
    float* o = out + (b - b0);
    const float* x = in + (b - b0);
    for (uint32_t j = 0; j < n; j++) {
      const uint32_t h = mix32(mix32((i0 + j) ^ lo) ^ hi);
      const float keep = float(h >> 8) * (1.0f / 16777216.0f) < p ? 0.f : scale;
      if (Accumulate) o[j] += x[j] * keep;
      else o[j] = x[j] * keep;
    }
    b = block_end;
  }
}

inline void dropout_forward(float* out, const float* inp, long n, float p, uint64_t seed) {
  if (p <= 0.f && out == inp) return;  // identity in place (inference)
  for_chunks(n, [&](long b, long e) {
    if (p <= 0.f)
      for (long i = b; i < e; i++) out[i] = inp[i];
    else
      dropout_span<false>(out + b, inp + b, b, e, p, seed);
  });
}

inline void dropout_backward(float* dinp, const float* dout, long n, float p, uint64_t seed) {
  for_chunks(n, [&](long b, long e) {
    if (p <= 0.f)
      for (long i = b; i < e; i++) dinp[i] += dout[i];
    else
      dropout_span<true>(dinp + b, dout + b, b, e, p, seed);
  });
}

// ---- attention heads: (B,T,NH*HS) <-> (B,NH,T,HS) ---------------------------------------------
inline void split_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) {
  for_rows(B * NH, 1, [&](int bh) {
    const int b = bh / NH, h = bh % NH;
    for (int t = 0; t < T; t++) {
      const float* src = inp + ((long)b * T + t) * NH * HS + (long)h * HS;
      float* dst = out + ((long)bh * T + t) * HS;
      if (accumulate)
        for (int d = 0; d < HS; d++) dst[d] += src[d];
      else
        for (int d = 0; d < HS; d++) dst[d] = src[d];
    }
  });
}

inline void merge_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) {
  for_rows(B * T, 8, [&](int bt) {
    const int b = bt / T, t = bt % T;
    for (int h = 0; h < NH; h++) {
      const float* src = inp + (((long)b * NH + h) * T + t) * HS;
      float* dst = out + (long)bt * NH * HS + (long)h * HS;
      if (accumulate)
        for (int d = 0; d < HS; d++) dst[d] += src[d];
      else
        for (int d = 0; d < HS; d++) dst[d] = src[d];
    }
  });
}

// ---- embeddings ------------------------------------------------------------------------------
inline void embeddings_forward(float* out, const int32_t* ids, const int32_t* tt, const float* wte, const float* wpe,
                               const float* wtt, int B, int T, int C) {
  for_rows(B * T, 32, [&](int bt) {
    const float* w = wte + (long)ids[bt] * C;
    const float* p = wpe + (long)(bt % T) * C;
    const float* y = wtt + (long)tt[bt] * C;
    float* o = out + (long)bt * C;
    for (int i = 0; i < C; i++) o[i] = w[i] + p[i] + y[i];
  });
}

inline void embeddings_int8_forward(float* out, const int32_t* ids, const int32_t* tt, const int8_t* codes, const float* scale,
                                    const float* wpe, const float* wtt, int B, int T, int C) {
  for_rows(B * T, 32, [&](int bt) {
    const int8_t* w = codes + (long)ids[bt] * C;
    const float s = scale[ids[bt]];
    const float* p = wpe + (long)(bt % T) * C;
    const float* y = wtt + (long)tt[bt] * C;
    float* o = out + (long)bt * C;
    for (int i = 0; i < C; i++) o[i] = s * w[i] + p[i] + y[i];
  });
}

// Scatter-add without races: each task owns a slice of channels for every token.
inline void embeddings_backward(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids,
                                const int32_t* tt, int B, int T, int C) {
  constexpr int SLICE = 64;
  parallel_for((C + SLICE - 1) / SLICE, [&](int t, int) {
    const int c0 = t * SLICE, c1 = std::min(C, c0 + SLICE);
    for (int bt = 0; bt < B * T; bt++) {
      const float* g = dout + (long)bt * C;
      float* a = dwte + (long)ids[bt] * C;
      float* p = dwpe + (long)(bt % T) * C;
      float* y = dwtt + (long)tt[bt] * C;
      for (int i = c0; i < c1; i++) {
        a[i] += g[i];
        p[i] += g[i];
        y[i] += g[i];
      }
    }
  });
}

// ---- losses ----------------------------------------------------------------------------------
inline float crossentropy_forward(float* probs, const float* logits, const int32_t* labels, int B, int NC) {
  double total = 0;
  for (int b = 0; b < B; b++) {
    const float* z = logits + (long)b * NC;
    float mx = z[0];
    for (int c = 1; c < NC; c++) mx = std::max(mx, z[c]);
    float sum = 0.f;
    for (int c = 0; c < NC; c++) sum += std::exp(z[c] - mx);
    for (int c = 0; c < NC; c++) probs[(long)b * NC + c] = std::exp(z[c] - mx) / sum;
    total += -(double(z[labels[b]]) - mx - std::log(sum));
  }
  return float(total / B);
}

inline void crossentropy_backward(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) {
  const float s = dloss / B;
  for (int b = 0; b < B; b++)
    for (int c = 0; c < NC; c++) dlogits[(long)b * NC + c] += s * (probs[(long)b * NC + c] - (c == labels[b] ? 1.f : 0.f));
}

inline float mse_forward(const float* preds, const float* targets, int B) {
  double total = 0;
  for (int b = 0; b < B; b++) total += double(preds[b] - targets[b]) * (preds[b] - targets[b]);
  return float(total / B);
}

inline void mse_backward(float* dpreds, const float* preds, const float* targets, int B, float dloss) {
  for (int b = 0; b < B; b++) dpreds[b] += dloss * 2.f * (preds[b] - targets[b]) / B;
}

// ---- optimizers ------------------------------------------------------------------------------
// Optimizer element loops live in plain functions with restrict pointers and the hyperparameters
// by value: inside the for_chunks lambdas GCC left them scalar.
inline void adamw_span(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, long b, long e,
                       float beta1, float beta2, float eps, float step, float inv_sqrt_bc2, float decay) {
#pragma omp simd
  for (long i = b; i < e; i++) {
    const float mi = m[i] = beta1 * m[i] + (1.f - beta1) * g[i];
    const float vi = v[i] = beta2 * v[i] + (1.f - beta2) * g[i] * g[i];
    p[i] = p[i] * decay - step * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

inline void adamw_update(float* p, const float* g, float* m, float* v, long n, const AdamWHyper& o) {
  const float bc1 = 1.f - std::pow(o.beta1, (float)o.step), bc2 = 1.f - std::pow(o.beta2, (float)o.step);
  const float step = o.lr / bc1, inv_sqrt_bc2 = 1.f / std::sqrt(bc2), decay = 1.f - o.lr * o.weight_decay;
  for_chunks(n, [&](long b, long e) { adamw_span(p, g, m, v, b, e, o.beta1, o.beta2, o.eps, step, inv_sqrt_bc2, decay); });
}

// A plain function, not a lambda body: there GCC left this reduction scalar (8 ms for 14M floats).
inline double sum_squares_span(const float* __restrict__ x, long b, long e) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (long i = b; i < e; i++) s += double(x[i]) * x[i];
  return s;
}

// Sum of squares in fixed chunks, combined in order (deterministic for any thread count).
inline double sum_squares(const float* x, long n) {
  const int tasks = (int)((n + CHUNK - 1) / CHUNK);
  std::vector<double> part(tasks);
  parallel_for(tasks, [&](int t, int) { part[t] = sum_squares_span(x, t * CHUNK, std::min(n, (t + 1) * CHUNK)); });
  double s = 0;
  for (double v : part) s += v;
  return s;
}

// Adafactor's element loops (plain functions: see adamw_span)
inline void adafactor_factored_row(float* __restrict__ upd, const float* __restrict__ g, const float* __restrict__ col, float rf, int cols) {
#pragma omp simd
  for (int c = 0; c < cols; c++) upd[c] = g[c] * rf / std::sqrt(col[c]);
}

inline void adafactor_vector_span(float* __restrict__ v, float* __restrict__ upd, const float* __restrict__ g, long b, long e, float beta2t,
                                  float eps1) {
#pragma omp simd
  for (long i = b; i < e; i++) {
    v[i] = beta2t * v[i] + (1.f - beta2t) * (g[i] * g[i] + eps1);
    upd[i] = g[i] / std::sqrt(v[i]);
  }
}

inline void adafactor_apply_span(float* __restrict__ p, float* __restrict__ m, const float* __restrict__ upd, long b, long e, float scale,
                                 float beta1, float wd) {
#pragma omp simd
  for (long i = b; i < e; i++) {
    float u = upd[i] * scale;
    if (beta1 > 0.f) u = m[i] = beta1 * m[i] + (1.f - beta1) * u;
    if (wd != 0.f) p[i] += p[i] * wd;
    p[i] -= u;
  }
}

inline void adafactor_update(float* p, const float* g, float* row, float* col, float* v, float* m, int rows, int cols,
                             const AdafactorHyper& o) {
  const long n = (long)rows * cols;
  float lr = o.lr;
  if (o.scale_parameter) lr *= std::max(o.eps2, (float)std::sqrt(sum_squares(p, n) / n));
  const float beta2t = 1.f - std::pow((float)o.step, o.decay_rate);
  float* upd = scratch(1, n);
  if (rows > 1) {  // a 2-D parameter: factored second moments
    for_rows(rows, 16, [&](int r) {
      const float* gr = g + (long)r * cols;
      float s = 0.f;
#pragma omp simd reduction(+ : s)
      for (int c = 0; c < cols; c++) s += gr[c] * gr[c] + o.eps1;
      row[r] = beta2t * row[r] + (1.f - beta2t) * (s / cols);
    });
    constexpr int SLICE = 64;
    parallel_for((cols + SLICE - 1) / SLICE, [&](int t, int) {
      const int c0 = t * SLICE, c1 = std::min(cols, c0 + SLICE);
      float acc[SLICE] = {};
      for (int r = 0; r < rows; r++) {
        const float* gr = g + (long)r * cols;
        for (int c = c0; c < c1; c++) acc[c - c0] += gr[c] * gr[c] + o.eps1;
      }
      for (int c = c0; c < c1; c++) col[c] = beta2t * col[c] + (1.f - beta2t) * (acc[c - c0] / rows);
    });
    double row_sum = 0;
    for (int r = 0; r < rows; r++) row_sum += row[r];
    const float row_mean = float(row_sum / rows);
    for_rows(rows, 16, [&](int r) { adafactor_factored_row(upd + (long)r * cols, g + (long)r * cols, col, 1.f / std::sqrt(row[r] / row_mean), cols); });
  } else {
    for_chunks(n, [&](long b, long e) { adafactor_vector_span(v, upd, g, b, e, beta2t, o.eps1); });
  }
  const float denom = std::max(1.f, (float)std::sqrt(sum_squares(upd, n) / n) / o.clip_threshold);
  const float scale = lr / denom, wd = -o.weight_decay * lr;
  for_chunks(n, [&](long b, long e) { adafactor_apply_span(p, m, upd, b, e, scale, o.beta1, wd); });
}

inline void sgd_span(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ buf, long b, long e, SgdHyper o) {
  const bool momentum = o.momentum != 0.f, first = o.step == 1;
#pragma omp simd
  for (long i = b; i < e; i++) {
    float d = g[i] + o.weight_decay * p[i];
    if (momentum) {
      buf[i] = first ? d : o.momentum * buf[i] + (1.f - o.dampening) * d;
      d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
    }
    p[i] -= o.lr * d;
  }
}

inline void sgd_update(float* p, const float* g, float* buf, long n, const SgdHyper& o) {
  for_chunks(n, [&](long b, long e) { sgd_span(p, g, buf, b, e, o); });
}

inline float clip_grad_norm(float* const* grads, const long* sizes, int count, float max_norm) {
  double total = 0;
  for (int t = 0; t < count; t++) total += sum_squares(grads[t], sizes[t]);
  const float norm = (float)std::sqrt(total);
  const float coef = max_norm / (norm + 1e-6f);
  if (coef < 1.f)
    for (int t = 0; t < count; t++) {
      float* gr = grads[t];
      for_chunks(sizes[t], [=](long b, long e) {
        float* __restrict__ x = gr;
#pragma omp simd
        for (long i = b; i < e; i++) x[i] *= coef;
      });
    }
  return norm;
}

}  // namespace TBW_NS
}  // namespace tbw
