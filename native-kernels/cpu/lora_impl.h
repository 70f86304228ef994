// LoRA's adapter path on the CPU backends: y = x·Wᵀ + b + scale·dropout(x)·Aᵀ·Bmᵀ, A (r,C), Bm (OC,r).
// dropout(x) is never stored: the down-projection h = dropout(x)·Aᵀ and the backward's dA take x a
// block of rows at a time through a small buffer; the up-projection rides in the base GEMM as its
// addend, and so does the input gradient's dh·A under the same dropout mask.
#pragma once
#include <algorithm>
#include <vector>

#include "gemm/linear_args.h"
#include "ops/ops_impl.h"

namespace tbw {
namespace TBW_NS {

constexpr int LORA_ROWS = 96;   // rows of x per block: the dropped-out block stays in L2
constexpr int LORA_MAX_SHARED = 4;

// Rows [m0, m0+rows) of dropout(inp) with seed: inp itself when p = 0, else buf.
inline const float* lora_dropped_rows(float* buf, const float* inp, int m0, int rows, int C, float p, uint64_t seed) {
  const float* x = inp + (long)m0 * C;
  if (p <= 0.f) return x;
  dropout_span<false>(buf, x, (long)m0 * C, (long)(m0 + rows) * C, p, seed);
  return buf;
}

// h[i] (N,r) = dropout_i(inp)·A[i]ᵀ for n adapters on one input (each its own mask): one pass over inp.
inline void lora_down(int n, float* const* h, const float* inp, const float* const* A, int N, int C, int r, float p,
                      const uint64_t* seeds) {
  static AlignedBuffer packs[LORA_MAX_SHARED];
  const float* packed[LORA_MAX_SHARED] = {};
  const int panels = (r + Gemm::NR - 1) / Gemm::NR;
  for (int i = 0; i < n && C <= Gemm::KC_SINGLE; i++) {  // each A packed once, not once per block
    float* b = packs[i].get((size_t)panels * C * Gemm::NR);
    Gemm::pack_b({A[i], 1, C}, r, b, panels, 0, C);
    packed[i] = b;
  }
  parallel_for((N + LORA_ROWS - 1) / LORA_ROWS, [&](int t, int) {
    const int m0 = t * LORA_ROWS, rows = std::min(LORA_ROWS, N - m0);
    static thread_local AlignedBuffer buf;
    float* xd = p > 0.f ? buf.get((size_t)LORA_ROWS * C) : nullptr;
    for (int i = 0; i < n; i++) {
      GemmArgs g = linear_args(h[i] + (long)m0 * r, lora_dropped_rows(xd, inp, m0, rows, C, p, seeds[i]), A[i], rows, C, r);
      g.b_packed = packed[i];
      Gemm::run(g);  // serial inside this task
    }
  });
}

// Row blocks [0, blocks) split into one fixed run per task; each task sums its blocks' share of an
// (n)-float gradient into its own buffer, and the buffers are added to grad in task order: the
// same result on every run with the same thread count. fn(block, partial).
template <class F>
inline void sum_over_row_blocks(float* grad, size_t n, int blocks, F&& fn) {
  static std::vector<AlignedBuffer> partials(64);
  const int tasks = std::min({num_threads(), blocks, 64});
  parallel_for(tasks, [&](int t, int) {
    float* part = partials[t].get(n);
    std::fill(part, part + n, 0.f);
    for (int b = (int)((long)blocks * t / tasks); b < (int)((long)blocks * (t + 1) / tasks); b++) fn(b, part);
  });
  for (int t = 0; t < tasks; t++) {
    const float* part = partials[t].get(n);
    for (size_t i = 0; i < n; i++) grad[i] += part[i];
  }
}

// dA (r,C) += dhᵀ·dropout(inp), dropout(inp) rebuilt a block of rows at a time.
inline void lora_grad_A(float* dA, const float* dh, const float* inp, int N, int C, int r, float p, uint64_t seed) {
  if (p <= 0.f) {
    GemmArgs g = linear_dweight_args(dA, dh, inp, N, C, r);
    g.accumulate = true;
    Gemm::run(g);
    return;
  }
  sum_over_row_blocks(dA, (size_t)r * C, (N + LORA_ROWS - 1) / LORA_ROWS, [&](int b, float* part) {
    static thread_local AlignedBuffer buf;
    const int m0 = b * LORA_ROWS, rows = std::min(LORA_ROWS, N - m0);
    const float* xd = lora_dropped_rows(buf.get((size_t)LORA_ROWS * C), inp, m0, rows, C, p, seed);
    GemmArgs g = linear_dweight_args(part, dh + (long)m0 * r, xd, rows, C, r);
    g.accumulate = true;
    Gemm::run(g);
  });
}

// dinp (N,C) += dropout_backward(dh·A) alone (a folded key or value: no base product to ride in),
// a block of rows at a time through a small buffer.
inline void lora_grad_inp(float* dinp, const float* dh, const float* A, int N, int C, int r, float p, uint64_t seed) {
  parallel_for((N + LORA_ROWS - 1) / LORA_ROWS, [&](int t, int) {
    const int m0 = t * LORA_ROWS, rows = std::min(LORA_ROWS, N - m0);
    static thread_local AlignedBuffer buf;
    float* out = dinp + (long)m0 * C;
    GemmArgs g = linear_dinp_args(p > 0.f ? buf.get((size_t)LORA_ROWS * C) : out, dh + (long)m0 * r, A, rows, C, r);
    g.accumulate = p <= 0.f;
    Gemm::run(g);  // serial inside this task
    if (p > 0.f) dropout_span<true>(out, g.C, (long)m0 * C, (long)(m0 + rows) * C, p, seed);
  });
}

// dh (N,r) = scale·dout·Bm and dB (OC,r) += scale·doutᵀ·h in one pass over dout: each block of
// rows serves both products while it is in cache.
inline void lora_grad_h_B(float* dh, float* dB, const float* dout, const float* Bm, const float* h, int N, int OC, int r,
                          float scale) {
  static AlignedBuffer bm_pack;
  const float* packed = nullptr;
  const int panels = (r + Gemm::NR - 1) / Gemm::NR;
  if (OC <= Gemm::KC_SINGLE) {
    float* b = bm_pack.get((size_t)panels * OC * Gemm::NR);
    Gemm::pack_b({Bm, r, 1}, r, b, panels, 0, OC);
    packed = b;
  }
  sum_over_row_blocks(dB, (size_t)OC * r, (N + LORA_ROWS - 1) / LORA_ROWS, [&](int b, float* part) {
    const int m0 = b * LORA_ROWS, rows = std::min(LORA_ROWS, N - m0);
    GemmArgs gh = linear_dinp_args(dh + (long)m0 * r, dout + (long)m0 * OC, Bm, rows, r, OC);
    gh.alpha = scale;
    gh.b_packed = packed;
    Gemm::run(gh);
    GemmArgs gb = linear_dweight_args(part, dout + (long)m0 * OC, h + (long)m0 * r, rows, r, OC);
    gb.alpha = scale;
    gb.accumulate = true;
    Gemm::run(gb);
  });
}

// The up-projection as the base GEMM's addend: out += scale · h·Bmᵀ
inline GemmAddend lora_up_addend(const float* h, const float* Bm, int r, float scale) {
  GemmAddend e;
  e.K = r, e.A = h, e.a_rs = r, e.a_cs = 1;
  e.B = Bm, e.b_rs = 1, e.b_cs = r;
  e.alpha = scale;
  return e;
}

// The input gradient's adapter term as the dinp GEMM's addend: dinp += dropout_backward(dh·A)
inline GemmAddend lora_dinp_addend(const float* dh, const float* A, int C, int r, float p, uint64_t seed) {
  GemmAddend e;
  e.K = r, e.A = dh, e.a_rs = r, e.a_cs = 1;
  e.B = A, e.b_rs = C, e.b_cs = 1;
  e.drop_p = p, e.drop_seed = seed;
  return e;
}

}  // namespace TBW_NS
}  // namespace tbw
