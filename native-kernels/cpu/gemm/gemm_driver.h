// The blocked, packed GEMM driver shared by the CPU variants (BLIS-style loops).
// Included by each variant's translation unit (variant_*.cpp) after its
// micro-kernel, so the kernel inlines. Kernel contract:
//   Kernel::MR, Kernel::NR
//   Kernel::run(kc, a_pack (kc,MR), b_pack (kc,NR), c, ldc, mr, nr, load_c, alpha, bias)
//     c[i*ldc + j] = (load_c ? c : 0) + alpha * sum_k a[k*MR+i]*b[k*NR+j] (+ bias[j]), i<mr, j<nr
#pragma once
#include <algorithm>
#include <vector>

#include "aligned_buffer.h"
#include "tbw/fast_exp.h"
#include "tbw/gemm.h"
#include "tbw/threadpool.h"

namespace tbw {
namespace TBW_NS {

template <class Kernel>
struct GemmDriver {
  static constexpr int MR = Kernel::MR;
  static constexpr int NR = Kernel::NR;
  static constexpr int KC = 1024;         // K block for long K (split evenly)
  static constexpr int KC_SINGLE = 1280;  // up to this K, one block: C is read and written once
  static constexpr int MC = 96;           // M block: an (MC,kc) A block stays in L2

  // B rows [k0, k0+kc) -> panels of NR columns: panel p holds kc rows of NR floats (zero padded)
  static void pack_b(const GemmArgs& g, float* dst, int n_panels, int k0, int kc) {
    parallel_for(n_panels, [&](int p, int) {
      const int n0 = p * NR, nr = std::min(NR, g.N - n0);
      float* out = dst + (size_t)p * kc * NR;
      for (int k = k0; k < k0 + kc; k++, out += NR) {
        const float* src = g.B + k * g.b_rs + (long)n0 * g.b_cs;
        int j = 0;
        if (g.b_cs == 1)
          for (; j < nr; j++) out[j] = src[j];
        else
          for (; j < nr; j++) out[j] = src[j * g.b_cs];
        for (; j < NR; j++) out[j] = 0.f;
      }
    });
  }

  // A rows [m0, m0+mc), cols [k0, k0+kc) -> slivers of MR rows: sliver s holds k as MR floats
  static void pack_a(const GemmArgs& g, float* dst, int m0, int mc, int k0, int kc) {
    for (int s = 0; s < mc; s += MR) {
      const int mr = std::min(MR, mc - s);
      float* out = dst + (size_t)s * kc;
      const float* base = g.A + (long)(m0 + s) * g.a_rs + (long)k0 * g.a_cs;
      if (g.a_rs == 1) {
        for (int k = 0; k < kc; k++, out += MR) {
          const float* src = base + k * g.a_cs;
          int i = 0;
          for (; i < mr; i++) out[i] = src[i];
          for (; i < MR; i++) out[i] = 0.f;
        }
      } else {
        for (int k = 0; k < kc; k++, out += MR) {
          const float* src = base + k * g.a_cs;
          int i = 0;
          for (; i < mr; i++) out[i] = src[i * g.a_rs];
          for (; i < MR; i++) out[i] = 0.f;
        }
      }
    }
  }

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
        }
      return;
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
    if (threads > 1 && g.K > KC_SINGLE && (long)g.M * g.N <= (1L << 22)) {
      run_split_k(g, threads);
      return;
    }
    run_blocks(g, 0, g.K, threads);
  }

