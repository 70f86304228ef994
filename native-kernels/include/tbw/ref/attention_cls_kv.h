// The [CLS]-only last layer's attention with its key and value linears folded in (tbw::ClsKV).
// One query per sequence lets the projections move onto the query side:
//   score_hj = q_h·k_hj / √HS = u_h·x_j + rk_h·hk_j + ck_h, with u_h = W_k,hᵀq_h / √HS (C),
//   rk_h = scale·B_k,hᵀq_h / √HS (r) and ck_h = b_k,h·q_h / √HS;
//   out_h = Σ_j p̃_hj v_hj = W_v,h z_h + b_v,h σ_h + scale·B_v,h w_h, with z_h = Σ_j p̃_hj x_j,
//   w_h = Σ_j p̃_hj hv_j, σ_h = Σ_j p̃_hj (p̃: the probabilities after dropout).
// That is O(T·C) per head and sequence instead of the key/value projections' O(T·C²) per
// sequence, and their backward likewise. Dropout draws att_index(b, h, 0, j), as
// attention_cls_head_forward does: the result is that of the projections and row 0 of full attention.
// Per-sequence functions (sequences touch disjoint rows: parallel-safe) plus the parameter
// gradients' reduction over sequences. Static (one copy per translation unit), as in attention.h.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../attention.h"
#include "attention.h"

namespace tbw::ref {

static inline float cls_dot(const float* a, const float* b, int n) {
  float acc = 0.f;
#pragma omp simd reduction(+ : acc)
  for (int i = 0; i < n; i++) acc += a[i] * b[i];
  return acc;
}

static inline void cls_axpy(float* __restrict__ y, float a, const float* __restrict__ x, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) y[i] += a * x[i];
}

// y += a·x + b·z
static inline void cls_axpy2(float* __restrict__ y, float a, const float* __restrict__ x, float b, const float* __restrict__ z, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) y[i] += a * x[i] + b * z[i];
}

// Floats of scratch per sequence: forward, backward; and of what backward keeps per sequence for
// attention_cls_kv_param_grads_row (du, z (NH,C); drk, w (NH,r); dck, σ (NH)).
static inline size_t cls_kv_forward_scratch(int NH, int Tn, int C, int r) { return (size_t)NH * (2 * C + 2 * r + 2 + Tn); }
static inline size_t cls_kv_backward_scratch(int NH, int Tn, int C, int r) { return (size_t)NH * (2 * C + 2 * r + 2 + 3 * Tn); }
static inline size_t cls_kv_kept(int NH, int C, int r) { return (size_t)NH * (2 * C + 2 * r + 2); }

// u, rk, ck of sequence b's heads (above), and the scores s (NH,T): −∞ for a padded key.
static void cls_kv_scores(float* u, float* rk, float* ck, float* s, const float* x, const float* q, const ClsKV& kv,
                          const uint8_t* mask, int b, int NH, int Tn, int HS) {
  const int C = NH * HS, rK = kv.hk ? kv.r : 0;
  const float sc = 1.f / std::sqrt((float)HS);
  const float* qb = q + (long)b * C;
  for (int h = 0; h < NH; h++) {
    float* uh = u + (long)h * C;
    std::fill(uh, uh + C, 0.f);
    for (int d = 0; d < HS; d++) cls_axpy(uh, sc * qb[h * HS + d], kv.k_w + (long)(h * HS + d) * C, C);
    for (int i = 0; i < rK; i++) {
      float acc = 0.f;
      for (int d = 0; d < HS; d++) acc += qb[h * HS + d] * kv.k_B[(long)(h * HS + d) * rK + i];
      rk[h * rK + i] = sc * kv.scale * acc;
    }
    ck[h] = kv.k_b ? sc * cls_dot(qb + h * HS, kv.k_b + h * HS, HS) : 0.f;
  }
  const float* xb = x + (long)b * Tn * C;
  for (int j = 0; j < Tn; j++) {
    const bool keep = !mask || mask[(long)b * Tn + j];
    const float* hkj = rK ? kv.hk + ((long)b * Tn + j) * rK : nullptr;
    for (int h = 0; h < NH; h++) {
      float v = -std::numeric_limits<float>::infinity();
      if (keep) {
        v = cls_dot(u + (long)h * C, xb + (long)j * C, C) + ck[h];
        for (int i = 0; i < rK; i++) v += rk[h * rK + i] * hkj[i];
      }
      s[(long)h * Tn + j] = v;
    }
  }
}

