// Flash attention, written once and compiled per variant (variant_*.cpp include
// it with their own compiler flags). Per (batch, head) task, Q/K/V/dO are packed
// once into the GEMM micro-kernel's layouts; then query tiles of BR rows meet key
// tiles of BC keys, every product of a tile pair (QKᵀ, PV, dO·Vᵀ, Pᵀ·dO, dSᵀ·Q,
// dS·K) is a run of micro-kernel calls, and the softmax is online (running max m,
// sum l). Nothing of size (T,T) is ever allocated: per-thread tiles and packs only.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "../gemm/aligned_buffer.h"
#include "../ops/dropout_row.h"
#include "softmax_rows.h"
#include "tbw/attention.h"
#include "tbw/carve.h"
#include "tbw/fast_exp.h"
#include "tbw/ref/attention.h"
#include "tbw/rng.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

constexpr int MR = MicroKernel::MR, NR = MicroKernel::NR;
constexpr int BR = 8 * MR;  // query rows per tile (a multiple of MR)
constexpr int BC = 8 * NR;  // keys per tile (a multiple of NR)
constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

// dst[0, width) = src[0, n) then zeros (n <= width): a head's row (26 floats at HS = 26) is too
// short for memcpy/memset calls; AVX-512 does it with masked vectors.
inline void copy_padded(float* __restrict__ dst, const float* __restrict__ src, int n, int width) {
#if defined(__AVX512F__)
  if (width % 16 == 0) {
    for (int j = 0; j < width; j += 16) {
      const int left = n - j;
      const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1u);
      _mm512_storeu_ps(dst + j, _mm512_maskz_loadu_ps(m, src + j));
    }
    return;
  }
#endif
  int j = 0;
  for (; j < n; j++) dst[j] = src[j];
  for (; j < width; j++) dst[j] = 0.f;
}

// dst[0, n) = s · src[0, n)
inline void scale_row(float* __restrict__ dst, const float* __restrict__ src, int n, float s) {
#if defined(__AVX512F__)
  const __m512 vs = _mm512_set1_ps(s);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
    _mm512_mask_storeu_ps(dst + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, src + j), vs));
  }
#else
  for (int j = 0; j < n; j++) dst[j] = src[j] * s;
#endif
}

// Packing a head's (T, HS) matrix X (row stride ld) into micro-kernel layouts (zero padded):
//   as A, rows = T:          slivers of MR rows, each [HS][MR]
//   as B over HS columns:    panels of NR columns of d, each [T][NR]   (k = row)
//   as B over T columns (Xᵀ): panels of NR rows of X, each [HS][NR]    (k = d)
inline void pack_rows_as_a(float* __restrict__ dst, const float* __restrict__ X, int T, int HS, long ld) {
  for (int r0 = 0; r0 < T; r0 += MR, dst += (size_t)HS * MR) {
    const int mr = std::min(MR, T - r0);
    if (mr < MR) std::fill(dst, dst + (size_t)HS * MR, 0.f);
    for (int i = 0; i < mr; i++) {
      const float* __restrict__ row = X + (r0 + i) * ld;
      for (int d = 0; d < HS; d++) dst[(size_t)d * MR + i] = row[d];
    }
  }
}

inline void pack_rows_as_b(float* __restrict__ dst, const float* __restrict__ X, int T, int HS, long ld) {
  for (int c0 = 0; c0 < HS; c0 += NR, dst += (size_t)T * NR) {
    const int nr = std::min(NR, HS - c0);
    for (int k = 0; k < T; k++) copy_padded(dst + (size_t)k * NR, X + k * ld + c0, nr, NR);
  }
}

#if defined(__AVX512F__)
// Register-transposed 16x16 blocks: r[i] = src row i (cols lanes, zero past rows/cols), then
// lane k of every row gathered into r[k].
inline void load_transposed16(__m512 r[16], const float* src, long ld, int rows, int cols) {
  const __mmask16 m = tail_mask(cols);
  for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(m, src + i * ld) : _mm512_setzero_ps();
  transpose16(r);
}

