// The blocked, packed GEMM driver shared by the CPU variants (BLIS-style loops).
// Included by each variant's translation unit (variant_*.cpp) after its
// micro-kernel, so the kernel inlines. Kernel contract:
//   Kernel::MR, Kernel::NR
//   Kernel::run(kc, a_pack (kc,MR), b_pack (kc,NR), c, ldc, mr, nr, load_c, alpha, bias)
//     c[i*ldc + j] = (load_c ? c : 0) + alpha * sum_k a[k*MR+i]*b[k*NR+j] (+ bias[j]), i<mr, j<nr
#pragma once
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../ops/dropout_row.h"
#include "../ops/gelu_span.h"
#include "aligned_buffer.h"
#include "tbw/fast_exp.h"
#include "tbw/gemm.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

// Kernels may bring their own packing of a full sliver of rows stored along k (a register transpose).
template <class K, class = void>
struct has_row_pack : std::false_type {};
template <class K>
struct has_row_pack<K, std::void_t<decltype(&K::pack_a_rows)>> : std::true_type {};

template <class Kernel>
struct GemmDriver {
  static constexpr int MR = Kernel::MR;
  static constexpr int NR = Kernel::NR;
  static constexpr int KC = 1024;         // K block for long K (split evenly)
  static constexpr int KC_SINGLE = 1280;  // up to this K, one block: C is read and written once
  static constexpr int MC = 96;           // M block: an (MC,kc) A block stays in L2

  // A strided matrix: element (row, col) at p[row*rs + col*cs]
  struct Operand {
    const float* p;
    long rs, cs;
  };
  static Operand a_of(const GemmArgs& g) { return {g.A, g.a_rs, g.a_cs}; }
  static Operand b_of(const GemmArgs& g) { return {g.B, g.b_rs, g.b_cs}; }

  // B (K,N) rows [k0, k0+kc) -> panels of NR columns: panel p holds kc rows of NR floats (zero padded)
  static void pack_b(Operand B, int N, float* dst, int n_panels, int k0, int kc) {
    parallel_for(n_panels, [&](int p, int) {
      const int n0 = p * NR, nr = std::min(NR, N - n0);
      float* out = dst + (size_t)p * kc * NR;
      for (int k = k0; k < k0 + kc; k++, out += NR) {
        const float* src = B.p + k * B.rs + (long)n0 * B.cs;
        int j = 0;
        if (B.cs == 1)
          for (; j < nr; j++) out[j] = src[j];
        else
          for (; j < nr; j++) out[j] = src[j * B.cs];
        for (; j < NR; j++) out[j] = 0.f;
      }
    });
  }

  // A rows [m0, m0+mc), cols [k0, k0+kc) -> slivers of MR rows: sliver s holds k as MR floats.
  // row_sums (rows [m0, m0+mc); only where A.rs == 1) += the packed rows' sums.
  static void pack_a(Operand A, float* dst, int m0, int mc, int k0, int kc, float* row_sums = nullptr) {
    if (A.rs == 1) {  // Aᵀ stored row-major (dweight's dout): one pass over each stored row fills every sliver
      const int full = mc / MR * MR, tail = mc - full;
      alignas(64) float sums[MC] = {};
      for (int k = 0; k < kc; k++) {
        const float* src = A.p + (long)m0 + (long)(k0 + k) * A.cs;
        if (row_sums)
          for (int i = 0; i < mc; i++) sums[i] += src[i];
        float* out = dst + (size_t)k * MR;
        for (int s = 0; s < full; s += MR, src += MR, out += (size_t)MR * kc)
          std::memcpy(out, src, sizeof(float) * MR);  // constant size: inlined vector moves
        if (tail) {
          int i = 0;
          for (; i < tail; i++) out[i] = src[i];
          for (; i < MR; i++) out[i] = 0.f;
        }
      }
      if (row_sums)
        for (int i = 0; i < mc; i++) row_sums[i] += sums[i];
      return;
    }
    for (int s = 0; s < mc; s += MR) {
      const int mr = std::min(MR, mc - s);
      float* out = dst + (size_t)s * kc;
      const float* base = A.p + (long)(m0 + s) * A.rs + (long)k0 * A.cs;
      if constexpr (has_row_pack<Kernel>::value) {
        if (mr == MR && A.cs == 1) {
          Kernel::pack_a_rows(base, A.rs, kc, out);
          continue;
        }
      }
      for (int k = 0; k < kc; k++, out += MR) {
        const float* src = base + k * A.cs;
        int i = 0;
        for (; i < mr; i++) out[i] = src[i * A.rs];
        for (; i < MR; i++) out[i] = 0.f;
      }
    }
  }