  // C [+]= alpha · A[:, k_begin:k_end] · B[k_begin:k_end, :] (+ bias, added once)
  static void run_blocks(const GemmArgs& g, int k_begin, int k_end, int threads) {
    // Scratch kept across calls, per OS thread: a GEMM may also run inside a pool
    // task (naive attention, split K), where several threads run GEMMs at once.
    static thread_local AlignedBuffer b_buf;
    const int K = k_end - k_begin;
    const int n_panels = (g.N + NR - 1) / NR;
    const int k_blocks = K <= KC_SINGLE ? 1 : (K + KC - 1) / KC, kc_even = (K + k_blocks - 1) / k_blocks;
    float* b_pack = b_buf.get((size_t)n_panels * kc_even * NR);

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
      const bool first = k0 == k_begin;
      if (g.b_packed && k_blocks == 1 && K == g.K) b_pack = const_cast<float*>(g.b_packed);
      else pack_b(g, b_pack, n_panels, k0, kc);
      parallel_for(m_blocks * n_chunks, [&](int task, int) {
        const int mb = task / n_chunks, nc = task % n_chunks;
        const int m0 = starts[mb], mc = starts[mb + 1] - m0;
        const int p0 = nc * panels_per_chunk, p1 = std::min(n_panels, p0 + panels_per_chunk);
        static thread_local AlignedBuffer a_buf;
        float* a_pack = a_buf.get((size_t)MC * kc);
        pack_a(g, a_pack, m0, mc, k0, kc);
        for (int p = p0; p < p1; p++) {
          const int n0 = p * NR, nr = std::min(NR, g.N - n0);
          const float* bp = b_pack + (size_t)p * kc * NR;
          const float* bias = first && g.bias ? g.bias + n0 : nullptr;
          for (int s = 0; s < mc; s += MR) {
            Kernel::run(kc, a_pack + (size_t)s * kc, bp, g.C + (long)(m0 + s) * g.ldc + n0, g.ldc,
                        std::min(MR, mc - s), nr, !first || g.accumulate, g.alpha, bias);
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

  // Several products of one A (the same M, K, A and strides; no GELU): query, key and value of a
  // layer. With one K block, each M block of A is packed once for every part's panels; otherwise
  // (or nested in a pool task) one run per part.
  static void run_shared(const GemmArgs* parts, int n) {
    const GemmArgs& g = parts[0];
    constexpr int MAX_PARTS = 4;
    if (n > MAX_PARTS || g.K <= 0 || g.K > KC_SINGLE || g.M <= 0 || in_parallel_region()) {
      for (int i = 0; i < n; i++) run(parts[i]);
      return;
    }
    static thread_local AlignedBuffer b_bufs[MAX_PARTS];
    const float* packs[MAX_PARTS];
    int first_panel[MAX_PARTS + 1] = {0};
    for (int i = 0; i < n; i++) {
      const int panels = (parts[i].N + NR - 1) / NR;
      if (parts[i].b_packed) {
        packs[i] = parts[i].b_packed;
      } else {
        float* buf = b_bufs[i].get((size_t)panels * g.K * NR);
        pack_b(parts[i], buf, panels, 0, g.K);
        packs[i] = buf;
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
      static thread_local AlignedBuffer a_buf;
      float* a_pack = a_buf.get((size_t)MC * g.K);
      pack_a(g, a_pack, m0, mc, 0, g.K);
      for (int q = q0, i = 0; q < q1; q++) {
        while (q >= first_panel[i + 1]) i++;
        const GemmArgs& part = parts[i];
        const int p = q - first_panel[i], n0 = p * NR, nr = std::min(NR, part.N - n0);
        const float* bp = packs[i] + (size_t)p * g.K * NR;
        for (int s = 0; s < mc; s += MR)
          Kernel::run(g.K, a_pack + (size_t)s * g.K, bp, part.C + (long)(m0 + s) * part.ldc + n0, part.ldc, std::min(MR, mc - s), nr,
                      part.accumulate, part.alpha, part.bias ? part.bias + n0 : nullptr);
      }
    });
  }

  static void run_split_k(const GemmArgs& g, int threads) {
    static std::vector<AlignedBuffer> partials(64);
    const int parts = std::min(threads, 64);
    const int slice = ((g.K + parts - 1) / parts + KC - 1) / KC * KC;
    const size_t mn = (size_t)g.M * g.N;
    parallel_for(parts, [&](int t, int) {
      const int k0 = t * slice, k1 = std::min(g.K, k0 + slice);
      GemmArgs part = g;
      part.C = partials[t].get(mn), part.ldc = g.N, part.accumulate = false, part.bias = nullptr, part.alpha = 1.f;
      if (k0 >= k1) {
        std::fill(part.C, part.C + mn, 0.f);
        return;
      }
      run_blocks(part, k0, k1, 1);  // serial inside this task
    });
    const float* part_ptr[64];
    for (int t = 0; t < parts; t++) part_ptr[t] = partials[t].get(mn);
    parallel_for(g.M, [&](int m, int) {  // C = [C +] alpha · Σ partials (+ bias), partials summed in order
      float* c = g.C + (long)m * g.ldc;
      for (int n = 0; n < g.N; n++) {
        float sum = 0.f;
        for (int t = 0; t < parts; t++) sum += part_ptr[t][(size_t)m * g.N + n];
        const float v = g.alpha * sum + (g.bias ? g.bias[n] : 0.f);
        c[n] = g.accumulate ? c[n] + v : v;
      }
    });
  }
};

}  // namespace TBW_NS
}  // namespace tbw
