// The int8 GEMM driver shared by the SIMD variants: quantize each token's activations
// (tbw::quantize_token_int8, so all variants see the same codes), pack the weight codes
// into the kernel's panel layout, then run the kernel's register tiles over
// (token block x panel block) tasks on the shared pool. The weight is repacked every
// call: a BERT forward has N = batch·tokens ≥ T rows, so packing OC·C bytes is small
// beside the N·OC·C multiply-adds, and the file format stays plain (OC,C).
//
// Kernel contract:
//   K::Act      activation element type in the packed buffer
//   K::KSTEP    k values per dot-product step (C is padded to a multiple)
//   K::NR       output channels per panel; K::MR tokens and K::GR panels per register tile
//   K::pack(dst, codes, panel, C, Ck, OC)            one panel: Ck·NR weight values
//   K::quantize(dst, qsum, x, C, Ck) -> scale        one token, the same codes as quantize_token_int8
//   K::tile(out, acts, xs, xsum, panels, scale, bias, n0, mr, g0, gr, Ck, OC)
#pragma once
#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "tbw/fast_exp.h"
#include "tbw/quant.h"
#include "tbw/threadpool.h"

namespace tbw {

// The packed panels of frozen weights (see CpuBackend::set_frozen_weights), per kernel type.
template <class K>
struct FrozenPanels {
  uint64_t token = 0;
  std::unordered_map<const int8_t*, std::vector<typename K::Pack>> panels;
};

// Each part: out = inp · codesᵀ (per-channel scales) + bias, and GELU(out) into gelu_out when set.
// The activations are quantized once for all parts (query, key and value share their input).
template <class K>
void int8_gemm_packed(const Int8Part* parts, int n_parts, const float* inp, int N, int C, int OC, uint64_t frozen) {
  using Act = typename K::Act;
  using Pack = typename K::Pack;
  constexpr int MAX_PARTS = 4;
  if (n_parts > MAX_PARTS) {
    for (int i = 0; i < n_parts; i += MAX_PARTS) int8_gemm_packed<K>(parts + i, std::min(MAX_PARTS, n_parts - i), inp, N, C, OC, frozen);
    return;
  }
  const int Ck = (C + K::KSTEP - 1) / K::KSTEP * K::KSTEP;
  const int panels = (OC + K::NR - 1) / K::NR;
  const size_t panel_size = (size_t)panels * Ck * K::NR;
  static thread_local std::vector<Act> acts;
  static thread_local std::vector<float> xs;
  static thread_local std::vector<int32_t> xsum;
  static thread_local std::vector<Pack> wp[MAX_PARTS];
  acts.resize((size_t)N * Ck), xs.resize(N), xsum.resize(N);
  Act* A = acts.data();
  float* XS = xs.data();
  int32_t* XSUM = xsum.data();

  constexpr int ROWS = 16;
  parallel_for((N + ROWS - 1) / ROWS, [&](int t, int) {
    for (int n = t * ROWS; n < std::min(N, (t + 1) * ROWS); n++) XS[n] = K::quantize(A + (size_t)n * Ck, &XSUM[n], inp + (long)n * C, C, Ck);
  });
  const Pack* W[MAX_PARTS];
  static FrozenPanels<K> cache;
  if (frozen && cache.token != frozen) cache.panels.clear(), cache.token = frozen;
  for (int i = 0; i < n_parts; i++) {
    std::vector<Pack>& packed = frozen ? cache.panels[parts[i].codes] : wp[i];
    if (!frozen || packed.size() != panel_size) {
      packed.resize(panel_size);
      parallel_for(panels, [&](int g, int) { K::pack(packed.data() + (size_t)g * Ck * K::NR, parts[i].codes, g, C, Ck, OC); });
    }
    W[i] = packed.data();
  }

  // Tasks: blocks of 48 tokens x 6 panels of one part, so both threads get work even at batch 1.
  constexpr int NB = 48;
  const int PB = 6;
  const int nt = (N + NB - 1) / NB, pt = (panels + PB - 1) / PB;
  parallel_for(nt * pt * n_parts, [&](int task, int) {
    const Int8Part& part = parts[task / (nt * pt)];
    const Pack* Wp = W[task / (nt * pt)];
    const int t = task % (nt * pt);
    const int n_lo = (t / pt) * NB, n_hi = std::min(N, n_lo + NB);
    const int g_lo = (t % pt) * PB, g_hi = std::min(panels, g_lo + PB);
    for (int g = g_lo; g < g_hi; g += K::GR)
      for (int n = n_lo; n < n_hi; n += K::MR)
        K::tile(part.out, A, XS, XSUM, Wp, part.scale, part.bias, n, std::min(K::MR, n_hi - n), g, std::min(K::GR, g_hi - g), Ck, OC);
    if (part.gelu_out) {  // this block of out is final and still in cache
      const int o0 = g_lo * K::NR, o1 = std::min(OC, g_hi * K::NR);
      for (int n = n_lo; n < n_hi; n++) gelu_span(part.gelu_out + (long)n * OC + o0, part.out + (long)n * OC + o0, o1 - o0);
    }
  });
}

}  // namespace tbw