// dst[k*dst_ld + i] (+)= src[i*src_ld + k] for i < rows, k < cols, 16x16 at a time
template <bool ADD>
inline void transpose_rows(float* dst, long dst_ld, const float* src, long src_ld, int rows, int cols) {
  __m512 r[16];
  for (int i0 = 0; i0 < rows; i0 += 16)
    for (int k0 = 0; k0 < cols; k0 += 16) {
      const int ri = std::min(16, rows - i0), kc = std::min(16, cols - k0);
      load_transposed16(r, src + i0 * src_ld + k0, src_ld, ri, kc);
      const __mmask16 m = tail_mask(ri);
      for (int k = 0; k < kc; k++) {
        float* d = dst + (k0 + k) * dst_ld + i0;
        _mm512_mask_storeu_ps(d, m, ADD ? _mm512_add_ps(r[k], _mm512_maskz_loadu_ps(m, d)) : r[k]);
      }
    }
}
#endif

inline void pack_rows_transposed_as_b(float* __restrict__ dst, const float* __restrict__ X, int T, int HS, long ld) {
#if defined(__AVX512F__)
  if (NR % 16 == 0) {  // each panel: NR rows of X transposed, rows past T zero
    for (int c0 = 0; c0 < T; c0 += NR, dst += (size_t)HS * NR) {
      const int nr = std::min(NR, T - c0);
      if (nr < NR) std::fill(dst, dst + (size_t)HS * NR, 0.f);
      transpose_rows<false>(dst, NR, X + c0 * ld, ld, nr, HS);
    }
    return;
  }
#endif
  for (int c0 = 0; c0 < T; c0 += NR, dst += (size_t)HS * NR) {
    const int nr = std::min(NR, T - c0);
    if (nr < NR) std::fill(dst, dst + (size_t)HS * NR, 0.f);
    for (int j = 0; j < nr; j++) {
      const float* __restrict__ row = X + (c0 + j) * ld;
      for (int d = 0; d < HS; d++) dst[(size_t)d * NR + j] = row[d];
    }
  }
}

// Q and dO as A operands of QKᵀ and dO·Vᵀ: for head sizes up to 64 their rows are copied into a
// row-major buffer with a compile-time row stride (32 or 64, zero padded) that the micro-kernel reads
// in place; larger heads are packed into slivers. Row copies vectorize; sliver packing transposes.
inline int a_row_stride(int HS) { return HS <= 32 ? 32 : HS <= 64 ? 64 : 0; }

inline void prepare_a(float* __restrict__ dst, const float* __restrict__ X, int T, int HS, long ld) {
  const int hsp = a_row_stride(HS);
  if (!hsp) return pack_rows_as_a(dst, X, T, HS, ld);
  const int rows = round_up(T, MR);
  for (int i = 0; i < rows; i++) copy_padded(dst + (size_t)i * hsp, X + i * ld, i < T ? HS : 0, hsp);
}

// C (rows, cols) [+]= alpha · A · B, C row-major with ldc; B from packed panels (panel stride
// b_panel). A is either packed slivers (kc each) or, with compile-time strides, a tile read in place:
// element (i, k) at a[i*A_RS + k*A_CS] (row-major: A_RS = BC, A_CS = 1; transposed: 1, BC).
template <int A_RS = 0, int A_CS = 0>
inline void tile_product(float* C, long ldc, const float* a, int rows, int kc, const float* b_pack, size_t b_panel, int cols,
                         float alpha, bool accumulate) {
  for (int c0 = 0, p = 0; c0 < cols; c0 += NR, p++)
    for (int r0 = 0; r0 < rows; r0 += MR) {
      const int mr = std::min(MR, rows - r0), nr = std::min(NR, cols - c0);
      float* c = C + (long)r0 * ldc + c0;
      if constexpr (A_RS == 0)
        MicroKernel::run(kc, a + (size_t)r0 * kc, b_pack + p * b_panel, c, ldc, mr, nr, accumulate, alpha, nullptr);
      else
        MicroKernel::template run<A_RS, A_CS>(kc, a + (size_t)r0 * A_RS, b_pack + p * b_panel, c, ldc, mr, nr, accumulate,
                                              alpha, nullptr);
    }
}

// S (rows, cols) = alpha · A rows [r0, r0+rows) · B, A from prepare_a
inline void a_product(float* S, const float* a, int r0, int rows, int HS, const float* b_pack, size_t b_panel, int cols, float alpha) {
  switch (a_row_stride(HS)) {
    case 32: return tile_product<32, 1>(S, BC, a + (size_t)r0 * 32, rows, HS, b_pack, b_panel, cols, alpha, false);
    case 64: return tile_product<64, 1>(S, BC, a + (size_t)r0 * 64, rows, HS, b_pack, b_panel, cols, alpha, false);
    default: return tile_product(S, BC, a + (size_t)r0 * HS, rows, HS, b_pack, b_panel, cols, alpha, false);
  }
}

