// A CPU backend built from one variant's GEMM micro-kernel, flash attention and
// fast ops. Included last by variant_*.cpp, which define TBW_NS.
#pragma once
#include <unordered_map>

#include "attention/flash_impl.h"
#include "block_cache.h"
#include "attention/naive_impl.h"
#include "fma_peak_impl.h"
#include "gemm/linear_args.h"
#include "lora_impl.h"
#include "ops/ops_impl.h"
#include "quant/nf4_dequant_impl.h"
#include "tbw/backend.h"
#include "tbw/ref/attention_cls_kv.h"
#include "tbw/ref/attention.h"
#include "tbw/ref/layers.h"

namespace tbw {
namespace TBW_NS {

// dbias (OC) += column sums of dout (N,OC), each task owning a slice of columns
inline void column_sums(float* dbias, const float* dout, int N, int OC) {
  constexpr int SLICE = 64;
  parallel_for((OC + SLICE - 1) / SLICE, [&](int t, int) {
    const int o0 = t * SLICE, o1 = std::min(OC, o0 + SLICE);
    float acc[SLICE] = {};
    for (int n = 0; n < N; n++)
      for (int o = o0; o < o1; o++) acc[o - o0] += dout[(long)n * OC + o];
    for (int o = o0; o < o1; o++) dbias[o] += acc[o - o0];
  });
}

class CpuBackend final : public Backend {
 public:
  using Int8Gemm = void (*)(const Int8Part*, int, const float*, int, int, int, uint64_t);  // int8_gemm_shared_*
  CpuBackend(const char* name, Int8Gemm int8_gemm) : name_(name), int8_gemm_(int8_gemm) {}
  const char* name() const override { return name_; }

  void* alloc(size_t bytes) override { return blocks_.alloc(bytes); }
  void release(void* p) override { blocks_.release(p); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  // In 1 MiB chunks over the pool: a layer's backward scratch is ~100 MB at batch 32, T 128.
  void fill_zero(void* p, size_t bytes) override {
    constexpr size_t CHUNK = 1 << 20;
    if (bytes < 4 * CHUNK) return (void)std::memset(p, 0, bytes);
    const int chunks = (int)((bytes + CHUNK - 1) / CHUNK);
    parallel_for(chunks, [&](int i, int) {
      const size_t begin = (size_t)i * CHUNK;
      std::memset(static_cast<char*>(p) + begin, 0, std::min(CHUNK, bytes - begin));
    });
  }

  void matmul_forward(float* out, const float* inp, const float* W, const float* bias, int N, int C, int OC) override {
    GemmArgs g = linear_args(out, inp, W, N, C, OC);
    g.bias = bias;
    g.b_packed = packed_weight(W, C, OC);
    Gemm::run(g);
  }

  void matmul_forward_shared(int n, float* const* out, const float* inp, const float* const* W, const float* const* bias, int N, int C,
                             int OC) override {
    GemmArgs parts[4];
    if (n > 4) return Backend::matmul_forward_shared(n, out, inp, W, bias, N, C, OC);
    for (int i = 0; i < n; i++) {
      parts[i] = linear_args(out[i], inp, W[i], N, C, OC);
      parts[i].bias = bias[i];
      parts[i].b_packed = packed_weight(W[i], C, OC);
    }
    Gemm::run_shared(parts, n);
  }

  void matmul_gelu_forward(float* pre, float* act, const float* inp, const float* W, const float* bias, int N, int C,
                           int OC) override {
    GemmArgs g = linear_args(pre ? pre : act, inp, W, N, C, OC);
    g.bias = bias;
    g.b_packed = packed_weight(W, C, OC);
    g.gelu_out = act;
    Gemm::run(g);
  }

  void set_frozen_weights(uint64_t token) override {
    if (token == frozen_) return;
    packed_.clear();
    frozen_ = token;
  }

  bool fuses_gelu_backward() const override { return true; }
  void matmul_backward_gelu(float* dpre, float* dweight, float* dbias, const float* dout, const float* inp, const float* W,
                            const float* pre, int N, int C, int OC) override {
    GemmArgs g = linear_dinp_args(dpre, dout, W, N, C, OC);
    g.gelu_grad_at = pre;
    Gemm::run(g);
    matmul_backward(nullptr, dweight, dbias, dout, inp, W, N, C, OC);
  }

  void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* W, int N,
                       int C, int OC) override {
    if (dinp) {
      GemmArgs g = linear_dinp_args(dinp, dout, W, N, C, OC);
      g.accumulate = true;
      Gemm::run(g);
    }
    if (dweight) {
      GemmArgs g = linear_dweight_args(dweight, dout, inp, N, C, OC);
      g.accumulate = true;
      g.a_row_sums = dbias;  // dbias from the rows of dout the GEMM packs anyway
      Gemm::run(g);
    } else if (dbias) {
      column_sums(dbias, dout, N, OC);
    }
  }

