// BertForSequenceClassification on any Backend: embeddings -> LayerNorm -> N
// encoder layers -> tanh pooler over [CLS] -> classifier -> softmax
// cross-entropy (mean over the batch). Forward and backward are each one call.
#pragma once
#include <memory>
#include <vector>

#include "tbw/bert_layer.h"

namespace tbw {

struct BertModelConfig {
  int vocab, max_pos, type_vocab, C, NH, FF, layers, labels;
  float ln_eps = 1e-12f;
  int lora_r = 0;  // LoRA on query/key/value when > 0
  float lora_scale = 1.f, lora_dropout = 0.f, hidden_dropout = 0.f, attn_dropout = 0.f;
  uint64_t seed = 0;  // dropout stream of this step
  bool flash = true;  // flash attention, or naive (materialized softmax)
  bool quantized = false;  // some encoder linear weights are quantized (see BertLayerParams)
  bool forward_only = false;  // inference: no backward follows this forward
  float loss_scale = 1.f;  // the backward starts from this gradient of the loss (fp16 loss scaling)
  // The last layer computes only the [CLS] rows (BertLayerConfig::cls_only) where the backend can:
  // the pooler reads nothing else, so logits, loss and every gradient are those of the full layer.
  bool cls_only_last_layer = true;
  // That layer folds its key and value linears into the attention (BertLayerConfig::fold_kv).
  bool fold_last_kv = true;
};

struct BertModelParams {
  const float *wte, *wpe, *wtt, *emb_ln_w, *emb_ln_b;  // (V,C), (maxT,C), (NTT,C), (C), (C)
  std::vector<BertLayerParams> layers;
  const float *pool_w, *pool_b, *cls_w, *cls_b;  // (C,C), (C), (NC,C), (NC)
  const int8_t* wte_codes = nullptr;  // an int8 word table (V,C) replacing wte (frozen), with
  const float* wte_scale = nullptr;   // its per-row scales (V)
};

// Gradients, accumulated; a null pointer marks a frozen parameter.
struct BertModelGrads {
  float *wte = nullptr, *wpe = nullptr, *wtt = nullptr, *emb_ln_w = nullptr, *emb_ln_b = nullptr;
  std::vector<BertLayerGrads> layers;
  float *pool_w = nullptr, *pool_b = nullptr, *cls_w = nullptr, *cls_b = nullptr;
};

// Activations of one batch shape, allocated on the backend.
class BertModelActs {
 public:
  BertModelActs(Backend& be, const BertModelConfig& c, int B, int T);
  ~BertModelActs();
  BertModelActs(const BertModelActs&) = delete;
  BertModelActs& operator=(const BertModelActs&) = delete;

  int B, T;
  float *emb, *x0, *emb_mean, *emb_rstd;  // (N,C) sum of embeddings, after LayerNorm
  std::vector<std::unique_ptr<BertLayerActs>> layers;
  float *cls, *pool_pre, *pooled, *logits, *probs;  // (B,C), (B,C), (B,C), (B,NC), (B,NC)
  float* scratch;  // backward workspace

 private:
  Backend& be_;
  void* block_;
};

// Returns the mean cross-entropy loss when labels are given, or the mean squared error when float
// targets are given instead (regression, as Hugging Face does for num_labels == 1), else 0; logits in acts.
float bert_model_forward(Backend& be, const BertModelConfig& c, const BertModelParams& p, BertModelActs& a,
                         const int32_t* ids, const int32_t* token_type, const uint8_t* mask, const int32_t* labels,
                         const float* targets = nullptr);
void bert_model_backward(Backend& be, const BertModelConfig& c, const BertModelParams& p, const BertModelGrads& g,
                         BertModelActs& a, const int32_t* ids, const int32_t* token_type, const uint8_t* mask,
                         const int32_t* labels, const float* targets = nullptr);

}  // namespace tbw