  // The addend's product for one tile, from its packed sliver a2 (K,MR) and panel b2 (K,NR),
  // summed into C rows [m, m+mr), cols [n0, n0+nr) of an (M,N) product.
  static void add_addend(const GemmAddend& e, int N, const float* a2, const float* b2, float* c, long ldc, int m, int mr,
                         int n0, int nr) {
    if (e.drop_p <= 0.f) {
      Kernel::run(e.K, a2, b2, c, ldc, mr, nr, true, e.alpha, nullptr);
      return;
    }
    alignas(64) float tile[MR * NR];
    alignas(64) float keep[NR];
    Kernel::run(e.K, a2, b2, tile, NR, mr, nr, false, e.alpha, nullptr);
    for (int i = 0; i < mr; i++) {
      dropout_keep_row(keep, nr, e.drop_seed, (uint64_t)(m + i) * N + n0, e.drop_p);
      float* ci = c + i * ldc;
      const float* ti = tile + i * NR;
      for (int j = 0; j < nr; j++) ci[j] += ti[j] * keep[j];
    }
  }

  static Operand addend_a(const GemmAddend& e) { return {e.A, e.a_rs, e.a_cs}; }
  static Operand addend_b(const GemmAddend& e) { return {e.B, e.b_rs, e.b_cs}; }

  // Row starts of the M blocks (at most MC rows each), then M. M is first split into `parts` runs
  // of nearly equal whole slivers, one per thread, so the threads' shares stay equal when MC does
  // not divide M (at batch 8, 1024 rows in blocks of 96 left one thread 6 blocks, the other 5).
  // Below two blocks per thread (batch 1) the N chunks balance the work and plain blocks measured faster.
  static const std::vector<int>& m_block_starts(int M, int parts) {
    static thread_local std::vector<int> starts;
    starts.clear();
    if (M < 2 * parts * MC) parts = 1;
    const long slivers = (M + MR - 1) / MR;
    for (int t = 0; t < parts; t++) {
      const int r0 = (int)std::min<long>(M, slivers * t / parts * MR), r1 = (int)std::min<long>(M, slivers * (t + 1) / parts * MR);
      for (int m = r0; m < r1; m += MC) starts.push_back(m);
    }
    starts.push_back(M);
    return starts;
  }