  void matmul_quant_forward(float* out, const float* inp, const QuantWeight& w, const float* bias, int N, int C, int OC) override {
    quant_forward(out, nullptr, inp, w, bias, N, C, OC);
  }
  void matmul_quant_forward_shared(int n, float* const* out, const float* inp, const QuantWeight* const* w, const float* const* bias,
                                   int N, int C, int OC) override {
    Int8Part parts[4];
    bool int8 = n <= 4;
    for (int i = 0; i < n && int8; i++) int8 = w[i]->kind == QuantKind::Int8, parts[i] = {out[i], w[i]->codes, w[i]->scale, bias[i]};
    if (!int8) return Backend::matmul_quant_forward_shared(n, out, inp, w, bias, N, C, OC);
    int8_gemm_(parts, n, inp, N, C, OC, frozen_);
  }
  void matmul_quant_gelu_forward(float* pre, float* act, const float* inp, const QuantWeight& w, const float* bias, int N, int C,
                                 int OC) override {
    quant_forward(pre ? pre : act, act, inp, w, bias, N, C, OC);
  }

  void dequantize_weight(float* out, const QuantWeight& w, int OC, int C) override {
    parallel_for(OC, [&](int o, int) {
      if (w.kind == QuantKind::Int8) dequantize_int8_rows(out + (size_t)o * C, w.codes + (size_t)o * C, w.scale + o, 1, C);
      else dequantize_nf4_range(out + (size_t)o * C, w.blocks, w.absmax, (long)o * C, (long)(o + 1) * C);
    });
  }

  void lora_forward(float* out, float* h, const float* inp, const float* W, const float* bias, const float* A, const float* Bm,
                    int N, int C, int OC, int r, float scale, float p, uint64_t seed) override {
    lora_forward_shared(1, &out, &h, inp, &W, &bias, &A, &Bm, N, C, OC, r, scale, p, &seed);
  }

  void lora_forward_shared(int n, float* const* out, float* const* h, const float* inp, const float* const* W,
                           const float* const* bias, const float* const* A, const float* const* Bm, int N, int C, int OC, int r,
                           float scale, float p, const uint64_t* seeds) override {
    if (n > LORA_MAX_SHARED) return Backend::lora_forward_shared(n, out, h, inp, W, bias, A, Bm, N, C, OC, r, scale, p, seeds);
    lora_down(n, h, inp, A, N, C, r, p, seeds);
    GemmArgs parts[LORA_MAX_SHARED];
    GemmAddend up[LORA_MAX_SHARED];
    for (int i = 0; i < n; i++) {
      up[i] = lora_up_addend(h[i], Bm[i], r, scale);
      parts[i] = linear_args(out[i], inp, W[i], N, C, OC);
      parts[i].bias = bias[i];
      parts[i].b_packed = packed_weight(W[i], C, OC);
      parts[i].addend = &up[i];
    }
    Gemm::run_shared(parts, n);
  }