// Head sizes up to 2·DR (26 included) put the head dimension on the micro-kernel's rows (DR per
// call, where the variant's kernel has such a shape) in the products whose output has d as a
// dimension, so d is not padded to NR columns (26 -> 32 wastes a fifth of the FMAs): the forward's
// Oᵀ += Vᵀ·Pᵀ (forward_head_d_rows) and the backward's dVᵀ = dOᵀ·P and dKᵀ = Qᵀ·dS; dQ keeps
// the column layout. DR = 0: the variant has no such kernel.
template <class K, class = void>
struct d_rows_of {
  static constexpr int value = 0;
};
template <class K>
struct d_rows_of<K, std::void_t<decltype(K::D_ROWS)>> {
  static constexpr int value = K::D_ROWS;
};
constexpr int DR = d_rows_of<MicroKernel>::value;
inline bool use_d_rows(int HS) { return DR > 0 && HS <= 2 * DR; }

// Cᵀ (HS, cols; row stride BC) += Xᵀ · Y over rows [i0, i0+rows): X from prepare_a (row stride 32
// for these head sizes) read in place as the transposed A, Y a tile (row stride BC) read in place as B.
template <class Kernel = MicroKernel>  // a template, so variants without D_ROWS never instantiate the call
inline void d_rows_product(float* ct, const float* x, int i0, int rows, const float* y, int cols, int HS) {
  if constexpr (d_rows_of<Kernel>::value > 0) {
    for (int c0 = 0; c0 < cols; c0 += NR)
      for (int d0 = 0; d0 < HS; d0 += DR)
        Kernel::template run<1, 32, BC, DR>(rows, x + (size_t)i0 * 32 + d0, y + c0, ct + (size_t)d0 * BC + c0, BC,
                                                 std::min(DR, HS - d0), std::min(NR, cols - c0), true, 1.f, nullptr);
  }
}

// Per-thread scratch, reused across calls. Every sub-buffer starts 64-byte aligned
// (the micro-kernels use aligned loads of the packed panels).
struct Workspace {
  AlignedBuffer heads, tiles;
  float *qa, *doa, *kb, *vb_t, *vb, *dob_t, *qb, *kbd, *dsum;  // per-head packs; dsum (T) = rowsum(dO∘O)
  float *s, *dp, *pd, *o, *m, *l, *dk, *dv, *keep;  // per-tile buffers; keep: one row's dropout multipliers