  static void run(const GemmArgs& g) {
    if (g.M <= 0 || g.N <= 0) return;
    if (g.K <= 0) {  // empty sum: C = [C] + bias
      for (int m = 0; m < g.M; m++)
        for (int n = 0; n < g.N; n++) {
          float* c = g.C + (long)m * g.ldc + n;
          *c = (g.accumulate ? *c : 0.f) + (g.bias ? g.bias[n] : 0.f);  // alpha * empty sum = 0
          if (const GemmAddend* e = g.addend) {
            float sum = 0.f;
            for (int k = 0; k < e->K; k++) sum += e->A[m * e->a_rs + k * e->a_cs] * e->B[k * e->b_rs + n * e->b_cs];
            *c += e->alpha * sum * (e->drop_p > 0.f ? dropout_scale(e->drop_seed, (uint64_t)m * g.N + n, e->drop_p) : 1.f);
          }
        }
      return;
    }
    if (g.a_row_sums && g.a_rs != 1) {  // row sums come with the packing of a transposed A only
      parallel_for(g.M, [&](int m, int) {
        float sum = 0.f;
        for (int k = 0; k < g.K; k++) sum += g.A[m * g.a_rs + k * g.a_cs];
        g.a_row_sums[m] += sum;
      });
      GemmArgs rest = g;
      rest.a_row_sums = nullptr;
      return run(rest);
    }
    const int threads = in_parallel_region() ? 1 : num_threads();
    if ((g.gelu_out || g.gelu_grad_at) && g.K > KC_SINGLE) {  // C is final only after several K blocks: a second pass
      GemmArgs plain = g;
      plain.gelu_out = nullptr, plain.gelu_grad_at = nullptr;
      run(plain);
      parallel_for(g.M, [&](int m, int) {
        float* c = g.C + (long)m * g.ldc;
        if (g.gelu_grad_at) gelu_grad_span(c, g.gelu_grad_at + (long)m * g.ldc, g.N);
        if (g.gelu_out) gelu_span(g.gelu_out + (long)m * g.ldc, c, g.N);
      });
      return;
    }
    // Long-K products with a small output (the dweight GEMMs: K = tokens) would
    // synchronize the pool once per K block; split K across threads instead,
    // each summing its slice into a private buffer, then reduce.
    if (threads > 1 && g.K > KC_SINGLE && (long)g.M * g.N <= (1L << 22) && !g.addend) {
      run_split_k(g, threads);
      return;
    }
    run_blocks(g, 0, g.K, threads);
  }

  // C [+]= alpha · A[:, k_begin:k_end] · B[k_begin:k_end, :] (+ bias, added once) (+ addend, with the last K block)
  static void run_blocks(const GemmArgs& g, int k_begin, int k_end, int threads) {
    // Scratch kept across calls, per OS thread: a GEMM may also run inside a pool
    // task (naive attention, split K), where several threads run GEMMs at once.
    static thread_local AlignedBuffer b_buf, b2_buf;
    const int K = k_end - k_begin;
    const int n_panels = (g.N + NR - 1) / NR;
    const int k_blocks = K <= KC_SINGLE ? 1 : (K + KC - 1) / KC, kc_even = (K + k_blocks - 1) / k_blocks;
    float* b_pack = b_buf.get((size_t)n_panels * kc_even * NR);
    const GemmAddend* e = g.addend;
    float* b2_pack = e ? b2_buf.get((size_t)n_panels * e->K * NR) : nullptr;
    if (e) pack_b(addend_b(*e), g.N, b2_pack, n_panels, 0, e->K);

    // Tasks: M blocks, and N chunks when there are too few M blocks to feed every thread.
    const std::vector<int>& starts = m_block_starts(g.M, threads);
    const int m_blocks = (int)starts.size() - 1;
    const int want = 4 * threads;
    const int n_chunks = std::min(n_panels, std::max(1, (want + m_blocks - 1) / m_blocks));
    const int panels_per_chunk = (n_panels + n_chunks - 1) / n_chunks;

    // BLIS order: for each K block, pack that block of B once (it stays in cache),
    // then every task packs its A block and runs the micro-kernel over its panels.
    for (int k0 = k_begin; k0 < k_end; k0 += kc_even) {
      const int kc = std::min(kc_even, k_end - k0);
      const bool first = k0 == k_begin, last = k0 + kc >= k_end;
      if (g.b_packed && k_blocks == 1 && K == g.K) b_pack = const_cast<float*>(g.b_packed);
      else pack_b(b_of(g), g.N, b_pack, n_panels, k0, kc);
      parallel_for(m_blocks * n_chunks, [&](int task, int) {
        const int mb = task / n_chunks, nc = task % n_chunks;
        const int m0 = starts[mb], mc = starts[mb + 1] - m0;
        const int p0 = nc * panels_per_chunk, p1 = std::min(n_panels, p0 + panels_per_chunk);
        static thread_local AlignedBuffer a_buf, a2_buf;
        float* a_pack = a_buf.get((size_t)MC * kc);
        pack_a(a_of(g), a_pack, m0, mc, k0, kc, nc == 0 && g.a_row_sums ? g.a_row_sums + m0 : nullptr);  // each row once
        float* a2_pack = e && last ? a2_buf.get((size_t)MC * e->K) : nullptr;
        if (a2_pack) pack_a(addend_a(*e), a2_pack, m0, mc, 0, e->K);
        for (int p = p0; p < p1; p++) {
          const int n0 = p * NR, nr = std::min(NR, g.N - n0);
          const float* bp = b_pack + (size_t)p * kc * NR;
          const float* bias = first && g.bias ? g.bias + n0 : nullptr;
          for (int s = 0; s < mc; s += MR) {
            float* c = g.C + (long)(m0 + s) * g.ldc + n0;
            const int mr = std::min(MR, mc - s);
            Kernel::run(kc, a_pack + (size_t)s * kc, bp, c, g.ldc, mr, nr, !first || g.accumulate, g.alpha, bias);
            if (a2_pack) add_addend(*e, g.N, a2_pack + (size_t)s * e->K, b2_pack + (size_t)p * e->K * NR, c, g.ldc, m0 + s, mr, n0, nr);
          }
        }
        if ((g.gelu_out || g.gelu_grad_at) && p0 < p1) {  // one K block (see run): this block of C is final and still in L2
          const int n0 = p0 * NR, n1 = std::min(g.N, p1 * NR);
          for (int m = m0; m < m0 + mc; m++) {
            float* c = g.C + (long)m * g.ldc + n0;
            if (g.gelu_grad_at) gelu_grad_span(c, g.gelu_grad_at + (long)m * g.ldc + n0, n1 - n0);
            if (g.gelu_out) gelu_span(g.gelu_out + (long)m * g.ldc + n0, c, n1 - n0);
          }
        }
      });
    }
  }

