// One BERT encoder layer (post-LayerNorm, as in Hugging Face's BertLayer) with
// optional LoRA on any of its six linear layers (PEFT's target modules query,
// key, value, attention.output.dense, intermediate.dense, output.dense), composed from Backend ops so it runs on any
// backend. Forward saves what backward needs in BertLayerActs.
//   x (B,T,C) -> out (B,T,C); mask (B,T) nonzero = real token
#pragma once
#include <cstdint>
#include <vector>

#include "tbw/backend.h"

namespace tbw {

struct BertLayerConfig {
  int B, T, C, NH, FF;
  float ln_eps = 1e-12f;
  int lora_r = 0;  // 0: no LoRA; > 0: LoRA on every linear layer whose A is given
  float lora_scale = 1.f, lora_dropout = 0.f;
  float hidden_dropout = 0.f, attn_dropout = 0.f;
  uint64_t seed = 0;  // dropout masks for this layer and step
  bool flash = true;  // flash attention; false: naive attention keeping softmax(QKᵀ) (B,NH,T,T)
  bool quantized = false;  // some linear weights are quantized: keeps room to dequantize one for LoRA (QLoRA)
  bool forward_only = false;  // no backward follows: skips saving what only backward reads
  // Only the [CLS] rows (token 0 of each sequence) leave this layer: the last layer of a sequence
  // classifier. Keys and values still cover every token; the query and everything after attention
  // run on B rows, and out is (B,C). Needs Backend::has_attention_cls().
  bool cls_only = false;
  // With cls_only: the key and value linears fold into the attention (Backend::attention_cls_kv_*),
  // never projecting k and v, where the backend can and both weights are fp32 or nf4 (dequantized
  // once per step: the same fp32 math as QLoRA's projections; see bert_layer_folds_kv).
  bool fold_kv = false;
  int index = 0;           // the layer's number (profiler event names)
};

// Parameter names follow Hugging Face: attention.self.{query,key,value},
// attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}.
struct BertLayerParams {
  const float *q_w, *q_b, *k_w, *k_b, *v_w, *v_b;  // (C,C), (C)
  const float *ao_w, *ao_b, *ln1_w, *ln1_b;        // (C,C), (C), (C), (C)
  const float *i_w, *i_b, *o_w, *o_b;              // (FF,C), (FF), (C,FF), (C)
  const float *ln2_w, *ln2_b;                      // (C), (C)
  const float *q_A = nullptr, *q_B = nullptr, *k_A = nullptr, *k_B = nullptr, *v_A = nullptr, *v_B = nullptr;  // (r,C), (C,r)
  const float *ao_A = nullptr, *ao_B = nullptr;                                                              // (r,C), (C,r)
  const float *i_A = nullptr, *i_B = nullptr;                                                                // (r,C), (FF,r)
  const float *o_A = nullptr, *o_B = nullptr;                                                                // (r,FF), (C,r)
  // Frozen quantized weights; a linear whose kind is not None uses it instead of its fp32 weight.
  QuantWeight q_wq = {}, k_wq = {}, v_wq = {}, ao_wq = {}, i_wq = {}, o_wq = {};
};

// Gradients, accumulated (+=). A null pointer marks a frozen parameter.
struct BertLayerGrads {
  float *q_w = nullptr, *q_b = nullptr, *k_w = nullptr, *k_b = nullptr, *v_w = nullptr, *v_b = nullptr;
  float *ao_w = nullptr, *ao_b = nullptr, *ln1_w = nullptr, *ln1_b = nullptr;
  float *i_w = nullptr, *i_b = nullptr, *o_w = nullptr, *o_b = nullptr, *ln2_w = nullptr, *ln2_b = nullptr;
  float *q_A = nullptr, *q_B = nullptr, *k_A = nullptr, *k_B = nullptr, *v_A = nullptr, *v_B = nullptr;
  float *ao_A = nullptr, *ao_B = nullptr, *i_A = nullptr, *i_B = nullptr, *o_A = nullptr, *o_B = nullptr;
};

// Saved activations, allocated on the backend (one block; see bert_layer.cpp for the layout).
class BertLayerActs {
 public:
  BertLayerActs(Backend& be, const BertLayerConfig& cfg);
  ~BertLayerActs();
  BertLayerActs(const BertLayerActs&) = delete;
  BertLayerActs& operator=(const BertLayerActs&) = delete;

  float *q, *k, *v;           // (N,C) projections
  float *qh, *kh, *vh, *ah;   // (B,NH,T,HS) heads and attention output; null where attention reads q, k, v in place
  float* lse;                 // (B,NH,T)
  float* att;                 // (N,C) merged attention output
  float *ao, *ao_d, *res1;    // (N,C) dense, dropped, + x
  float *ln1, *ln1_mean, *ln1_rstd;
  float *i_pre, *i_act;       // (N,FF)
  float *o, *o_d, *res2;      // (N,C)
  float *out, *ln2_mean, *ln2_rstd;
  float *hq, *hk, *hv;        // (N,r) LoRA hidden
  float *hao, *hi, *ho;       // (N,r)
  float* x_cls;               // (B,C) the [CLS] rows of the input (with cls_only)
  float* att_probs;           // (B,NH,T,T) for naive attention, else null
  float* wdeq;                // (max(FF,C)·max(FF,C)) a dequantized weight for LoRA on a quantized base, else null
  float* wdeq_kv;             // (2,C,C) nf4 key and value weights dequantized for a folded layer, else null
  float* scratch;             // backward workspace

 private:
  Backend& be_;
  void* block_;
};

// Whether this layer folds its key and value linears into the [CLS] attention (BertLayerConfig::fold_kv).
bool bert_layer_folds_kv(const Backend& be, const BertLayerConfig& cfg, const BertLayerParams& p);

void bert_layer_forward(Backend& be, const BertLayerConfig& cfg, const BertLayerParams& p, BertLayerActs& a, const float* x,
                        const uint8_t* mask);
// dout (N,C), or (B,C) with cls_only -> dx (N,C), overwritten (no zeroing needed); parameter
// gradients +=. dx null: the input needs no gradient (frozen embeddings under layer 0), so its
// products are skipped.
void bert_layer_backward(Backend& be, const BertLayerConfig& cfg, const BertLayerParams& p, const BertLayerGrads& g,
                         BertLayerActs& a, const float* x, const uint8_t* mask, const float* dout, float* dx);

}  // namespace tbw