  static size_t al(size_t n) { return (n + 15) / 16 * 16; }
  static size_t a_size(int T, int HS) { return al((size_t)round_up(T, MR) * std::max(HS, a_row_stride(HS))); }  // prepare_a
  static size_t bt_size(int T, int HS) { return al((size_t)round_up(T, NR) * HS); }   // B panels over T columns
  static size_t bd_size(int T, int HS) { return al((size_t)round_up(HS, NR) * T); }   // B panels over HS columns
  static size_t head_floats(int T, int HS) { return 2 * a_size(T, HS) + 2 * bt_size(T, HS) + 4 * bd_size(T, HS) + al(T); }
  static size_t tile_floats(int HS) {
    const size_t hsr = round_up(HS, NR);
    return 3 * al((size_t)BR * BC) + al(BR * hsr) + 2 * al(BR) + 2 * al(BC * hsr) + al(BC);
  }
  void reserve(int T, int HS) {
    Carve h(heads.get(head_floats(T, HS)));
    auto take = [&](size_t n) { return h.take(n); };
    qa = take(a_size(T, HS)), doa = take(a_size(T, HS)), kb = take(bt_size(T, HS)), vb_t = take(bt_size(T, HS));
    vb = take(bd_size(T, HS)), dob_t = take(bd_size(T, HS)), qb = take(bd_size(T, HS)), kbd = take(bd_size(T, HS));
    dsum = take(al(T));
    Carve t(tiles.get(tile_floats(HS)));
    const size_t tile = al((size_t)BR * BC), hsr = round_up(HS, NR);
    s = t.take(tile), dp = t.take(tile), pd = t.take(tile);
    o = t.take(al(BR * hsr)), m = t.take(al(BR)), l = t.take(al(BR)), dk = t.take(al(BC * hsr)), dv = t.take(al(BC * hsr));
    keep = t.take(al(BC));
  }
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

inline void mask_scores(float* s, const uint8_t* mask_b, int br, int j0, int bc) {
  if (!mask_b) return;
  for (int j = 0; j < bc; j++)
    if (!mask_b[j0 + j])
      for (int i = 0; i < br; i++) s[i * BC + j] = NEG_INF;
}

inline void forward_head(Workspace& w, float* out, float* lse, const float* Q, const float* K, const float* V,
                         const uint8_t* mask_b, int b, int h, const AttentionShape& s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS;
  const long ld = s.row_stride();
  // Scores are kept in log2 units (scale·log2 e folded into the QKᵀ product), so the
  // softmax needs only 2^x; m is in log2 units, lse is converted back at the end.
  const float scale2 = kLog2e / std::sqrt((float)HS);
  prepare_a(w.qa, Q, T, HS, ld);                  // Q as A (k = d)
  pack_rows_transposed_as_b(w.kb, K, T, HS, ld);  // Kᵀ as B (k = d, n = key)
  pack_rows_as_b(w.vb, V, T, HS, ld);             // V as B (k = key, n = d)
  for (int i0 = 0; i0 < T; i0 += BR) {
    const int br = std::min(BR, T - i0);
    for (int i = 0; i < br; i++) w.m[i] = NEG_INF, w.l[i] = 0.f;
    std::fill(w.o, w.o + (size_t)br * HS, 0.f);
    for (int j0 = 0; j0 < T; j0 += BC) {
      const int bc = std::min(BC, T - j0);
      if (tile_all_padded(mask_b, j0, bc)) continue;
      // S = Q_i · K_jᵀ · scale · log2 e
      a_product(w.s, w.qa, i0, br, HS, w.kb + (size_t)j0 * HS, (size_t)HS * NR, bc, scale2);
      mask_scores(w.s, mask_b, br, j0, bc);
      for (int i = 0; i < br; i++) {
        float* __restrict__ si = w.s + i * BC;
        const float mx = row_max(si, bc, w.m[i]);
        if (mx == NEG_INF) {  // every key so far padded: no contribution
          for (int j = 0; j < bc; j++) si[j] = 0.f;
          continue;
        }
        const float alpha = fast_exp2_nonpos(w.m[i] - mx);
        const float sum = exp2_row_sum(si, bc, mx);
        w.l[i] = w.l[i] * alpha + sum;
        w.m[i] = mx;
        float* __restrict__ oi = w.o + (size_t)i * HS;
        for (int d = 0; d < HS; d++) oi[d] *= alpha;
        if (p > 0) {
          dropout_keep_row(w.keep, bc, seed, ref::att_index(b, h, i0 + i, j0, s.NH, T), p);
          for (int j = 0; j < bc; j++) si[j] *= w.keep[j];
        }
      }
      // O_i += P · V_j (P read in place, row-major)
      tile_product<BC, 1>(w.o, HS, w.s, br, bc, w.vb + (size_t)j0 * NR, (size_t)T * NR, HS, 1.f, true);
    }
    for (int i = 0; i < br; i++) {  // l >= 1 where any key was kept
      scale_row(out + (i0 + i) * ld, w.o + (size_t)i * HS, HS, w.l[i] > 0.f ? 1.f / w.l[i] : 0.f);
    }
    for (int i = 0; i < br; i++) lse[i0 + i] = w.l[i] > 0.f ? (w.m[i] + fast_log2(w.l[i])) * kLn2 : NEG_INF;
  }
}

#if defined(__AVX512F__)
// Forward with the head dimension on the rows (use_d_rows), per block of NR = 32 queries:
// Sᵀ = K·Qᵀ puts keys on the rows and the queries on the lanes, so the online softmax runs
// per lane (no horizontal reductions), and Oᵀ += Vᵀ·Pᵀ reads Pᵀ in place as its B panel with no
// padding of d. BKEYS keys per block (a multiple of MR: K's sliver reads stay inside its pack).
constexpr int BKEYS = 20 * MR;  // 120 to 516 measured the same

inline void forward_head_d_rows(Workspace& w, float* out, float* lse, const float* Q, const float* K, const float* V,
                                const uint8_t* mask_b, int b, int h, const AttentionShape& s, float p, uint64_t seed) {
  static_assert(NR == 32 && BKEYS * NR <= BR * BC, "Sᵀ rows are two vectors of queries; the tile holds BKEYS of them");
  const int T = s.T, HS = s.HS;
  const long ld = s.row_stride();
  const float scale2 = kLog2e / std::sqrt((float)HS);  // log2 units, as forward_head
  float *ka = w.qa, *va = w.doa, *qt = w.kb;  // K and V rows at stride 32 (A operands), Qᵀ panels (B)
  prepare_a(ka, K, T, HS, ld);
  prepare_a(va, V, T, HS, ld);
  pack_rows_transposed_as_b(qt, Q, T, HS, ld);
  float *st = w.s, *ot = w.o;  // Sᵀ, then Pᵀ (BKEYS, 32); Oᵀ (HS, 32)
  const __m512 ninf = _mm512_set1_ps(NEG_INF);
  for (int i0 = 0; i0 < T; i0 += NR) {
    const int qi = std::min(NR, T - i0);
    __m512 m0 = ninf, m1 = ninf, l0 = _mm512_setzero_ps(), l1 = _mm512_setzero_ps();
    std::fill(ot, ot + (size_t)HS * NR, 0.f);
    for (int j0 = 0; j0 < T; j0 += BKEYS) {
      const int bc = std::min(BKEYS, T - j0);
      if (tile_all_padded(mask_b, j0, bc)) continue;  // so every block below has a finite score per lane
      for (int r0 = 0; r0 < bc; r0 += MR)  // queries past T have zero Qᵀ columns: finite, never stored
        MicroKernel::run<32, 1>(HS, ka + (size_t)(j0 + r0) * 32, qt + (size_t)i0 * HS, st + (size_t)r0 * NR, NR,
                                std::min(MR, bc - r0), NR, false, scale2, nullptr);
      __m512 x0 = m0, x1 = m1;  // the running max per query
      for (int j = 0; j < bc; j++) {
        float* row = st + (size_t)j * NR;
        if (mask_b && !mask_b[j0 + j]) _mm512_store_ps(row, ninf), _mm512_store_ps(row + 16, ninf);
        x0 = _mm512_max_ps(x0, _mm512_load_ps(row)), x1 = _mm512_max_ps(x1, _mm512_load_ps(row + 16));
      }
      const __m512 a0 = exp2_nonpos16(_mm512_sub_ps(m0, x0)), a1 = exp2_nonpos16(_mm512_sub_ps(m1, x1));  // -inf -> 0
      __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
      for (int j = 0; j < bc; j++) {
        float* row = st + (size_t)j * NR;
        __m512 e0 = exp2_nonpos16(_mm512_sub_ps(_mm512_load_ps(row), x0)), e1 = exp2_nonpos16(_mm512_sub_ps(_mm512_load_ps(row + 16), x1));
        s0 = _mm512_add_ps(s0, e0), s1 = _mm512_add_ps(s1, e1);
        if (p > 0) {  // the sum l is of the probabilities before dropout
          dropout_keep_strided(w.keep, NR, seed, ref::att_index(b, h, i0, j0 + j, s.NH, T), T, p);
          e0 = _mm512_mul_ps(e0, _mm512_load_ps(w.keep)), e1 = _mm512_mul_ps(e1, _mm512_load_ps(w.keep + 16));
        }
        _mm512_store_ps(row, e0), _mm512_store_ps(row + 16, e1);
      }
      l0 = _mm512_fmadd_ps(l0, a0, s0), l1 = _mm512_fmadd_ps(l1, a1, s1);
      m0 = x0, m1 = x1;
      for (int d = 0; d < HS; d++) {
        float* o = ot + (size_t)d * NR;
        _mm512_store_ps(o, _mm512_mul_ps(_mm512_load_ps(o), a0)), _mm512_store_ps(o + 16, _mm512_mul_ps(_mm512_load_ps(o + 16), a1));
      }
      for (int d0 = 0; d0 < HS; d0 += DR)  // Oᵀ += Vᵀ·Pᵀ
        MicroKernel::run<1, 32, NR, DR>(bc, va + (size_t)j0 * 32 + d0, st, ot + (size_t)d0 * NR, NR, std::min(DR, HS - d0), NR, true,
                                        1.f, nullptr);
    }
    // out = O / l: l >= 1 where any key was kept, 0 where every key is padded (out 0, lse -inf)
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.f);
    const __m512 inv0 = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(l0, zero, _CMP_GT_OQ), one, l0);
    const __m512 inv1 = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(l1, zero, _CMP_GT_OQ), one, l1);
    for (int d = 0; d < HS; d++) {
      float* o = ot + (size_t)d * NR;
      _mm512_store_ps(o, _mm512_mul_ps(_mm512_load_ps(o), inv0)), _mm512_store_ps(o + 16, _mm512_mul_ps(_mm512_load_ps(o + 16), inv1));
    }
    transpose_rows<false>(out + i0 * ld, ld, ot, NR, HS, qi);
    alignas(64) float lv[NR], mv[NR];
    _mm512_store_ps(lv, l0), _mm512_store_ps(lv + 16, l1), _mm512_store_ps(mv, m0), _mm512_store_ps(mv + 16, m1);
    for (int i = 0; i < qi; i++) lse[i0 + i] = lv[i] > 0.f ? (mv[i] + fast_log2(lv[i])) * kLn2 : NEG_INF;
  }
}
#endif