  // Several products of one A (the same M, K, A and strides; no GELU; each its own addend or none):
  // query, key and value of a layer. With one K block, each M block of A is packed once for every part's panels; otherwise
  // (or nested in a pool task) one run per part.
  static void run_shared(const GemmArgs* parts, int n) {
    const GemmArgs& g = parts[0];
    constexpr int MAX_PARTS = 4;
    bool row_sums = false;
    for (int i = 0; i < n; i++) row_sums = row_sums || parts[i].a_row_sums;
    if (n > MAX_PARTS || g.K <= 0 || g.K > KC_SINGLE || g.M <= 0 || in_parallel_region() || row_sums) {
      for (int i = 0; i < n; i++) run(parts[i]);
      return;
    }
    static thread_local AlignedBuffer b_bufs[MAX_PARTS], b2_bufs[MAX_PARTS];
    const float* packs[MAX_PARTS];
    const float* b2_packs[MAX_PARTS] = {};
    int first_panel[MAX_PARTS + 1] = {0};
    for (int i = 0; i < n; i++) {
      const int panels = (parts[i].N + NR - 1) / NR;
      if (parts[i].b_packed) {
        packs[i] = parts[i].b_packed;
      } else {
        float* buf = b_bufs[i].get((size_t)panels * g.K * NR);
        pack_b(b_of(parts[i]), parts[i].N, buf, panels, 0, g.K);
        packs[i] = buf;
      }
      if (const GemmAddend* e = parts[i].addend) {
        float* buf = b2_bufs[i].get((size_t)panels * e->K * NR);
        pack_b(addend_b(*e), parts[i].N, buf, panels, 0, e->K);
        b2_packs[i] = buf;
      }
      first_panel[i + 1] = first_panel[i] + panels;
    }
    const int total = first_panel[n], threads = num_threads();
    const std::vector<int>& starts = m_block_starts(g.M, threads);
    const int m_blocks = (int)starts.size() - 1;
    const int n_chunks = std::min(total, std::max(1, (4 * threads + m_blocks - 1) / m_blocks));
    const int per_chunk = (total + n_chunks - 1) / n_chunks;
    parallel_for(m_blocks * n_chunks, [&](int task, int) {
      const int m0 = starts[task / n_chunks], mc = starts[task / n_chunks + 1] - m0;
      const int q0 = (task % n_chunks) * per_chunk, q1 = std::min(total, q0 + per_chunk);
      static thread_local AlignedBuffer a_buf, a2_buf;
      float* a_pack = a_buf.get((size_t)MC * g.K);
      pack_a(a_of(g), a_pack, m0, mc, 0, g.K);
      float* a2_pack = nullptr;  // the current part's addend block
      for (int q = q0, i = 0, a2_part = -1; q < q1; q++) {
        while (q >= first_panel[i + 1]) i++;
        const GemmArgs& part = parts[i];
        const GemmAddend* e = part.addend;
        if (e && a2_part != i) {
          a2_pack = a2_buf.get((size_t)MC * e->K);
          pack_a(addend_a(*e), a2_pack, m0, mc, 0, e->K);
          a2_part = i;
        }
        const int p = q - first_panel[i], n0 = p * NR, nr = std::min(NR, part.N - n0);
        const float* bp = packs[i] + (size_t)p * g.K * NR;
        for (int s = 0; s < mc; s += MR) {
          float* c = part.C + (long)(m0 + s) * part.ldc + n0;
          const int mr = std::min(MR, mc - s);
          Kernel::run(g.K, a_pack + (size_t)s * g.K, bp, c, part.ldc, mr, nr, part.accumulate, part.alpha,
                      part.bias ? part.bias + n0 : nullptr);
          if (e) add_addend(*e, part.N, a2_pack + (size_t)s * e->K, b2_packs[i] + (size_t)p * e->K * NR, c, part.ldc, m0 + s, mr, n0, nr);
        }
      }
    });
  }

