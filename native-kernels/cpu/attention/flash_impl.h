// Flash attention, written once and compiled per variant (variant_*.cpp
// include it with their own compiler flags). Tiles are sized so the inner
// loops run over contiguous, fixed-length rows the compiler vectorizes.
// Parallel over (batch, head): each task owns its rows of out/dq/dk/dv.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "../gemm/aligned_buffer.h"
#include "tbw/attention.h"
#include "tbw/ref/attention.h"
#include "tbw/rng.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

constexpr int BR = 32;  // query rows per tile
constexpr int BC = 64;  // keys per tile
constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

// Per-thread scratch, sized by head size, reused across calls.
struct Workspace {
  AlignedBuffer buf;
  float *s, *dp, *kt, *vt, *o, *m, *l, *dk, *dv, *d;
  void reserve(int HS) {
    const size_t tile = (size_t)BR * BC, tr = (size_t)HS * BC, rows = (size_t)BR * HS, keys = (size_t)BC * HS;
    float* p = buf.get(floats(HS));
    s = p, dp = s + tile, kt = dp + tile, vt = kt + tr, o = vt + tr;
    m = o + rows, l = m + BR, d = l + BR, dk = d + BR, dv = dk + keys;
  }
  static size_t floats(int HS) { return 2 * (size_t)BR * BC + 2 * (size_t)HS * BC + (size_t)BR * HS + 3 * BR + 2 * (size_t)BC * HS + 16; }
};

// Scratch for every pool thread (created on the calling thread, before parallel_for).
inline std::vector<std::unique_ptr<Workspace>>& workspaces() {
  static std::vector<std::unique_ptr<Workspace>> ws;
  while ((int)ws.size() < num_threads()) ws.push_back(std::make_unique<Workspace>());
  return ws;
}

inline bool tile_all_padded(const uint8_t* mask_b, int j0, int bc) {
  if (!mask_b) return false;
  for (int j = 0; j < bc; j++)
    if (mask_b[j0 + j]) return false;
  return true;
}

// S (br,BC) = Q rows [i0,i0+br) · K tileᵀ * scale, with padded keys at -inf
inline void scores(float* s, const float* Q, const float* kt, const uint8_t* mask_b, int i0, int br, int j0, int bc, int HS,
                   float scale) {
  for (int i = 0; i < br; i++) {
    float* si = s + i * BC;
    for (int j = 0; j < BC; j++) si[j] = 0.f;
    const float* qi = Q + (long)(i0 + i) * HS;
    for (int d = 0; d < HS; d++) {
      const float qd = qi[d] * scale;
      const float* ktd = kt + d * BC;
      for (int j = 0; j < BC; j++) si[j] += qd * ktd[j];
    }
    for (int j = bc; j < BC; j++) si[j] = NEG_INF;
    if (mask_b)
      for (int j = 0; j < bc; j++)
        if (!mask_b[j0 + j]) si[j] = NEG_INF;
  }
}

// (bc,HS) rows starting at j0 -> (HS,BC) transposed, zero padded
inline void transpose_tile(float* dst, const float* src, int j0, int bc, int HS) {
  for (int d = 0; d < HS; d++)
    for (int j = 0; j < BC; j++) dst[d * BC + j] = j < bc ? src[(long)(j0 + j) * HS + d] : 0.f;
}

inline void forward_head(Workspace& w, float* out, float* lse, const float* Q, const float* K, const float* V,
                         const uint8_t* mask_b, int b, int h, const AttentionShape& s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS;
  const float scale = 1.f / std::sqrt((float)HS);
  for (int i0 = 0; i0 < T; i0 += BR) {
    const int br = std::min(BR, T - i0);
    for (int i = 0; i < br; i++) w.m[i] = NEG_INF, w.l[i] = 0.f;
    std::fill(w.o, w.o + (size_t)br * HS, 0.f);
    for (int j0 = 0; j0 < T; j0 += BC) {
      const int bc = std::min(BC, T - j0);
      if (tile_all_padded(mask_b, j0, bc)) continue;
      transpose_tile(w.kt, K, j0, bc, HS);
      scores(w.s, Q, w.kt, mask_b, i0, br, j0, bc, HS, scale);
      for (int i = 0; i < br; i++) {
        float* si = w.s + i * BC;
        float mx = w.m[i];
        for (int j = 0; j < bc; j++) mx = std::max(mx, si[j]);
        if (mx == NEG_INF) continue;  // every key so far padded
        const float alpha = std::exp(w.m[i] - mx);
        float sum = 0.f;
        for (int j = 0; j < BC; j++) {
          si[j] = std::exp(si[j] - mx);
          sum += si[j];
        }
        w.l[i] = w.l[i] * alpha + sum;
        w.m[i] = mx;
        float* oi = w.o + (size_t)i * HS;
        for (int d = 0; d < HS; d++) oi[d] *= alpha;
        if (p > 0)
          for (int j = 0; j < bc; j++) si[j] *= dropout_scale(seed, ref::att_index(b, h, i0 + i, j0 + j, s.NH, T), p);
        for (int j = 0; j < bc; j++) {
          const float pj = si[j];
          const float* vj = V + (long)(j0 + j) * HS;
          for (int d = 0; d < HS; d++) oi[d] += pj * vj[d];
        }
      }
    }
    for (int i = 0; i < br; i++) {
      float* dst = out + (long)(i0 + i) * HS;
      const float inv = w.l[i] > 0.f ? 1.f / w.l[i] : 0.f;
      for (int d = 0; d < HS; d++) dst[d] = w.o[(size_t)i * HS + d] * inv;
      lse[i0 + i] = w.l[i] > 0.f ? w.m[i] + std::log(w.l[i]) : NEG_INF;
    }
  }
}

