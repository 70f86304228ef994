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

// Attention of one query per sequence, its first token ([CLS]), over all T keys: what the last
// layer of a sequence classifier needs, since nothing but the [CLS] row reaches the loss.
// Token-major: q (B,C), k, v (B·T,C), head h at columns [h·HS, h·HS+HS) -> out (B,C), lse (B,NH).
// Dropout draws att_index(b, h, 0, j): the same mask as row 0 of attention_forward, so the result
// is row 0 of full attention. One (b,h) per call; heads touch disjoint memory (parallel-safe).
// s: T scratch floats. Static (one copy per translation unit): the fast backends compile these
// with their own instruction sets, and no other unit may be handed their copy.
template <class T>
static void attention_cls_head_forward(T* out, T* lse, const T* q, const T* k, const T* v, const uint8_t* mask, int b, int h, int NH,
                                int Tn, int HS, float p, uint64_t seed, T* s) {
  const long C = (long)NH * HS;
  const T scale = T(1) / std::sqrt(T(HS));
  const T* Q = q + b * C + h * HS;
  const T *K = k + (long)b * Tn * C + h * HS, *V = v + (long)b * Tn * C + h * HS;
  T* o = out + b * C + h * HS;
  T mx = -std::numeric_limits<T>::infinity();
  for (int j = 0; j < Tn; j++) {
    if (mask && !mask[(long)b * Tn + j]) {
      s[j] = -std::numeric_limits<T>::infinity();
      continue;
    }
    T dot = 0;
    for (int d = 0; d < HS; d++) dot += Q[d] * K[j * C + d];
    s[j] = dot * scale;
    if (s[j] > mx) mx = s[j];
  }
  for (int d = 0; d < HS; d++) o[d] = 0;
  if (mx == -std::numeric_limits<T>::infinity()) {  // every key padded
    lse[(long)b * NH + h] = -std::numeric_limits<T>::infinity();
    return;
  }
  T sum = 0;
  for (int j = 0; j < Tn; j++) sum += (s[j] = std::exp(s[j] - mx));
  lse[(long)b * NH + h] = mx + std::log(sum);
  for (int j = 0; j < Tn; j++) {
    if (s[j] == T(0)) continue;
    const T pj = s[j] / sum * T(p > 0 ? dropout_scale(seed, att_index(b, h, 0, j, NH, Tn), p) : 1.f);
    for (int d = 0; d < HS; d++) o[d] += pj * V[j * C + d];
  }
}

// Its backward from the saved lse: dq (B,C), dk, dv (B·T,C) +=. s: 2·T scratch floats.
template <class T>
static void attention_cls_head_backward(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* lse,
                                 const uint8_t* mask, int b, int h, int NH, int Tn, int HS, float p, uint64_t seed, T* s) {
  const long C = (long)NH * HS;
  const T L = lse[(long)b * NH + h];
  if (L == -std::numeric_limits<T>::infinity()) return;  // every key padded: no gradient
  const T scale = T(1) / std::sqrt(T(HS));
  const long kv = (long)b * Tn * C + h * HS;
  const T *Q = q + b * C + h * HS, *K = k + kv, *V = v + kv, *dO = dout + b * C + h * HS;
  T *P = s, *dP = s + Tn;
  T dot = 0;
  for (int j = 0; j < Tn; j++) {
    P[j] = dP[j] = 0;
    if (mask && !mask[(long)b * Tn + j]) continue;
    T qk = 0, g = 0;
    for (int d = 0; d < HS; d++) qk += Q[d] * K[j * C + d], g += dO[d] * V[j * C + d];
    const T keep = T(p > 0 ? dropout_scale(seed, att_index(b, h, 0, j, NH, Tn), p) : 1.f);
    P[j] = std::exp(qk * scale - L);
    for (int d = 0; d < HS; d++) dv[kv + j * C + d] += P[j] * keep * dO[d];
    dP[j] = g * keep;
    dot += P[j] * dP[j];
  }
  for (int j = 0; j < Tn; j++) {
    const T ds = P[j] * (dP[j] - dot) * scale;
    if (ds == T(0)) continue;
    for (int d = 0; d < HS; d++) {
      dq[b * C + h * HS + d] += ds * K[j * C + d];
      dk[kv + j * C + d] += ds * Q[d];
    }
  }
}

template <class T>
void attention_cls_forward(T* out, T* lse, const T* q, const T* k, const T* v, const uint8_t* mask, int B, int NH, int Tn, int HS,
                           float p, uint64_t seed) {
  std::vector<T> s(Tn);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) attention_cls_head_forward(out, lse, q, k, v, mask, b, h, NH, Tn, HS, p, seed, s.data());
}

template <class T>
void attention_cls_backward(T* dq, T* dk, T* dv, const T* dout, const T* q, const T* k, const T* v, const T* lse,
                            const uint8_t* mask, int B, int NH, int Tn, int HS, float p, uint64_t seed) {
  std::vector<T> s(2 * (size_t)Tn);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) attention_cls_head_backward(dq, dk, dv, dout, q, k, v, lse, mask, b, h, NH, Tn, HS, p, seed, s.data());
}

}  // namespace tbw::ref
