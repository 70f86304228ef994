// BertForSequenceClassification forward/backward as Backend calls.
#include "tbw/bert_model.h"

#include <optional>

#include "tbw/carve.h"
#include "tbw/profiler.h"
#include "tbw/rng.h"

namespace tbw {

namespace {

// Whether the last layer runs on the [CLS] rows only.
bool cls_only(const Backend& be, const BertModelConfig& c) { return c.cls_only_last_layer && be.has_attention_cls(); }

BertLayerConfig layer_config(const Backend& be, const BertModelConfig& c, int B, int T, int layer) {
  BertLayerConfig lc{B, T, c.C, c.NH, c.FF};
  lc.ln_eps = c.ln_eps;
  lc.lora_r = c.lora_r;
  lc.lora_scale = c.lora_scale;
  lc.lora_dropout = c.lora_dropout;
  lc.hidden_dropout = c.hidden_dropout;
  lc.attn_dropout = c.attn_dropout;
  lc.seed = c.seed * 1000 + layer + 1;
  lc.flash = c.flash;
  lc.quantized = c.quantized;
  lc.forward_only = c.forward_only;
  lc.index = layer;
  lc.cls_only = layer == c.layers - 1 && cls_only(be, c);
  lc.fold_kv = lc.cls_only && c.fold_last_kv;
  return lc;
}

// Backward workspace: two (N,C) residual-stream gradients, (N,C) embedding gradient,
// and the small head buffers.
size_t scratch_floats(const BertModelConfig& c, int B, int T) {
  const size_t N = (size_t)B * T;
  return 3 * N * c.C + 3 * (size_t)B * c.C + (size_t)B * c.labels + 2 * (size_t)c.C;
}

}  // namespace

BertModelActs::BertModelActs(Backend& be, const BertModelConfig& c, int B_, int T_) : B(B_), T(T_), be_(be) {
  const size_t N = (size_t)B * T, NC = N * c.C;
  const size_t total = 2 * NC + 2 * N + 3 * (size_t)B * c.C + 2 * (size_t)B * c.labels + scratch_floats(c, B, T);
  block_ = be.alloc(total * sizeof(float));
  Carve mem(block_);
  auto take = [&](size_t n) { return mem.take(n); };
  emb = take(NC), x0 = take(NC), emb_mean = take(N), emb_rstd = take(N);
  cls = take((size_t)B * c.C), pool_pre = take((size_t)B * c.C), pooled = take((size_t)B * c.C);
  logits = take((size_t)B * c.labels), probs = take((size_t)B * c.labels);
  scratch = take(scratch_floats(c, B, T));
  for (int l = 0; l < c.layers; l++) layers.push_back(std::make_unique<BertLayerActs>(be, layer_config(be, c, B, T, l)));
}

BertModelActs::~BertModelActs() { be_.release(block_); }

float bert_model_forward(Backend& be, const BertModelConfig& c, const BertModelParams& p, BertModelActs& a,
                         const int32_t* ids, const int32_t* token_type, const uint8_t* mask, const int32_t* labels,
                         const float* targets) {
  const int B = a.B, T = a.T, N = B * T, C = c.C;
  ProfileScope step_prof("forward", "forward", 0, B, T, C);
  std::optional<ProfileScope> emb_prof(std::in_place, "embeddings", "embeddings", 0, B, T, C);
  if (p.wte_codes) be.embeddings_int8_forward(a.emb, ids, token_type, p.wte_codes, p.wte_scale, p.wpe, p.wtt, B, T, C);
  else be.embeddings_forward(a.emb, ids, token_type, p.wte, p.wpe, p.wtt, B, T, C);
  be.layernorm_forward(a.x0, a.emb_mean, a.emb_rstd, a.emb, p.emb_ln_w, p.emb_ln_b, N, C, c.ln_eps);
  be.dropout_forward(a.x0, a.x0, (long)N * C, c.hidden_dropout, splitmix64(c.seed * 1000));
  emb_prof.reset();
  const float* x = a.x0;
  for (int l = 0; l < c.layers; l++) {
    bert_layer_forward(be, layer_config(be, c, B, T, l), p.layers[l], *a.layers[l], x, mask);
    x = a.layers[l]->out;
  }
  ProfileScope head_prof("head", "pooler + classifier + loss", 2.0 * B * C * (C + c.labels), B, C, c.labels);
  // [CLS] = token 0 of each sequence; a [CLS]-only last layer gives just those rows
  be.copy_rows(a.cls, x, B, C, C, cls_only(be, c) ? C : (long)T * C, false);
  be.matmul_forward(a.pool_pre, a.cls, p.pool_w, p.pool_b, B, C, C);
  be.tanh_forward(a.pooled, a.pool_pre, (long)B * C);
  be.matmul_forward(a.logits, a.pooled, p.cls_w, p.cls_b, B, C, c.labels);
  if (targets) return be.mse_forward(a.logits, targets, B);  // num_labels == 1
  return labels ? be.crossentropy_forward(a.probs, a.logits, labels, B, c.labels) : 0.f;
}

void bert_model_backward(Backend& be, const BertModelConfig& c, const BertModelParams& p, const BertModelGrads& g,
                         BertModelActs& a, const int32_t* ids, const int32_t* token_type, const uint8_t* mask,
                         const int32_t* labels, const float* targets) {
  const int B = a.B, T = a.T, N = B * T, C = c.C;
  const long NC = (long)N * C;
  ProfileScope step_prof("backward", "backward", 0, B, T, C);
  be.fill_zero(a.scratch, scratch_floats(c, B, T) * sizeof(float));
  Carve mem(a.scratch);
  auto take = [&](size_t n) { return mem.take(n); };
  float *dx_a = take(NC), *dx_b = take(NC), *demb = take(NC);
  float *dcls = take((size_t)B * C), *dpool_pre = take((size_t)B * C), *dpooled = take((size_t)B * C);
  float* dlogits = take((size_t)B * c.labels);
  float *dummy_w = take(C), *dummy_b = take(C);  // layernorm gradients of a frozen embedding LayerNorm

  if (targets) be.mse_backward(dlogits, a.logits, targets, B, c.loss_scale);
  else be.crossentropy_backward(dlogits, a.probs, labels, B, c.labels, c.loss_scale);
  be.matmul_backward(dpooled, g.cls_w, g.cls_b, dlogits, a.pooled, p.cls_w, B, C, c.labels);
  be.tanh_backward(dpool_pre, a.pooled, dpooled, (long)B * C);
  be.matmul_backward(dcls, g.pool_w, g.pool_b, dpool_pre, a.cls, p.pool_w, B, C, C);
  be.copy_rows(dx_a, dcls, B, C, cls_only(be, c) ? C : (long)T * C, C, true);  // only [CLS] rows feed the pooler
  // Frozen embeddings (LoRA, QLoRA) need no gradient: layer 0 then skips its input's products.
  const bool embeddings_train = (g.wte && g.wpe && g.wtt) || g.emb_ln_w || g.emb_ln_b;
  float *dout = dx_a, *dnext = dx_b;
  for (int l = c.layers - 1; l >= 0; l--) {
    const float* x = l == 0 ? a.x0 : a.layers[l - 1]->out;
    float* dx = l > 0 || embeddings_train ? dnext : nullptr;
    bert_layer_backward(be, layer_config(be, c, B, T, l), p.layers[l], g.layers[l], *a.layers[l], x, mask, dout, dx);
    std::swap(dout, dnext);
  }
  if (!embeddings_train) return;
  // dout: gradient of the dropped, normalized embeddings
  be.dropout_forward(dnext, dout, NC, c.hidden_dropout, splitmix64(c.seed * 1000));  // the backward's mask, overwriting
  be.layernorm_backward(demb, g.emb_ln_w ? g.emb_ln_w : dummy_w, g.emb_ln_b ? g.emb_ln_b : dummy_b, dnext, a.emb, p.emb_ln_w,
                        a.emb_mean, a.emb_rstd, N, C);
  if (g.wte && g.wpe && g.wtt) be.embeddings_backward(g.wte, g.wpe, g.wtt, demb, ids, token_type, B, T, C);
}

}  // namespace tbw
