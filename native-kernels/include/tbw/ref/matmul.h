// Reference matmul and fused LoRA linear (templated for float64 gradient checks).
#pragma once
#include <cstdint>
#include <vector>

#include "../rng.h"

namespace tbw::ref {

// inp (N,C), weight (OC,C), bias (OC) or null -> out (N,OC)
template <class T>
void matmul_forward(T* out, const T* inp, const T* weight, const T* bias, int N, int C, int OC) {
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++) {
      T acc = bias ? bias[o] : T(0);
      for (int c = 0; c < C; c++) acc += inp[(long)n * C + c] * weight[(long)o * C + c];
      out[(long)n * OC + o] = acc;
    }
}

// dout (N,OC) -> dinp (N,C) +=, dweight (OC,C) += , dbias (OC) +=; a null gradient is skipped
template <class T>
void matmul_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight, int N, int C, int OC) {
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++) {
      T d = dout[(long)n * OC + o];
      if (dbias) dbias[o] += d;
      for (int c = 0; c < C; c++) {
        if (dinp) dinp[(long)n * C + c] += d * weight[(long)o * C + c];
        if (dweight) dweight[(long)o * C + c] += d * inp[(long)n * C + c];
      }
    }
}

// LoRA's down-projection alone: h (N,r) = dropout(inp)·Aᵀ (lora_forward's, and a folded key's or value's)
template <class T>
void lora_down_forward(T* h, const T* inp, const T* A, int N, int C, int r, float p, uint64_t seed) {
  std::vector<T> xd((size_t)N * C);
  for (long i = 0; i < (long)N * C; i++) xd[i] = inp[i] * T(p > 0 ? dropout_scale(seed, i, p) : 1.f);
  matmul_forward(h, xd.data(), A, (const T*)nullptr, N, C, r);
}

// Its backward: dA (r,C) += dhᵀ·dropout(inp); dinp (N,C) += dropout_backward(dh·A) when not null
template <class T>
void lora_down_backward(T* dinp, T* dA, const T* dh, const T* inp, const T* A, int N, int C, int r, float p, uint64_t seed) {
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      const long i = (long)n * C + c;
      const T keep = T(p > 0 ? dropout_scale(seed, i, p) : 1.f);
      T dxd = 0;
      for (int j = 0; j < r; j++) {
        if (dA) dA[(long)j * C + c] += dh[(long)n * r + j] * inp[i] * keep;
        dxd += dh[(long)n * r + j] * A[(long)j * C + c];
      }
      if (dinp) dinp[i] += dxd * keep;
    }
}

// LoRA fused into a frozen linear:
//   out = inp·Wᵀ + bias + scale · (dropout(inp)·Aᵀ)·Bᵀ
// inp (N,C), W (OC,C), A (r,C), Bm (OC,r) -> out (N,OC), h (N,r) = dropout(inp)·Aᵀ (saved for backward)
template <class T>
void lora_forward(T* out, T* h, const T* inp, const T* W, const T* bias, const T* A, const T* Bm, int N, int C, int OC,
                  int r, T scale, float p, uint64_t seed) {
  matmul_forward(out, inp, W, bias, N, C, OC);
  lora_down_forward(h, inp, A, N, C, r, p, seed);
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++) {
      T acc = 0;
      for (int j = 0; j < r; j++) acc += h[(long)n * r + j] * Bm[(long)o * r + j];
      out[(long)n * OC + o] += scale * acc;
    }
}

// dout (N,OC) -> dinp (N,C) +=, dA (r,C) +=, dB (OC,r) +=, dbias (OC) += when not null. W is frozen: no dW.
template <class T>
void lora_backward(T* dinp, T* dA, T* dB, T* dbias, const T* dout, const T* inp, const T* W, const T* A, const T* Bm,
                   const T* h, int N, int C, int OC, int r, T scale, float p, uint64_t seed) {
  matmul_backward(dinp, (T*)nullptr, dbias, dout, inp, W, N, C, OC);
  std::vector<T> dh((size_t)N * r, T(0));
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++) {
      T d = scale * dout[(long)n * OC + o];
      for (int j = 0; j < r; j++) {
        dB[(long)o * r + j] += d * h[(long)n * r + j];
        dh[(long)n * r + j] += d * Bm[(long)o * r + j];
      }
    }
  lora_down_backward(dinp, dA, dh.data(), inp, A, N, C, r, p, seed);
}

}  // namespace tbw::ref
