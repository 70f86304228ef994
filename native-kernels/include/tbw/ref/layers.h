// Scalar reference layers, templated on the scalar type so the tests can run
// them in double for finite differences. llm.c style: name_forward/name_backward,
// d-prefixed gradients, backward accumulates (+=) into gradients.
#pragma once
#include <cmath>
#include <cstdint>

#include "../rng.h"

namespace tbw::ref {

// inp (N,C), weight (C), bias (C) -> out (N,C), mean (N), rstd (N)
template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* inp, const T* weight, const T* bias, int N, int C, T eps) {
  for (int n = 0; n < N; n++) {
    const T* x = inp + (long)n * C;
    T m = 0;
    for (int i = 0; i < C; i++) m += x[i];
    m /= C;
    T v = 0;
    for (int i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
    v /= C;
    T s = T(1) / std::sqrt(v + eps);
    for (int i = 0; i < C; i++) out[(long)n * C + i] = (x[i] - m) * s * weight[i] + bias[i];
    mean[n] = m;
    rstd[n] = s;
  }
}

// dout (N,C) -> dinp (N,C), dweight (C), dbias (C)
template <class T>
void layernorm_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight, const T* mean,
                        const T* rstd, int N, int C) {
  for (int n = 0; n < N; n++) {
    const T* x = inp + (long)n * C;
    const T* dy = dout + (long)n * C;
    T dnorm_mean = 0, dnorm_norm_mean = 0;
    for (int i = 0; i < C; i++) {
      T norm = (x[i] - mean[n]) * rstd[n];
      T dnorm = weight[i] * dy[i];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * norm;
    }
    dnorm_mean /= C;
    dnorm_norm_mean /= C;
    for (int i = 0; i < C; i++) {
      T norm = (x[i] - mean[n]) * rstd[n];
      T dnorm = weight[i] * dy[i];
      dbias[i] += dy[i];
      dweight[i] += norm * dy[i];
      dinp[(long)n * C + i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[n];
    }
  }
}

// GELU, erf form (as BERT): x (n) -> out (n)
template <class T>
void gelu_forward(T* out, const T* inp, long n) {
  for (long i = 0; i < n; i++) out[i] = T(0.5) * inp[i] * (T(1) + std::erf(inp[i] / std::sqrt(T(2))));
}

template <class T>
void gelu_backward(T* dinp, const T* inp, const T* dout, long n) {
  const T inv_sqrt_2pi = T(0.3989422804014327);
  for (long i = 0; i < n; i++) {
    T x = inp[i];
    T cdf = T(0.5) * (T(1) + std::erf(x / std::sqrt(T(2))));
    dinp[i] += dout[i] * (cdf + x * inv_sqrt_2pi * std::exp(T(-0.5) * x * x));
  }
}

// a (n) + b (n) -> out (n)
template <class T>
void residual_forward(T* out, const T* a, const T* b, long n) {
  for (long i = 0; i < n; i++) out[i] = a[i] + b[i];
}

template <class T>
void residual_backward(T* da, T* db, const T* dout, long n) {
  for (long i = 0; i < n; i++) {
    da[i] += dout[i];
    db[i] += dout[i];
  }
}

// Inverted dropout with the counter-based mask: inp (n) -> out (n)
template <class T>
void dropout_forward(T* out, const T* inp, long n, float p, uint64_t seed) {
  for (long i = 0; i < n; i++) out[i] = inp[i] * T(p > 0 ? dropout_scale(seed, i, p) : 1.f);
}

template <class T>
void dropout_backward(T* dinp, const T* dout, long n, float p, uint64_t seed) {
  for (long i = 0; i < n; i++) dinp[i] += dout[i] * T(p > 0 ? dropout_scale(seed, i, p) : 1.f);
}

// dst[r*dst_stride + c] (+)= src[r*src_stride + c] for r < rows, c < cols
template <class T>
void copy_rows(T* dst, const T* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) {
  for (int r = 0; r < rows; r++) {
    T* d = dst + r * dst_stride;
    const T* s = src + r * src_stride;
    for (int c = 0; c < cols; c++) d[c] = accumulate ? d[c] + s[c] : s[c];
  }
}

// (B,T,NH*HS) -> (B,NH,T,HS); with accumulate, out += instead of =
template <class T>
void split_heads(T* out, const T* inp, int B, int Tn, int NH, int HS, bool accumulate) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tn; t++)
      for (int h = 0; h < NH; h++)
        for (int d = 0; d < HS; d++) {
          T& o = out[(((long)b * NH + h) * Tn + t) * HS + d];
          const T x = inp[((long)b * Tn + t) * NH * HS + (long)h * HS + d];
          o = accumulate ? o + x : x;
        }
}