inline void backward_head(Workspace& w, float* dq, float* dk, float* dv, const float* dO, const float* Q, const float* K,
                          const float* V, const float* O, const float* lse, const uint8_t* mask_b, int b, int h,
                          const AttentionShape& s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS;
  const float scale = 1.f / std::sqrt((float)HS);
  for (int j0 = 0; j0 < T; j0 += BC) {
    const int bc = std::min(BC, T - j0);
    if (tile_all_padded(mask_b, j0, bc)) continue;  // padded keys get no gradient
    transpose_tile(w.kt, K, j0, bc, HS);
    transpose_tile(w.vt, V, j0, bc, HS);
    std::fill(w.dk, w.dk + (size_t)BC * HS, 0.f);
    std::fill(w.dv, w.dv + (size_t)BC * HS, 0.f);
    for (int i0 = 0; i0 < T; i0 += BR) {
      const int br = std::min(BR, T - i0);
      scores(w.s, Q, w.kt, mask_b, i0, br, j0, bc, HS, scale);
      for (int i = 0; i < br; i++) {
        const float* doi = dO + (long)(i0 + i) * HS;
        const float* oi = O + (long)(i0 + i) * HS;
        float D = 0.f;
        for (int d = 0; d < HS; d++) D += doi[d] * oi[d];
        float* si = w.s + i * BC;  // becomes P, then dS
        float* dpi = w.dp + i * BC;
        const float L = lse[i0 + i];
        for (int j = 0; j < BC; j++) si[j] = L == NEG_INF ? 0.f : std::exp(si[j] - L);
        // dP = dO · Vᵀ
        for (int j = 0; j < BC; j++) dpi[j] = 0.f;
        for (int d = 0; d < HS; d++) {
          const float g = doi[d];
          const float* vtd = w.vt + d * BC;
          for (int j = 0; j < BC; j++) dpi[j] += g * vtd[j];
        }
        for (int j = 0; j < bc; j++) {
          const float keep = p > 0 ? dropout_scale(seed, ref::att_index(b, h, i0 + i, j0 + j, s.NH, T), p) : 1.f;
          const float pd = si[j] * keep;
          float* dvj = w.dv + (size_t)j * HS;
          for (int d = 0; d < HS; d++) dvj[d] += pd * doi[d];
          si[j] = si[j] * (dpi[j] * keep - D) * scale;  // dS, scaled
        }
        float* dqi = dq + (long)(i0 + i) * HS;
        const float* qi = Q + (long)(i0 + i) * HS;
        for (int j = 0; j < bc; j++) {
          const float ds = si[j];
          const float* kj = K + (long)(j0 + j) * HS;
          float* dkj = w.dk + (size_t)j * HS;
          for (int d = 0; d < HS; d++) {
            dqi[d] += ds * kj[d];
            dkj[d] += ds * qi[d];
          }
        }
      }
    }
    for (int j = 0; j < bc; j++)
      for (int d = 0; d < HS; d++) {
        dk[(long)(j0 + j) * HS + d] += w.dk[(size_t)j * HS + d];
        dv[(long)(j0 + j) * HS + d] += w.dv[(size_t)j * HS + d];
      }
  }
}

inline void forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                    AttentionShape s, float p, uint64_t seed) {
  auto& ws = workspaces();
  for (auto& w : ws) w->reserve(s.HS);
  const long head = (long)s.T * s.HS;
  parallel_for(s.B * s.NH, [&](int bh, int thread) {
    const int b = bh / s.NH, h = bh % s.NH;
    forward_head(*ws[thread], out + bh * head, lse + (long)bh * s.T, q + bh * head, k + bh * head, v + bh * head,
                 mask ? mask + (long)b * s.T : nullptr, b, h, s, p, seed);
  });
}

inline void backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                     const float* out, const float* lse, const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  auto& ws = workspaces();
  for (auto& w : ws) w->reserve(s.HS);
  const long head = (long)s.T * s.HS;
  parallel_for(s.B * s.NH, [&](int bh, int thread) {
    const int b = bh / s.NH, h = bh % s.NH;
    backward_head(*ws[thread], dq + bh * head, dk + bh * head, dv + bh * head, dout + bh * head, q + bh * head,
                  k + bh * head, v + bh * head, out + bh * head, lse + (long)bh * s.T, mask ? mask + (long)b * s.T : nullptr,
                  b, h, s, p, seed);
  });
}

}  // namespace TBW_NS
}  // namespace tbw