  void lora_backward(float* dinp, float* dA, float* dB, float* dbias, const float* dout, const float* inp, const float* W,
                     const float* A, const float* Bm, const float* h, int N, int C, int OC, int r, float scale, float p,
                     uint64_t seed) override {
    float* dh = scratch(3, (size_t)N * r);
    lora_grad_h_B(dh, dB, dout, Bm, h, N, OC, r, scale);  // dh = scale · dout·Bm, dB += scale · doutᵀ·h
    if (dinp) {  // dinp += dout·W + dropout_backward(dh·A); W is frozen: no dW
      const GemmAddend down = lora_dinp_addend(dh, A, C, r, p, seed);
      GemmArgs g = linear_dinp_args(dinp, dout, W, N, C, OC);
      g.accumulate = true;
      g.addend = &down;
      Gemm::run(g);
    }
    lora_grad_A(dA, dh, inp, N, C, r, p, seed);  // dA += dhᵀ·dropout(inp)
    if (dbias) column_sums(dbias, dout, N, OC);
  }

  void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                         AttentionShape s, float p, uint64_t seed) override {
    TBW_NS::forward(out, lse, q, k, v, mask, s, p, seed);
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                          const float* out, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                          uint64_t seed) override {
    TBW_NS::backward(dq, dk, dv, dout, q, k, v, out, lse, mask, s, p, seed);
  }

  bool flash_token_major() const override { return true; }