inline void backward_head(Workspace& w, float* dq, float* dk, float* dv, const float* dO, const float* Q, const float* K,
                          const float* V, const float* O, const float* lse, const uint8_t* mask_b, int b, int h,
                          const AttentionShape& s, float p, uint64_t seed) {
  const int T = s.T, HS = s.HS;
  const long ld = s.row_stride();
  const float scale = 1.f / std::sqrt((float)HS), scale2 = scale * kLog2e;  // S in log2 units, as in forward
  const bool drows = use_d_rows(HS);
  prepare_a(w.qa, Q, T, HS, ld);                    // Q as A (and Qᵀ as A with d rows)
  prepare_a(w.doa, dO, T, HS, ld);                  // dO as A (and dOᵀ as A with d rows)
  pack_rows_transposed_as_b(w.kb, K, T, HS, ld);    // Kᵀ as B
  pack_rows_transposed_as_b(w.vb_t, V, T, HS, ld);  // Vᵀ as B
  if (!drows) {
    pack_rows_as_b(w.dob_t, dO, T, HS, ld);  // dO as B (k = row)
    pack_rows_as_b(w.qb, Q, T, HS, ld);      // Q as B (k = row)
  }
  pack_rows_as_b(w.kbd, K, T, HS, ld);  // K as B (k = key)
  for (int i = 0; i < T; i++) w.dsum[i] = dot_row(dO + i * ld, O + i * ld, HS);  // D_i
  const size_t dpanel = (size_t)T * NR;  // stride between HS-column panels of the (T, HS) B packs
  for (int j0 = 0; j0 < T; j0 += BC) {
    const int bc = std::min(BC, T - j0);
    if (tile_all_padded(mask_b, j0, bc)) continue;  // padded keys get no gradient
    const size_t tile_floats = drows ? (size_t)HS * BC : (size_t)bc * HS;
    std::fill(w.dk, w.dk + tile_floats, 0.f);
    std::fill(w.dv, w.dv + tile_floats, 0.f);
    for (int i0 = 0; i0 < T; i0 += BR) {
      const int br = std::min(BR, T - i0);
      a_product(w.s, w.qa, i0, br, HS, w.kb + (size_t)j0 * HS, (size_t)HS * NR, bc, scale2);
      mask_scores(w.s, mask_b, br, j0, bc);
      a_product(w.dp, w.doa, i0, br, HS, w.vb_t + (size_t)j0 * HS, (size_t)HS * NR, bc, 1.f);
      for (int i = 0; i < br; i++) {
        const float D = w.dsum[i0 + i];
        float* __restrict__ si = w.s + i * BC;   // becomes dS (scaled)
        const float* __restrict__ dpi = w.dp + i * BC;
        float* __restrict__ pdi = w.pd + i * BC;  // P after dropout
        const float L = lse[i0 + i] * kLog2e;
        if (L == NEG_INF) {
          for (int j = 0; j < bc; j++) si[j] = pdi[j] = 0.f;
          continue;
        }
        if (p > 0) {
          dropout_keep_row(w.keep, bc, seed, ref::att_index(b, h, i0 + i, j0, s.NH, T), p);
          for (int j = 0; j < bc; j++) {
            const float pij = fast_exp2_nonpos(si[j] - L), keep = w.keep[j];
            pdi[j] = pij * keep;
            si[j] = pij * (dpi[j] * keep - D) * scale;
          }
        } else {
          for (int j = 0; j < bc; j++) {
            const float pij = fast_exp2_nonpos(si[j] - L);
            pdi[j] = pij;
            si[j] = pij * (dpi[j] - D) * scale;
          }
        }
      }
      // dV_j += Pdᵀ · dO_i ; dK_j += dSᵀ · Q_i ; dQ_i += dS · K_j
      if (drows) {  // transposed tiles (d rows): dV_jᵀ += dO_iᵀ · Pd, dK_jᵀ += Q_iᵀ · dS
        d_rows_product(w.dv, w.doa, i0, br, w.pd, bc, HS);
        d_rows_product(w.dk, w.qa, i0, br, w.s, bc, HS);
      } else {  // tiles read in place: Pdᵀ and dSᵀ as transposed A
        tile_product<1, BC>(w.dv, HS, w.pd, bc, br, w.dob_t + (size_t)i0 * NR, dpanel, HS, 1.f, true);
        tile_product<1, BC>(w.dk, HS, w.s, bc, br, w.qb + (size_t)i0 * NR, dpanel, HS, 1.f, true);
      }
      tile_product<BC, 1>(dq + i0 * ld, ld, w.s, br, bc, w.kbd + (size_t)j0 * NR, dpanel, HS, 1.f, true);
    }
    // the key block's dK and dV tiles: (HS, BC) with d rows, else (bc, HS)
#if defined(__AVX512F__)
    if (drows) {
      transpose_rows<true>(dk + j0 * ld, ld, w.dk, BC, HS, bc);
      transpose_rows<true>(dv + j0 * ld, ld, w.dv, BC, HS, bc);
      continue;
    }
#endif
    for (int j = 0; j < bc; j++)
      for (int d = 0; d < HS; d++) {
        dk[(j0 + j) * ld + d] += w.dk[(size_t)j * HS + d];
        dv[(j0 + j) * ld + d] += w.dv[(size_t)j * HS + d];
      }
  }
}

