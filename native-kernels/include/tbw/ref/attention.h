// Reference ("naive") attention: materializes softmax(QKᵀ·scale) per head.
// The oracle for flash attention and the "flash off" side of every comparison.
// Key-padding mask: mask[b*T + j] != 0 keeps key j. A row whose keys are all
// padded gives a zero output and lse = -inf.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../rng.h"

namespace tbw::ref {

// Dropout element index of attention probability (b,h,i,j).
TBW_HD inline uint64_t att_index(int b, int h, int i, int j, int NH, int Tn) {
  return (((uint64_t)b * NH + h) * Tn + i) * Tn + j;
}

// q,k,v (B,NH,T,HS), mask (B,T) or null -> out (B,NH,T,HS), lse (B,NH,T), att (B,NH,T,T) (probabilities, pre-dropout)
template <class T>
void attention_forward(T* out, T* lse, T* att, const T* q, const T* k, const T* v, const uint8_t* mask, int B, int NH,
                       int Tn, int HS, float p, uint64_t seed) {
  const T scale = T(1) / std::sqrt(T(HS));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const long bh = (long)b * NH + h;
      const T *Q = q + bh * Tn * HS, *K = k + bh * Tn * HS, *V = v + bh * Tn * HS;
      for (int i = 0; i < Tn; i++) {
        T* a = att + (bh * Tn + i) * Tn;
        T mx = -std::numeric_limits<T>::infinity();
        for (int j = 0; j < Tn; j++) {
          if (mask && !mask[(long)b * Tn + j]) {
            a[j] = -std::numeric_limits<T>::infinity();
            continue;
          }
          T s = 0;
          for (int d = 0; d < HS; d++) s += Q[(long)i * HS + d] * K[(long)j * HS + d];
          a[j] = s * scale;
          if (a[j] > mx) mx = a[j];
        }
        T* o = out + (bh * Tn + i) * HS;
        for (int d = 0; d < HS; d++) o[d] = 0;
        if (mx == -std::numeric_limits<T>::infinity()) {  // every key padded
          for (int j = 0; j < Tn; j++) a[j] = 0;
          lse[bh * Tn + i] = -std::numeric_limits<T>::infinity();
          continue;
        }
        T sum = 0;
        for (int j = 0; j < Tn; j++) sum += (a[j] = std::exp(a[j] - mx));
        for (int j = 0; j < Tn; j++) a[j] /= sum;
        lse[bh * Tn + i] = mx + std::log(sum);
        for (int j = 0; j < Tn; j++) {
          T pj = a[j] * T(p > 0 ? dropout_scale(seed, att_index(b, h, i, j, NH, Tn), p) : 1.f);
          for (int d = 0; d < HS; d++) o[d] += pj * V[(long)j * HS + d];
        }
      }
    }
}

// dout (B,NH,T,HS) -> dq, dk, dv (B,NH,T,HS) +=, using the saved att probabilities
template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* att,
                        const uint8_t* mask, int B, int NH, int Tn, int HS, float p, uint64_t seed) {
  (void)mask;  // padded keys have att = 0, so they get no gradient
  const T scale = T(1) / std::sqrt(T(HS));
  std::vector<T> datt(Tn);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const long bh = (long)b * NH + h;
      const T *Q = q + bh * Tn * HS, *K = k + bh * Tn * HS, *V = v + bh * Tn * HS;
      for (int i = 0; i < Tn; i++) {
        const T* a = att + (bh * Tn + i) * Tn;
        const T* dO = dout + (bh * Tn + i) * HS;
        T dot = 0;
        for (int j = 0; j < Tn; j++) {
          const T keep = T(p > 0 ? dropout_scale(seed, att_index(b, h, i, j, NH, Tn), p) : 1.f);
          T g = 0;
          for (int d = 0; d < HS; d++) {
            g += dO[d] * V[(long)j * HS + d];
            dv[(bh * Tn + j) * HS + d] += a[j] * keep * dO[d];
          }
          datt[j] = g * keep;
          dot += a[j] * datt[j];
        }
        for (int j = 0; j < Tn; j++) {
          T ds = a[j] * (datt[j] - dot) * scale;
          if (ds == T(0)) continue;
          for (int d = 0; d < HS; d++) {
            dq[(bh * Tn + i) * HS + d] += ds * K[(long)j * HS + d];
            dk[(bh * Tn + j) * HS + d] += ds * Q[(long)i * HS + d];
          }
        }
      }
    }
}

}  // namespace tbw::ref