// Sequence b: out (B,C), lse (B,NH); scratch: cls_kv_forward_scratch floats.
static void attention_cls_kv_seq_forward(float* out, float* lse, const float* x, const float* q, const ClsKV& kv, const uint8_t* mask,
                                         int b, int NH, int Tn, int HS, float p, uint64_t seed, float* scratch) {
  const int C = NH * HS, r = kv.r, rV = kv.hv ? r : 0;
  float *u = scratch, *z = u + (long)NH * C, *rk = z + (long)NH * C, *w = rk + (long)NH * r, *ck = w + (long)NH * r, *s = ck + NH;
  cls_kv_scores(u, rk, ck, s, x, q, kv, mask, b, NH, Tn, HS);
  const float* xb = x + (long)b * Tn * C;
  for (int h = 0; h < NH; h++) {
    float* sh = s + (long)h * Tn;
    float* o = out + (long)b * C + h * HS;
    std::fill(o, o + HS, 0.f);
    float mx = -std::numeric_limits<float>::infinity();
    for (int j = 0; j < Tn; j++) mx = std::max(mx, sh[j]);
    if (mx == -std::numeric_limits<float>::infinity()) {  // every key padded
      lse[(long)b * NH + h] = mx;
      continue;
    }
    float sum = 0.f;
    for (int j = 0; j < Tn; j++) sum += (sh[j] = std::exp(sh[j] - mx));
    lse[(long)b * NH + h] = mx + std::log(sum);
    float *zh = z + (long)h * C, *wh = w + (long)h * r, sigma = 0.f;
    std::fill(zh, zh + C, 0.f);
    std::fill(wh, wh + r, 0.f);
    for (int j = 0; j < Tn; j++) {
      if (sh[j] == 0.f) continue;
      const float pj = sh[j] / sum * (p > 0 ? dropout_scale(seed, att_index(b, h, 0, j, NH, Tn), p) : 1.f);
      sigma += pj;
      cls_axpy(zh, pj, xb + (long)j * C, C);
      for (int i = 0; i < rV; i++) wh[i] += pj * kv.hv[((long)b * Tn + j) * rV + i];
    }
    for (int d = 0; d < HS; d++) {
      const int oc = h * HS + d;
      float acc = cls_dot(kv.v_w + (long)oc * C, zh, C) + (kv.v_b ? kv.v_b[oc] * sigma : 0.f);
      for (int i = 0; i < rV; i++) acc += kv.scale * kv.v_B[(long)oc * rV + i] * wh[i];
      o[d] = acc;
    }
  }
}