  // One query per head: ~T·HS multiply-adds per head and pass, a few ms per step in all, so the
  // reference loops over (b,h) in parallel serve (the compiler vectorizes their HS loops).
  bool has_attention_cls() const override { return true; }
  void attention_cls_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                             AttentionShape s, float p, uint64_t seed) override {
    float* buf = scratch(6, (size_t)num_threads() * s.T);
    parallel_for(s.B * s.NH, [&](int t, int thread) {
      ref::attention_cls_head_forward(out, lse, q, k, v, mask, t / s.NH, t % s.NH, s.NH, s.T, s.HS, p, seed, buf + (size_t)thread * s.T);
    });
  }
  void attention_cls_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                              const float* lse, const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    float* buf = scratch(6, (size_t)num_threads() * 2 * s.T);
    parallel_for(s.B * s.NH, [&](int t, int thread) {
      ref::attention_cls_head_backward(dq, dk, dv, dout, q, k, v, lse, mask, t / s.NH, t % s.NH, s.NH, s.T, s.HS, p, seed,
                                       buf + (size_t)thread * 2 * s.T);
    });
  }

  // The folded keys and values: ~10·T·C multiply-adds per head and sequence in all, so the reference
  // loops over sequences in parallel serve (vectorized over C), then the parameter gradients' rows.
  bool has_attention_cls_kv() const override { return true; }
  void attention_cls_kv_forward(float* out, float* lse, const float* x, const float* q, const ClsKV& kv, const uint8_t* mask,
                                AttentionShape s, float p, uint64_t seed) override {
    const size_t per = ref::cls_kv_forward_scratch(s.NH, s.T, s.NH * s.HS, kv.r);
    float* buf = scratch(6, (size_t)num_threads() * per);
    parallel_for(s.B, [&](int b, int thread) {
      ref::attention_cls_kv_seq_forward(out, lse, x, q, kv, mask, b, s.NH, s.T, s.HS, p, seed, buf + (size_t)thread * per);
    });
  }
  void attention_cls_kv_backward(float* dx, float* dq, float* dhk, float* dhv, const ClsKVGrads& g, const float* dout, const float* x,
                                 const float* q, const ClsKV& kv, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                                 uint64_t seed) override {
    const int C = s.NH * s.HS;
    const size_t per = ref::cls_kv_backward_scratch(s.NH, s.T, C, kv.r), kept = ref::cls_kv_kept(s.NH, C, kv.r);
    float *buf = scratch(6, (size_t)num_threads() * per), *keep = scratch(7, (size_t)s.B * kept);
    parallel_for(s.B, [&](int b, int thread) {
      ref::attention_cls_kv_seq_backward(dx, dq, dhk, dhv, keep + (size_t)b * kept, g, dout, x, q, kv, lse, mask, b, s.NH, s.T, s.HS, p,
                                         seed, buf + (size_t)thread * per);
    });
    for_rows(C, 8, [&](int o) { ref::attention_cls_kv_param_grads_row(g, keep, dout, q, kv, o, s.B, s.NH, s.HS); });
  }
  void lora_down_forward(int n, float* const* h, const float* inp, const float* const* A, int N, int C, int r, float p,
                         const uint64_t* seeds) override {
    for (int i = 0; i < n; i += LORA_MAX_SHARED) lora_down(std::min(n - i, LORA_MAX_SHARED), h + i, inp, A + i, N, C, r, p, seeds + i);
  }
  void lora_down_backward(float* dinp, float* dA, const float* dh, const float* inp, const float* A, int N, int C, int r, float p,
                          uint64_t seed) override {
    if (dA) lora_grad_A(dA, dh, inp, N, C, r, p, seed);
    if (dinp) lora_grad_inp(dinp, dh, A, N, C, r, p, seed);
  }

  void attention_naive_forward(float* out, float* lse, float* att, const float* q, const float* k, const float* v,
                               const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "naive attention");
    naive_attention_forward<Gemm>(out, lse, att, q, k, v, mask, s, p, seed);
  }
  void attention_naive_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                const float* v, const float* att, const uint8_t* mask, AttentionShape s, float p,
                                uint64_t seed) override {
    require_head_major(s, "naive attention");
    naive_attention_backward<Gemm>(dq, dk, dv, dout, q, k, v, att, mask, s, p, seed);
  }
  size_t attention_extra_bytes(AttentionShape s, bool flash) const override {
    const size_t threads = num_threads(), tt = (size_t)s.T * s.T;
    if (flash) return threads * (Workspace::head_floats(s.T, s.HS) + Workspace::tile_floats(s.HS)) * sizeof(float);
    return ((size_t)s.B * s.NH * tt + threads * 2 * tt) * sizeof(float);
  }
  void copy_rows(float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) override {
    ref::copy_rows(dst, src, rows, cols, dst_stride, src_stride, accumulate);  // a few rows: no fast path needed
  }
  void split_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    TBW_NS::split_heads(out, inp, B, T, NH, HS, accumulate);
  }
  void merge_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    TBW_NS::merge_heads(out, inp, B, T, NH, HS, accumulate);
  }
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N, int C,
                         float eps) override {
    TBW_NS::layernorm_forward(out, mean, rstd, inp, w, b, N, C, eps);
  }
  void residual_layernorm_forward(float* out, float* res, float* mean, float* rstd, const float* a, const float* b, const float* w,
                                  const float* bias, int N, int C, float eps) override {
    TBW_NS::residual_layernorm_forward(out, res, mean, rstd, a, b, w, bias, N, C, eps);
  }
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                          const float* mean, const float* rstd, int N, int C) override {
    TBW_NS::layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, N, C);
  }
  void gelu_forward(float* out, const float* inp, long n) override { TBW_NS::gelu_forward(out, inp, n); }
  void gelu_backward(float* dinp, const float* inp, const float* dout, long n) override { TBW_NS::gelu_backward(dinp, inp, dout, n); }
  void tanh_forward(float* out, const float* inp, long n) override { TBW_NS::tanh_forward(out, inp, n); }
  void tanh_backward(float* dinp, const float* out, const float* dout, long n) override { TBW_NS::tanh_backward(dinp, out, dout, n); }
  void residual_forward(float* out, const float* a, const float* b, long n) override { TBW_NS::residual_forward(out, a, b, n); }
  void residual_backward(float* da, float* db, const float* dout, long n) override { TBW_NS::residual_backward(da, db, dout, n); }
  void dropout_forward(float* out, const float* inp, long n, float p, uint64_t seed) override {
    TBW_NS::dropout_forward(out, inp, n, p, seed);
  }
  void dropout_backward(float* dinp, const float* dout, long n, float p, uint64_t seed) override {
    TBW_NS::dropout_backward(dinp, dout, n, p, seed);
  }
  void embeddings_forward(float* out, const int32_t* ids, const int32_t* tt, const float* wte, const float* wpe,
                          const float* wtt, int B, int T, int C) override {
    TBW_NS::embeddings_forward(out, ids, tt, wte, wpe, wtt, B, T, C);
  }
  void embeddings_int8_forward(float* out, const int32_t* ids, const int32_t* tt, const int8_t* codes, const float* scale,
                               const float* wpe, const float* wtt, int B, int T, int C) override {
    TBW_NS::embeddings_int8_forward(out, ids, tt, codes, scale, wpe, wtt, B, T, C);
  }
  void embeddings_backward(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids, const int32_t* tt,
                           int B, int T, int C) override {
    TBW_NS::embeddings_backward(dwte, dwpe, dwtt, dout, ids, tt, B, T, C);
  }
  float crossentropy_forward(float* probs, const float* logits, const int32_t* labels, int B, int NC) override {
    return TBW_NS::crossentropy_forward(probs, logits, labels, B, NC);
  }
  void crossentropy_backward(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) override {
    TBW_NS::crossentropy_backward(dlogits, probs, labels, B, NC, dloss);
  }
  float mse_forward(const float* preds, const float* targets, int B) override { return TBW_NS::mse_forward(preds, targets, B); }
  void mse_backward(float* dpreds, const float* preds, const float* targets, int B, float dloss) override {
    TBW_NS::mse_backward(dpreds, preds, targets, B, dloss);
  }
  void adamw_update(float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h) override {
    TBW_NS::adamw_update(p, g, m, v, n, h);
  }
  void adafactor_update(float* p, const float* g, float* row, float* col, float* v, float* m, int rows, int cols,
                        const AdafactorHyper& h) override {
    TBW_NS::adafactor_update(p, g, row, col, v, m, rows, cols, h);
  }
  void sgd_update(float* p, const float* g, float* buf, long n, const SgdHyper& h) override { TBW_NS::sgd_update(p, g, buf, n, h); }
  float clip_grad_norm(float* const* grads, const long* sizes, int count, float max_norm) override {
    return TBW_NS::clip_grad_norm(grads, sizes, count, max_norm);
  }

 private:
  // out = inp·wᵀ + bias, and GELU(out) into gelu_out when not null
  void quant_forward(float* out, float* gelu_out, const float* inp, const QuantWeight& w, const float* bias, int N, int C, int OC) {
    if (w.kind == QuantKind::Int8) {
      const Int8Part part{out, w.codes, w.scale, bias, gelu_out};
      return int8_gemm_(&part, 1, inp, N, C, OC, frozen_);
    }
    // nf4: dequantize ROWS output channels at a time into a bounded buffer (2.4 MB at C = 1200), GEMM them into their columns
    constexpr int ROWS = 512;
    float* buf = scratch(5, (size_t)ROWS * C);
    for (int o0 = 0; o0 < OC; o0 += ROWS) {
      const int rows = std::min(ROWS, OC - o0);
      parallel_for(rows, [&](int r, int) {
        const long i0 = (long)(o0 + r) * C;
        dequantize_nf4_range(buf + (size_t)r * C, w.blocks, w.absmax, i0, i0 + C);
      });
      GemmArgs g = linear_args(out + o0, inp, buf, N, C, rows);
      g.ldc = OC;
      g.bias = bias ? bias + o0 : nullptr;
      g.gelu_out = gelu_out ? gelu_out + o0 : nullptr;
      Gemm::run(g);
    }
  }

  // W (OC,C) in the forward GEMM's packed B layout, packed on first use while weights are frozen.
  const float* packed_weight(const float* W, int C, int OC) {
    if (!frozen_ || C > Gemm::KC_SINGLE) return nullptr;
    PackedWeight& e = packed_[W];
    if (e.OC != OC || e.C != C) {
      const int panels = (OC + Gemm::NR - 1) / Gemm::NR;
      Gemm::pack_b({W, 1, C}, OC, e.buf.get((size_t)panels * C * Gemm::NR), panels, 0, C);
      e.OC = OC, e.C = C;
    }
    return e.buf.get(0);
  }

  struct PackedWeight {
    int OC = 0, C = 0;
    AlignedBuffer buf;
  };
  uint64_t frozen_ = 0;
  std::unordered_map<const float*, PackedWeight> packed_;
  const char* name_;
  Int8Gemm int8_gemm_;
  BlockCache blocks_;
};

}  // namespace TBW_NS
}  // namespace tbw
