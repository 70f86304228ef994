// The "ref" backend: every op is its scalar reference (naive attention with a
// (T,T) matrix, double-accumulated GEMM). The oracle the fast backends are tested against.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tbw/backend.h"
#include "tbw/gemm.h"
#include "tbw/ref/attention.h"
#include "tbw/ref/attention_cls_kv.h"
#include "tbw/ref/layers.h"
#include "tbw/ref/matmul.h"
#include "tbw/ref/optim.h"

namespace tbw {
namespace {

class RefBackend final : public Backend {
 public:
  const char* name() const override { return "ref"; }
  void* alloc(size_t bytes) override { return std::malloc(bytes ? bytes : 1); }
  void release(void* p) override { std::free(p); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void fill_zero(void* p, size_t bytes) override { std::memset(p, 0, bytes); }

  void matmul_forward(float* out, const float* inp, const float* W, const float* bias, int N, int C, int OC) override {
    GemmArgs g;
    g.M = N, g.N = OC, g.K = C, g.A = inp, g.a_rs = C, g.a_cs = 1, g.B = W, g.b_rs = 1, g.b_cs = C, g.C = out, g.ldc = OC;
    g.bias = bias;
    sgemm_ref(g);
  }
  void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp, const float* W, int N,
                       int C, int OC) override {
    ref::matmul_backward(dinp, dweight, dbias, dout, inp, W, N, C, OC);
  }
  void lora_forward(float* out, float* h, const float* inp, const float* W, const float* bias, const float* A, const float* Bm,
                    int N, int C, int OC, int r, float scale, float p, uint64_t seed) override {
    ref::lora_forward(out, h, inp, W, bias, A, Bm, N, C, OC, r, scale, p, seed);
  }
  void lora_backward(float* dinp, float* dA, float* dB, float* dbias, const float* dout, const float* inp, const float* W,
                     const float* A, const float* Bm, const float* h, int N, int C, int OC, int r, float scale, float p,
                     uint64_t seed) override {
    ref::lora_backward(dinp, dA, dB, dbias, dout, inp, W, A, Bm, h, N, C, OC, r, scale, p, seed);
  }
  void matmul_quant_forward(float* out, const float* inp, const QuantWeight& w, const float* bias, int N, int C, int OC) override {
    if (w.kind == QuantKind::Int8) return int8_gemm_ref(out, inp, w.codes, w.scale, bias, N, C, OC);
    std::vector<float> wf((size_t)OC * C);  // nf4: dequantize, then the fp32 reference product
    dequantize_weight(wf.data(), w, OC, C);
    matmul_forward(out, inp, wf.data(), bias, N, C, OC);
  }
  void dequantize_weight(float* out, const QuantWeight& w, int OC, int C) override {
    if (w.kind == QuantKind::Int8) dequantize_int8_rows(out, w.codes, w.scale, OC, C);
    else dequantize_nf4(out, w.blocks, w.absmax, 0, (long)OC * C);
  }
  bool has_attention_cls() const override { return true; }
  void attention_cls_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                             AttentionShape s, float p, uint64_t seed) override {
    ref::attention_cls_forward(out, lse, q, k, v, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void attention_cls_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                              const float* lse, const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    ref::attention_cls_backward(dq, dk, dv, dout, q, k, v, lse, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  bool has_attention_cls_kv() const override { return true; }
  void attention_cls_kv_forward(float* out, float* lse, const float* x, const float* q, const ClsKV& kv, const uint8_t* mask,
                                AttentionShape s, float p, uint64_t seed) override {
    ref::attention_cls_kv_forward(out, lse, x, q, kv, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void attention_cls_kv_backward(float* dx, float* dq, float* dhk, float* dhv, const ClsKVGrads& g, const float* dout, const float* x,
                                 const float* q, const ClsKV& kv, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                                 uint64_t seed) override {
    ref::attention_cls_kv_backward(dx, dq, dhk, dhv, g, dout, x, q, kv, lse, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void lora_down_forward(int n, float* const* h, const float* inp, const float* const* A, int N, int C, int r, float p,
                         const uint64_t* seeds) override {
    for (int i = 0; i < n; i++) ref::lora_down_forward(h[i], inp, A[i], N, C, r, p, seeds[i]);
  }
  void lora_down_backward(float* dinp, float* dA, const float* dh, const float* inp, const float* A, int N, int C, int r, float p,
                          uint64_t seed) override {
    ref::lora_down_backward(dinp, dA, dh, inp, A, N, C, r, p, seed);
  }
  // The naive attention keeps softmax(QKᵀ) between forward and backward.
  void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                         AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "reference attention");
    att_.resize((size_t)s.B * s.NH * s.T * s.T);
    ref::attention_forward(out, lse, att_.data(), q, k, v, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k, const float* v,
                          const float* out, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                          uint64_t seed) override {
    require_head_major(s, "reference attention");
    std::vector<float> o((size_t)s.B * s.NH * s.T * s.HS), l((size_t)s.B * s.NH * s.T);
    (void)out, (void)lse;  // recomputed: the saved probabilities must match these inputs
    att_.resize((size_t)s.B * s.NH * s.T * s.T);
    ref::attention_forward(o.data(), l.data(), att_.data(), q, k, v, mask, s.B, s.NH, s.T, s.HS, p, seed);
    ref::attention_backward(dq, dk, dv, dout, q, k, v, att_.data(), mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void attention_naive_forward(float* out, float* lse, float* att, const float* q, const float* k, const float* v,
                               const uint8_t* mask, AttentionShape s, float p, uint64_t seed) override {
    require_head_major(s, "reference attention");
    ref::attention_forward(out, lse, att, q, k, v, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  void attention_naive_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                const float* v, const float* att, const uint8_t* mask, AttentionShape s, float p,
                                uint64_t seed) override {
    require_head_major(s, "reference attention");
    ref::attention_backward(dq, dk, dv, dout, q, k, v, att, mask, s.B, s.NH, s.T, s.HS, p, seed);
  }
  size_t attention_extra_bytes(AttentionShape s, bool) const override {
    return (size_t)s.B * s.NH * s.T * s.T * sizeof(float);  // the reference always materializes
  }
  void copy_rows(float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) override {
    ref::copy_rows(dst, src, rows, cols, dst_stride, src_stride, accumulate);  // a few rows: no fast path needed
  }
  void split_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    ref::split_heads(out, inp, B, T, NH, HS, accumulate);
  }
  void merge_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) override {
    ref::merge_heads(out, inp, B, T, NH, HS, accumulate);
  }
  void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N, int C,
                         float eps) override {
    ref::layernorm_forward(out, mean, rstd, inp, w, b, N, C, eps);
  }
  void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                          const float* mean, const float* rstd, int N, int C) override {
    ref::layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, N, C);
  }
  void gelu_forward(float* out, const float* inp, long n) override { ref::gelu_forward(out, inp, n); }
  void gelu_backward(float* dinp, const float* inp, const float* dout, long n) override { ref::gelu_backward(dinp, inp, dout, n); }
  void tanh_forward(float* out, const float* inp, long n) override { ref::tanh_forward(out, inp, n); }
  void tanh_backward(float* dinp, const float* out, const float* dout, long n) override { ref::tanh_backward(dinp, out, dout, n); }
  void residual_forward(float* out, const float* a, const float* b, long n) override { ref::residual_forward(out, a, b, n); }
  void residual_backward(float* da, float* db, const float* dout, long n) override { ref::residual_backward(da, db, dout, n); }
  void dropout_forward(float* out, const float* inp, long n, float p, uint64_t seed) override {
    ref::dropout_forward(out, inp, n, p, seed);
  }
  void dropout_backward(float* dinp, const float* dout, long n, float p, uint64_t seed) override {
    ref::dropout_backward(dinp, dout, n, p, seed);
  }
  void embeddings_forward(float* out, const int32_t* ids, const int32_t* tt, const float* wte, const float* wpe,
                          const float* wtt, int B, int T, int C) override {
    ref::embeddings_forward(out, ids, tt, wte, wpe, wtt, B, T, C);
  }
  void embeddings_int8_forward(float* out, const int32_t* ids, const int32_t* tt, const int8_t* codes, const float* scale,
                               const float* wpe, const float* wtt, int B, int T, int C) override {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        const long bt = (long)b * T + t;
        for (int i = 0; i < C; i++)
          out[bt * C + i] = scale[ids[bt]] * codes[(long)ids[bt] * C + i] + wpe[(long)t * C + i] + wtt[(long)tt[bt] * C + i];
      }
  }
  void embeddings_backward(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids, const int32_t* tt,
                           int B, int T, int C) override {
    ref::embeddings_backward(dwte, dwpe, dwtt, dout, ids, tt, B, T, C);
  }
  float crossentropy_forward(float* probs, const float* logits, const int32_t* labels, int B, int NC) override {
    return ref::crossentropy_forward(probs, logits, labels, B, NC);
  }
  void crossentropy_backward(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) override {
    ref::crossentropy_backward(dlogits, probs, labels, B, NC, dloss);
  }
  float mse_forward(const float* preds, const float* targets, int B) override { return ref::mse_forward(preds, targets, B); }
  void mse_backward(float* dpreds, const float* preds, const float* targets, int B, float dloss) override {
    ref::mse_backward(dpreds, preds, targets, B, dloss);
  }
  void adamw_update(float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h) override {
    ref::adamw_update(p, g, m, v, n, h);
  }
  void adafactor_update(float* p, const float* g, float* row, float* col, float* v, float* m, int rows, int cols,
                        const AdafactorHyper& h) override {
    ref::adafactor_update(p, g, row, col, v, m, rows, cols, h);
  }
  void sgd_update(float* p, const float* g, float* buf, long n, const SgdHyper& h) override { ref::sgd_update(p, g, buf, n, h); }
  float clip_grad_norm(float* const* grads, const long* sizes, int count, float max_norm) override {
    return ref::clip_grad_norm(grads, sizes, count, max_norm);
  }

 private:
  std::vector<float> att_;
};

}  // namespace

Backend* cpu_backend_ref() {
  static RefBackend backend;
  return &backend;
}

}  // namespace tbw