// Sequence b's backward: dx (B·T,C) += (null: skipped), dq (B,C) +=, dhk, dhv (B·T,r) += where the
// adapter exists; kept (cls_kv_kept floats) receives its du, z, drk, w, dck, σ for the parameter
// gradients (z, w and σ only where g asks for the value's). scratch: cls_kv_backward_scratch floats.
static void attention_cls_kv_seq_backward(float* dx, float* dq, float* dhk, float* dhv, float* kept, const ClsKVGrads& g,
                                          const float* dout, const float* x, const float* q, const ClsKV& kv, const float* lse,
                                          const uint8_t* mask, int b, int NH, int Tn, int HS, float p, uint64_t seed, float* scratch) {
  const int C = NH * HS, r = kv.r, rK = kv.hk ? r : 0, rV = kv.hv ? r : 0;
  const float sc = 1.f / std::sqrt((float)HS);
  float *du = kept, *z = du + (long)NH * C, *drk = z + (long)NH * C, *w = drk + (long)NH * r, *dck = w + (long)NH * r, *sig = dck + NH;
  std::fill(kept, kept + cls_kv_kept(NH, C, r), 0.f);
  float *u = scratch, *dz = u + (long)NH * C, *rk = dz + (long)NH * C, *dw = rk + (long)NH * r, *ck = dw + (long)NH * r;
  float *dsig = ck + NH, *P = dsig + NH, *pd = P + (long)NH * Tn, *ds = pd + (long)NH * Tn;
  cls_kv_scores(u, rk, ck, P, x, q, kv, mask, b, NH, Tn, HS);
  const float* xb = x + (long)b * Tn * C;
  const float* dO = dout + (long)b * C;
  const bool value_grads = g.v_w || g.v_b || (g.v_B && rV);
  for (int h = 0; h < NH; h++) {
    float *Ph = P + (long)h * Tn, *pdh = pd + (long)h * Tn, *dsh = ds + (long)h * Tn;
    const float L = lse[(long)b * NH + h];
    if (L == -std::numeric_limits<float>::infinity()) {  // every key padded: no gradient
      std::fill(Ph, Ph + Tn, 0.f), std::fill(pdh, pdh + Tn, 0.f), std::fill(dsh, dsh + Tn, 0.f);
      continue;
    }
    // what out_h's gradient asks of each p̃_hj: dz_h·x_j + dw_h·hv_j + dσ_h
    float *dzh = dz + (long)h * C, *dwh = dw + (long)h * r;
    std::fill(dzh, dzh + C, 0.f);
    dsig[h] = 0.f;
    for (int d = 0; d < HS; d++) {
      const int oc = h * HS + d;
      cls_axpy(dzh, dO[oc], kv.v_w + (long)oc * C, C);
      if (kv.v_b) dsig[h] += dO[oc] * kv.v_b[oc];
    }
    for (int i = 0; i < rV; i++) {
      float acc = 0.f;
      for (int d = 0; d < HS; d++) acc += dO[h * HS + d] * kv.v_B[(long)(h * HS + d) * rV + i];
      dwh[i] = kv.scale * acc;
    }
    float dot = 0.f;
    for (int j = 0; j < Tn; j++) {
      Ph[j] = std::exp(Ph[j] - L);  // −∞ (padded) gives 0
      if (Ph[j] == 0.f) {
        pdh[j] = dsh[j] = 0.f;
        continue;
      }
      const float keep = p > 0 ? dropout_scale(seed, att_index(b, h, 0, j, NH, Tn), p) : 1.f;
      float dp = cls_dot(dzh, xb + (long)j * C, C) + dsig[h];
      for (int i = 0; i < rV; i++) dp += dwh[i] * kv.hv[((long)b * Tn + j) * rV + i];
      pdh[j] = Ph[j] * keep;
      dsh[j] = dp * keep;  // dP_j for now
      dot += Ph[j] * dsh[j];
    }
    for (int j = 0; j < Tn; j++) dsh[j] = Ph[j] * (dsh[j] - dot);
    // du_h, drk_h, dck_h (the query side's gradients) and the value side's z_h, w_h, σ_h
    float *duh = du + (long)h * C, *zh = z + (long)h * C;
    for (int j = 0; j < Tn; j++) {
      if (Ph[j] == 0.f) continue;
      const float* xj = xb + (long)j * C;
      cls_axpy(duh, dsh[j], xj, C);
      dck[h] += dsh[j];
      for (int i = 0; i < rK; i++) drk[h * r + i] += dsh[j] * kv.hk[((long)b * Tn + j) * rK + i];
      if (!value_grads) continue;
      if (g.v_w) cls_axpy(zh, pdh[j], xj, C);
      sig[h] += pdh[j];
      for (int i = 0; i < rV; i++) w[h * r + i] += pdh[j] * kv.hv[((long)b * Tn + j) * rV + i];
    }
    for (int d = 0; d < HS; d++) {
      const int oc = h * HS + d;
      float acc = cls_dot(kv.k_w + (long)oc * C, duh, C) + (kv.k_b ? kv.k_b[oc] * dck[h] : 0.f);
      for (int i = 0; i < rK; i++) acc += kv.scale * kv.k_B[(long)oc * rK + i] * drk[h * r + i];
      dq[(long)b * C + oc] += sc * acc;
    }
  }
  // each token: dx_j += Σ_h p̃_hj dz_h + ds_hj u_h; dhk_j += Σ_h ds_hj rk_h; dhv_j += Σ_h p̃_hj dw_h
  for (int j = 0; j < Tn; j++) {
    const long row = (long)b * Tn + j;
    for (int h = 0; h < NH; h++) {
      const float pj = pd[(long)h * Tn + j], sj = ds[(long)h * Tn + j];
      if (pj == 0.f && sj == 0.f) continue;
      if (dx) cls_axpy2(dx + row * C, pj, dz + (long)h * C, sj, u + (long)h * C, C);
      for (int i = 0; i < rK; i++) dhk[row * rK + i] += sj * rk[h * rK + i];
      for (int i = 0; i < rV; i++) dhv[row * rV + i] += pj * dw[h * r + i];
    }
  }
}