// (B,NH,T,HS) -> (B,T,NH*HS); with accumulate, out += instead of =
template <class T>
void merge_heads(T* out, const T* inp, int B, int Tn, int NH, int HS, bool accumulate) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tn; t++)
      for (int h = 0; h < NH; h++)
        for (int d = 0; d < HS; d++) {
          T& o = out[((long)b * Tn + t) * NH * HS + (long)h * HS + d];
          const T x = inp[(((long)b * NH + h) * Tn + t) * HS + d];
          o = accumulate ? o + x : x;
        }
}

// ids (B,T), token_type (B,T); wte (V,C), wpe (maxT,C), wtt (NTT,C) -> out (B,T,C)
template <class T>
void embeddings_forward(T* out, const int32_t* ids, const int32_t* token_type, const T* wte, const T* wpe, const T* wtt,
                        int B, int Tn, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tn; t++) {
      const long bt = (long)b * Tn + t;
      const T* w = wte + (long)ids[bt] * C;
      const T* p = wpe + (long)t * C;
      const T* y = wtt + (long)token_type[bt] * C;
      for (int i = 0; i < C; i++) out[bt * C + i] = w[i] + p[i] + y[i];
    }
}

// dout (B,T,C) -> scatter-add into dwte, dwpe, dwtt
template <class T>
void embeddings_backward(T* dwte, T* dwpe, T* dwtt, const T* dout, const int32_t* ids, const int32_t* token_type, int B,
                         int Tn, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tn; t++) {
      const long bt = (long)b * Tn + t;
      for (int i = 0; i < C; i++) {
        T g = dout[bt * C + i];
        dwte[(long)ids[bt] * C + i] += g;
        dwpe[(long)t * C + i] += g;
        dwtt[(long)token_type[bt] * C + i] += g;
      }
    }
}

// tanh (the pooler's activation): x (n) -> out (n)
template <class T>
void tanh_forward(T* out, const T* inp, long n) {
  for (long i = 0; i < n; i++) out[i] = std::tanh(inp[i]);
}

// uses the forward output: d/dx tanh = 1 - out^2
template <class T>
void tanh_backward(T* dinp, const T* out, const T* dout, long n) {
  for (long i = 0; i < n; i++) dinp[i] += dout[i] * (T(1) - out[i] * out[i]);
}

// Softmax cross-entropy, mean over the batch: logits (B,NC), labels (B) -> loss, probs (B,NC)
template <class T>
T crossentropy_forward(T* probs, const T* logits, const int32_t* labels, int B, int NC) {
  T total = 0;
  for (int b = 0; b < B; b++) {
    const T* z = logits + (long)b * NC;
    T mx = z[0];
    for (int c = 1; c < NC; c++) mx = z[c] > mx ? z[c] : mx;
    T sum = 0;
    for (int c = 0; c < NC; c++) sum += std::exp(z[c] - mx);
    for (int c = 0; c < NC; c++) probs[(long)b * NC + c] = std::exp(z[c] - mx) / sum;
    total += -(z[labels[b]] - mx - std::log(sum));
  }
  return total / B;
}

// dloss (scalar) -> dlogits (B,NC) += dloss * (probs - onehot) / B
template <class T>
void crossentropy_backward(T* dlogits, const T* probs, const int32_t* labels, int B, int NC, T dloss) {
  for (int b = 0; b < B; b++)
    for (int c = 0; c < NC; c++)
      dlogits[(long)b * NC + c] += dloss * (probs[(long)b * NC + c] - (c == labels[b] ? T(1) : T(0))) / B;
}

// Mean squared error (regression heads): preds (B), targets (B) -> loss
template <class T>
T mse_forward(const T* preds, const T* targets, int B) {
  T total = 0;
  for (int b = 0; b < B; b++) total += (preds[b] - targets[b]) * (preds[b] - targets[b]);
  return total / B;
}

template <class T>
void mse_backward(T* dpreds, const T* preds, const T* targets, int B, T dloss) {
  for (int b = 0; b < B; b++) dpreds[b] += dloss * T(2) * (preds[b] - targets[b]) / B;
}

}  // namespace tbw::ref
