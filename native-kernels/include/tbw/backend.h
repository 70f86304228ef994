// The backend-neutral kernel interface. The CPU backends (ref, scalar, avx2,
// avx512) implement it now; a CUDA backend implements the same calls on device
// memory, so the same test bodies run on both (memory goes through alloc/upload/download).
//
// Shapes (llm.c style): B batch, T tokens, C channels, OC output channels,
// NH heads, HS head size, N = B*T rows. Backward functions ACCUMULATE (+=) into
// gradients; a null gradient pointer means "not needed" (a frozen parameter).
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tbw/attention.h"
#include "tbw/optim_hyper.h"
#include "tbw/quant.h"

namespace tbw {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // ---- memory: host memory on the CPU backends -------------------------------------------
  virtual void* alloc(size_t bytes) = 0;
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual void download(void* dst, const void* src, size_t bytes) = 0;

  virtual void fill_zero(void* p, size_t bytes) = 0;

  // Device memory the backend holds now and at most since reset_peak() (allocations and its own
  // workspaces); 0 where it does not track them (the CPU backends use the process's RSS).
  virtual size_t device_bytes_peak() const { return 0; }
  virtual void reset_peak() {}

  // Until called with another token, the fp32 weights given to matmul_forward do not change
  // (inference), so the backend may keep them in its GEMM's packed layout. 0: they may change.
  virtual void set_frozen_weights(uint64_t token) { (void)token; }