// Row o (< C) of each parameter gradient in g from every sequence's kept values, summed over the
// sequences in order (the same result however the rows are split across threads).
static void attention_cls_kv_param_grads_row(const ClsKVGrads& g, const float* kept, const float* dout, const float* q, const ClsKV& kv,
                                             int o, int B, int NH, int HS) {
  const int C = NH * HS, r = kv.r, rK = kv.hk ? r : 0, rV = kv.hv ? r : 0, h = o / HS;
  const float sc = 1.f / std::sqrt((float)HS);
  const size_t stride = cls_kv_kept(NH, C, r);
  for (int b = 0; b < B; b++) {
    const float* k = kept + b * stride;
    const float *du = k + (long)h * C, *z = k + (long)(NH + h) * C, *drk = k + 2L * NH * C + h * r;
    const float *w = k + 2L * NH * C + (long)NH * r + h * r, dck = k[2L * NH * C + 2L * NH * r + h], sig = k[2L * NH * C + 2L * NH * r + NH + h];
    const float qo = sc * q[(long)b * C + o], dO = dout[(long)b * C + o];
    if (g.k_w) cls_axpy(g.k_w + (long)o * C, qo, du, C);
    if (g.k_b) g.k_b[o] += qo * dck;
    if (g.k_B) for (int i = 0; i < rK; i++) g.k_B[(long)o * rK + i] += qo * kv.scale * drk[i];
    if (g.v_w) cls_axpy(g.v_w + (long)o * C, dO, z, C);
    if (g.v_b) g.v_b[o] += dO * sig;
    if (g.v_B) for (int i = 0; i < rV; i++) g.v_B[(long)o * rV + i] += kv.scale * dO * w[i];
  }
}

// Whole batches, serially (the ref backend).
static void attention_cls_kv_forward(float* out, float* lse, const float* x, const float* q, const ClsKV& kv, const uint8_t* mask, int B,
                                     int NH, int Tn, int HS, float p, uint64_t seed) {
  std::vector<float> s(cls_kv_forward_scratch(NH, Tn, NH * HS, kv.r));
  for (int b = 0; b < B; b++) attention_cls_kv_seq_forward(out, lse, x, q, kv, mask, b, NH, Tn, HS, p, seed, s.data());
}

static void attention_cls_kv_backward(float* dx, float* dq, float* dhk, float* dhv, const ClsKVGrads& g, const float* dout, const float* x,
                                      const float* q, const ClsKV& kv, const float* lse, const uint8_t* mask, int B, int NH, int Tn,
                                      int HS, float p, uint64_t seed) {
  const int C = NH * HS;
  std::vector<float> s(cls_kv_backward_scratch(NH, Tn, C, kv.r)), kept(B * cls_kv_kept(NH, C, kv.r));
  for (int b = 0; b < B; b++)
    attention_cls_kv_seq_backward(dx, dq, dhk, dhv, kept.data() + b * cls_kv_kept(NH, C, kv.r), g, dout, x, q, kv, lse, mask, b, NH, Tn, HS,
                                  p, seed, s.data());
  for (int o = 0; o < C; o++) attention_cls_kv_param_grads_row(g, kept.data(), dout, q, kv, o, B, NH, HS);
}

}  // namespace tbw::ref