  // Slice 0 goes straight into C (with the bias and accumulate flag); the others into private
  // buffers, added to C afterwards in slice order: deterministic for a given thread count.
  static void run_split_k(const GemmArgs& g, int threads) {
    static std::vector<AlignedBuffer> partials(64), sums(64);
    const int parts = std::min(threads, 64);
    const int slice = ((g.K + parts - 1) / parts + KC - 1) / KC * KC;
    const size_t mn = (size_t)g.M * g.N;
    parallel_for(parts, [&](int t, int) {
      const int k0 = t * slice, k1 = std::min(g.K, k0 + slice);
      GemmArgs part = g;
      if (t > 0) {
        part.C = partials[t].get(mn), part.ldc = g.N, part.accumulate = false, part.bias = nullptr;
        if (g.a_row_sums) part.a_row_sums = sums[t].get(g.M), std::fill(part.a_row_sums, part.a_row_sums + g.M, 0.f);
      }
      if (k0 < k1) run_blocks(part, k0, k1, 1);  // serial inside this task
      else if (t > 0) std::fill(part.C, part.C + mn, 0.f);
    });
    const float* part_ptr[64];
    for (int t = 1; t < parts; t++) part_ptr[t] = partials[t].get(mn);
    parallel_for(g.M, [&](int m, int) {
      float* c = g.C + (long)m * g.ldc;
      for (int t = 1; t < parts; t++) {
        const float* p = part_ptr[t] + (size_t)m * g.N;
        for (int n = 0; n < g.N; n++) c[n] += p[n];
        if (g.a_row_sums) g.a_row_sums[m] += sums[t].get(g.M)[m];
      }
    });
  }
};

}  // namespace TBW_NS
}  // namespace tbw