  // ---- linear layers -----------------------------------------------------------------------
  // inp (N,C), weight (OC,C), bias (OC) or null -> out (N,OC)
  virtual void matmul_forward(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC) = 0;
  // The output dense layer's backward through the GELU before it: dpre = (dout·W) ∘ GELU'(pre) is
  // written (not accumulated; dout·W is never stored), dweight and dbias accumulate as in
  // matmul_backward. Fused where fuses_gelu_backward(); by default the two ops through a temporary.
  virtual bool fuses_gelu_backward() const { return false; }
  virtual void matmul_backward_gelu(float* dpre, float* dweight, float* dbias, const float* dout, const float* inp,
                                    const float* weight, const float* pre, int N, int C, int OC) {
    const size_t bytes = (size_t)N * C * sizeof(float);
    void* t = alloc(bytes);
    fill_zero(t, bytes);
    matmul_backward(static_cast<float*>(t), dweight, dbias, dout, inp, weight, N, C, OC);
    fill_zero(dpre, bytes);
    gelu_backward(dpre, pre, static_cast<float*>(t), (long)N * C);
    release(t);
  }
  // One input through n linear layers of the same shape (query, key, value): out[i] = inp·W[i]ᵀ + bias[i].
  // Backends share the input's packing (or int8 quantization) across them where they can.
  virtual void matmul_forward_shared(int n, float* const* out, const float* inp, const float* const* weight, const float* const* bias,
                                     int N, int C, int OC) {
    for (int i = 0; i < n; i++) matmul_forward(out[i], inp, weight[i], bias[i], N, C, OC);
  }
  // act = GELU(inp·Wᵀ + bias); pre keeps the product when not null (backward reads it).
  // Fused where the backend can; by default the two ops.
  virtual void matmul_gelu_forward(float* pre, float* act, const float* inp, const float* weight, const float* bias, int N, int C,
                                   int OC) {
    float* y = pre ? pre : act;
    matmul_forward(y, inp, weight, bias, N, C, OC);
    gelu_forward(act, y, (long)N * OC);
  }
  // dout (N,OC) -> dinp (N,C), dweight (OC,C), dbias (OC)
  virtual void matmul_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                               const float* weight, int N, int C, int OC) = 0;
  // out = inp·Wᵀ + bias + scale·(dropout(inp)·Aᵀ)·Bᵀ; A (r,C), Bm (OC,r); saves h (N,r)
  virtual void lora_forward(float* out, float* h, const float* inp, const float* W, const float* bias, const float* A,
                            const float* Bm, int N, int C, int OC, int r, float scale, float p, uint64_t seed) = 0;
  // n adapted linears on one input (query, key, value), each with its own dropout seed
  virtual void lora_forward_shared(int n, float* const* out, float* const* h, const float* inp, const float* const* W,
                                   const float* const* bias, const float* const* A, const float* const* Bm, int N, int C, int OC,
                                   int r, float scale, float p, const uint64_t* seeds) {
    for (int i = 0; i < n; i++) lora_forward(out[i], h[i], inp, W[i], bias[i], A[i], Bm[i], N, C, OC, r, scale, p, seeds[i]);
  }
  // dout (N,OC) -> dinp (N,C), dA (r,C), dB (OC,r), dbias (OC); never dW
  virtual void lora_backward(float* dinp, float* dA, float* dB, float* dbias, const float* dout, const float* inp,
                             const float* W, const float* A, const float* Bm, const float* h, int N, int C, int OC, int r,
                             float scale, float p, uint64_t seed) = 0;

  // ---- quantized frozen weights (formats in tbw/quant.h) ------------------------------------
  // inp (N,C) · w (OC,C)ᵀ + bias -> out (N,OC): int8 with per-token int8 activations, or nf4
  // dequantized a bounded chunk of rows at a time
  virtual void matmul_quant_forward(float* out, const float* inp, const QuantWeight& w, const float* bias, int N, int C, int OC) = 0;
  virtual void matmul_quant_forward_shared(int n, float* const* out, const float* inp, const QuantWeight* const* w,
                                           const float* const* bias, int N, int C, int OC) {
    for (int i = 0; i < n; i++) matmul_quant_forward(out[i], inp, *w[i], bias[i], N, C, OC);
  }
  virtual void matmul_quant_gelu_forward(float* pre, float* act, const float* inp, const QuantWeight& w, const float* bias, int N,
                                         int C, int OC) {
    float* y = pre ? pre : act;
    matmul_quant_forward(y, inp, w, bias, N, C, OC);
    gelu_forward(act, y, (long)N * OC);
  }
  // w (OC,C) -> out fp32 (OC,C): QLoRA runs the base product and its input gradient on this
  virtual void dequantize_weight(float* out, const QuantWeight& w, int OC, int C) = 0;

  // ---- attention: q,k,v (B,NH,T,HS), mask (B,T) nonzero = keep, lse (B,NH,T) ---------------
  virtual void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                                 const uint8_t* mask, AttentionShape s, float p, uint64_t seed) = 0;
  virtual void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                  const float* v, const float* out, const float* lse, const uint8_t* mask, AttentionShape s,
                                  float p, uint64_t seed) = 0;

  // Attention of each sequence's first query ([CLS]) over its T keys, token-major whatever
  // flash_token_major() says: q (B,C), k, v (B·T,C) -> out (B,C), lse (B,NH); backward dq (B,C),
  // dk, dv (B·T,C) +=. The last layer of a sequence classifier needs nothing else (see
  // tbw::ref::attention_cls_forward). Where has_attention_cls() is false, that layer runs over every token.
  virtual bool has_attention_cls() const { return false; }
  virtual void attention_cls_forward(float* out, float* lse, const float* q, const float* k, const float* v, const uint8_t* mask,
                                     AttentionShape s, float p, uint64_t seed) {
    (void)out, (void)lse, (void)q, (void)k, (void)v, (void)mask, (void)s, (void)p, (void)seed;
    no_attention_cls();
  }
  virtual void attention_cls_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                      const float* v, const float* lse, const uint8_t* mask, AttentionShape s, float p,
                                      uint64_t seed) {
    (void)dq, (void)dk, (void)dv, (void)dout, (void)q, (void)k, (void)v, (void)lse, (void)mask, (void)s, (void)p, (void)seed;
    no_attention_cls();
  }

  // The [CLS] attention with the key and value linears folded in (ClsKV; see
  // tbw::ref::attention_cls_kv_forward): x (B·T,C) the layer's input, q (B,C) -> out (B,C), lse (B,NH).
  // Backward: dx (B·T,C) += (null: not needed), dq (B,C) +=, dhk, dhv (B·T,r) += where the adapter
  // exists, parameter gradients into g. Where has_attention_cls_kv() is false, the layer projects k and v.
  virtual bool has_attention_cls_kv() const { return false; }
  virtual void attention_cls_kv_forward(float* out, float* lse, const float* x, const float* q, const ClsKV& kv, const uint8_t* mask,
                                        AttentionShape s, float p, uint64_t seed) {
    (void)out, (void)lse, (void)x, (void)q, (void)kv, (void)mask, (void)s, (void)p, (void)seed;
    no_attention_cls();
  }
  virtual void attention_cls_kv_backward(float* dx, float* dq, float* dhk, float* dhv, const ClsKVGrads& g, const float* dout,
                                         const float* x, const float* q, const ClsKV& kv, const float* lse, const uint8_t* mask,
                                         AttentionShape s, float p, uint64_t seed) {
    (void)dx, (void)dq, (void)dhk, (void)dhv, (void)g, (void)dout, (void)x, (void)q, (void)kv, (void)lse, (void)mask, (void)s, (void)p,
        (void)seed;
    no_attention_cls();
  }
  // LoRA's down-projection alone, for those folded linears: h[i] (N,r) = dropout_i(inp)·A[i]ᵀ, as
  // lora_forward saves it; backward dA += dhᵀ·dropout(inp), dinp += dropout_backward(dh·A) (null: skipped).
  virtual void lora_down_forward(int n, float* const* h, const float* inp, const float* const* A, int N, int C, int r, float p,
                                 const uint64_t* seeds) {
    (void)n, (void)h, (void)inp, (void)A, (void)N, (void)C, (void)r, (void)p, (void)seeds;
    no_attention_cls();
  }
  virtual void lora_down_backward(float* dinp, float* dA, const float* dh, const float* inp, const float* A, int N, int C, int r, float p,
                                  uint64_t seed) {
    (void)dinp, (void)dA, (void)dh, (void)inp, (void)A, (void)N, (void)C, (void)r, (void)p, (void)seed;
    no_attention_cls();
  }

  // attention_forward/backward accept AttentionShape::token_major (no head split/merge needed).
  virtual bool flash_token_major() const { return false; }

  // Naive attention ("flash off"): materializes att = softmax(QKᵀ·scale) (B,NH,T,T), kept for backward.
  virtual void attention_naive_forward(float* out, float* lse, float* att, const float* q, const float* k, const float* v,
                                       const uint8_t* mask, AttentionShape s, float p, uint64_t seed) = 0;
  virtual void attention_naive_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                                        const float* v, const float* att, const uint8_t* mask, AttentionShape s, float p,
                                        uint64_t seed) = 0;

  // Extra memory attention needs beyond q/k/v/out/lse and their gradients (forward + backward):
  // flash: per-thread packs of one head (linear in T) and tiles; naive: the (B,NH,T,T) probabilities plus per-thread (T,T) scratch.
  virtual size_t attention_extra_bytes(AttentionShape s, bool flash) const = 0;

  // dst[r*dst_stride + c] (+)= src[r*src_stride + c] for r < rows, c < cols (e.g. the [CLS] rows)
  virtual void copy_rows(float* dst, const float* src, int rows, int cols, long dst_stride, long src_stride, bool accumulate) = 0;

  // (B,T,NH*HS) <-> (B,NH,T,HS); with accumulate the result is added to out (the backward of the other)
  virtual void split_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) = 0;
  virtual void merge_heads(float* out, const float* inp, int B, int T, int NH, int HS, bool accumulate) = 0;

  // ---- normalization and activations -------------------------------------------------------
  // inp (N,C), weight (C), bias (C) -> out (N,C), mean (N), rstd (N)
  virtual void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                                 const float* bias, int N, int C, float eps) = 0;
  virtual void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                                  const float* weight, const float* mean, const float* rstd, int N, int C) = 0;
  // out = LayerNorm(a + b) (the post-LayerNorm residual of a BERT layer); res receives a + b, which
  // backward reads, or is null when no backward follows. Fused where the backend can; by default the two ops.
  virtual void residual_layernorm_forward(float* out, float* res, float* mean, float* rstd, const float* a, const float* b,
                                          const float* weight, const float* bias, int N, int C, float eps) {
    float* sum = res ? res : out;  // layernorm reads each row before writing it
    residual_forward(sum, a, b, (long)N * C);
    layernorm_forward(out, mean, rstd, sum, weight, bias, N, C, eps);
  }
  virtual void gelu_forward(float* out, const float* inp, long n) = 0;
  virtual void gelu_backward(float* dinp, const float* inp, const float* dout, long n) = 0;
  virtual void tanh_forward(float* out, const float* inp, long n) = 0;
  virtual void tanh_backward(float* dinp, const float* out, const float* dout, long n) = 0;
  virtual void residual_forward(float* out, const float* a, const float* b, long n) = 0;
  virtual void residual_backward(float* da, float* db, const float* dout, long n) = 0;
  virtual void dropout_forward(float* out, const float* inp, long n, float p, uint64_t seed) = 0;
  virtual void dropout_backward(float* dinp, const float* dout, long n, float p, uint64_t seed) = 0;

  // ---- embeddings: ids, token_type (B,T); wte (V,C), wpe (maxT,C), wtt (NTT,C) -> out (B,T,C)
  virtual void embeddings_forward(float* out, const int32_t* ids, const int32_t* token_type, const float* wte,
                                  const float* wpe, const float* wtt, int B, int T, int C) = 0;
  // the same with an int8 word table: wte ≈ wte_scale[id]·wte_codes[id] (codes (V,C), scale (V))
  virtual void embeddings_int8_forward(float* out, const int32_t* ids, const int32_t* token_type, const int8_t* wte_codes,
                                       const float* wte_scale, const float* wpe, const float* wtt, int B, int T, int C) = 0;
  virtual void embeddings_backward(float* dwte, float* dwpe, float* dwtt, const float* dout, const int32_t* ids,
                                   const int32_t* token_type, int B, int T, int C) = 0;

  // ---- losses (mean over the batch) ------------------------------------------------------
  // logits (B,NC), labels (B) -> probs (B,NC); returns the loss
  virtual float crossentropy_forward(float* probs, const float* logits, const int32_t* labels, int B, int NC) = 0;
  virtual void crossentropy_backward(float* dlogits, const float* probs, const int32_t* labels, int B, int NC, float dloss) = 0;
  virtual float mse_forward(const float* preds, const float* targets, int B) = 0;
  virtual void mse_backward(float* dpreds, const float* preds, const float* targets, int B, float dloss) = 0;

  // ---- optimizers (in place) ---------------------------------------------------------------
  virtual void adamw_update(float* p, const float* g, float* m, float* v, long n, const AdamWHyper& h) = 0;
  // p, g (rows,cols): a 2-D parameter (rows > 1) keeps factored statistics row (rows), col (cols);
  // a 1-D parameter is passed as rows = 1 and keeps v (cols). m (rows*cols) only when beta1 > 0.
  virtual void adafactor_update(float* p, const float* g, float* row, float* col, float* v, float* m, int rows, int cols,
                                const AdafactorHyper& h) = 0;
  virtual void sgd_update(float* p, const float* g, float* buf, long n, const SgdHyper& h) = 0;
  // Global L2 norm over every gradient; scales them all by max_norm/(norm+1e-6) when above max_norm.
  // Returns the norm before clipping.
  virtual float clip_grad_norm(float* const* grads, const long* sizes, int count, float max_norm) = 0;

 private:
  [[noreturn]] void no_attention_cls() const {
    throw std::logic_error(std::string("backend ") + name() + " has no [CLS]-only attention");
  }
};

// The CPU backends by name: "ref" (the scalar oracles), "scalar", "avx2", "avx512".
// Returns null for a variant this build or CPU cannot run.
Backend* cpu_backend(const char* name);

}  // namespace tbw
