// Naive attention on the fast backends: the "flash off" side of comparisons.
// Per (batch, head): S = QKᵀ·scale and O = P·V through the packed GEMM, with
// the (T,T) probabilities kept in att for the backward. Compiled per variant.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "softmax_rows.h"
#include "tbw/attention.h"
#include "tbw/fast_exp.h"
#include "tbw/gemm.h"
#include "tbw/ref/attention.h"
#include "tbw/rng.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

// C (M,N) = alpha · A (M,K) · B (K,N) with row strides; accumulate into C when asked
template <class G>
inline void mm(float* c, const float* a, long a_rs, long a_cs, const float* b, long b_rs, long b_cs, int M, int N, int K,
               float alpha, bool accumulate) {
  GemmArgs g;
  g.M = M, g.N = N, g.K = K, g.A = a, g.a_rs = a_rs, g.a_cs = a_cs, g.B = b, g.b_rs = b_rs, g.b_cs = b_cs;
  g.C = c, g.ldc = N, g.alpha = alpha, g.accumulate = accumulate;
  G::run(g);  // inside a pool task this runs on the calling thread
}

template <class G>
inline void naive_attention_forward(float* out, float* lse, float* att, const float* q, const float* k, const float* v,
                                    const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS;
  const float scale = 1.f / std::sqrt((float)HS), neg_inf = -std::numeric_limits<float>::infinity();
  const long head = (long)T * HS;
  parallel_for(s.B * s.NH, [&](int bh, int) {
    const int b = bh / s.NH, h = bh % s.NH;
    const float *Q = q + bh * head, *K = k + bh * head, *V = v + bh * head;
    float* A = att + (long)bh * T * T;
    mm<G>(A, Q, HS, 1, K, 1, HS, T, T, HS, scale * kLog2e, false);  // Q · Kᵀ (log2 units)
    for (int i = 0; i < T; i++) {
      float* a = A + (long)i * T;
      if (mask)
        for (int j = 0; j < T; j++)
          if (!mask[(long)b * T + j]) a[j] = neg_inf;
      const float mx = row_max(a, T, neg_inf);
      if (mx == neg_inf) {
        std::fill(a, a + T, 0.f);
        lse[(long)bh * T + i] = neg_inf;
        continue;
      }
      const float sum = exp2_row_sum(a, T, mx);
      const float inv = 1.f / sum;
      for (int j = 0; j < T; j++) a[j] *= inv;
      lse[(long)bh * T + i] = (mx + std::log2(sum)) * kLn2;
    }
    if (p > 0.f) {  // O = dropout(P) · V; P itself stays in att for the backward
      static thread_local AlignedBuffer dropped;
      float* D = dropped.get((size_t)T * T);
      for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
          D[(long)i * T + j] = A[(long)i * T + j] * dropout_scale(seed, ref::att_index(b, h, i, j, s.NH, T), p);
      mm<G>(out + bh * head, D, T, 1, V, HS, 1, T, HS, T, 1.f, false);
    } else {
      mm<G>(out + bh * head, A, T, 1, V, HS, 1, T, HS, T, 1.f, false);
    }
  });
}

template <class G>
inline void naive_attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                     const float* v, const float* att, const uint8_t* mask, AttentionShape s, float p,
                                     uint64_t seed) {
  (void)mask;  // padded keys have probability 0, so they get no gradient
  const int T = s.T, HS = s.HS;
  const float scale = 1.f / std::sqrt((float)HS);
  const long head = (long)T * HS;
  parallel_for(s.B * s.NH, [&](int bh, int) {
    const int b = bh / s.NH, h = bh % s.NH;
    const float *Q = q + bh * head, *K = k + bh * head, *V = v + bh * head, *dO = dout + bh * head;
    const float* A = att + (long)bh * T * T;
    static thread_local AlignedBuffer dP_buf, Pd_buf;
    float* dP = dP_buf.get((size_t)T * T);
    const float* Pd = A;
    if (p > 0.f) {
      float* D = Pd_buf.get((size_t)T * T);
      for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
          D[(long)i * T + j] = A[(long)i * T + j] * dropout_scale(seed, ref::att_index(b, h, i, j, s.NH, T), p);
      Pd = D;
    }
    mm<G>(dv + bh * head, Pd, 1, T, dO, HS, 1, T, HS, T, 1.f, true);  // dV += dropout(P)ᵀ · dO
    mm<G>(dP, dO, HS, 1, V, 1, HS, T, T, HS, 1.f, false);            // dP = dO · Vᵀ
    for (int i = 0; i < T; i++) {
      const float* a = A + (long)i * T;
      float* d = dP + (long)i * T;
      if (p > 0.f)
        for (int j = 0; j < T; j++) d[j] *= dropout_scale(seed, ref::att_index(b, h, i, j, s.NH, T), p);
      const float dot = dot_row(a, d, T);
      for (int j = 0; j < T; j++) d[j] = a[j] * (d[j] - dot);  // dS
    }
    mm<G>(dq + bh * head, dP, T, 1, K, HS, 1, T, HS, T, scale, true);  // dQ += dS · K · scale
    mm<G>(dk + bh * head, dP, 1, T, Q, HS, 1, T, HS, T, scale, true);  // dK += dSᵀ · Q · scale
  });
}

}  // namespace TBW_NS
}  // namespace tbw