// f(b, h, thread) for every head, a task being a run of consecutive heads of one sequence: in the
// token-major layout neighbouring heads share cache lines (a row's heads are adjacent), so one
// thread taking them in turn reuses those lines and no two threads write the same line. Runs
// are shortened (down to one head) until there are 4 tasks per thread.
template <class F>
inline void for_head_groups(const AttentionShape& s, F&& f) {
  int run = s.NH;
  while (run > 1 && (long)s.B * ((s.NH + run - 1) / run) < 4L * num_threads()) run = (run + 1) / 2;
  const int groups = (s.NH + run - 1) / run;
  parallel_for(s.B * groups, [&](int task, int thread) {
    const int b = task / groups, h0 = (task % groups) * run;
    for (int h = h0; h < std::min(s.NH, h0 + run); h++) f(b, h, thread);
  });
}

inline void forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                    AttentionShape s, float p, uint64_t seed) {
  auto& ws = workspaces();
  for (auto& w : ws) w->reserve(s.T, s.HS);
  for_head_groups(s, [&](int b, int h, int thread) {
    const long o = s.head_offset(b, h);
#if defined(__AVX512F__)
    if (use_d_rows(s.HS))
      return forward_head_d_rows(*ws[thread], out + o, lse + ((long)b * s.NH + h) * s.T, q + o, k + o, v + o,
                                 mask ? mask + (long)b * s.T : nullptr, b, h, s, p, seed);
#endif
    forward_head(*ws[thread], out + o, lse + ((long)b * s.NH + h) * s.T, q + o, k + o, v + o, mask ? mask + (long)b * s.T : nullptr,
                 b, h, s, p, seed);
  });
}

inline void backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                     const float* out, const float* lse, const uint8_t* mask, AttentionShape s, float p, uint64_t seed) {
  auto& ws = workspaces();
  for (auto& w : ws) w->reserve(s.T, s.HS);
  for_head_groups(s, [&](int b, int h, int thread) {
    const long o = s.head_offset(b, h);
    backward_head(*ws[thread], dq + o, dk + o, dv + o, dout + o, q + o, k + o, v + o, out + o, lse + ((long)b * s.NH + h) * s.T,
                  mask ? mask + (long)b * s.T : nullptr, b, h, s, p, seed);
  });
}

}  // namespace TBW_NS
}  // namespace tbw
