// BERT encoder layer forward/backward as a sequence of Backend calls.
#include "tbw/bert_layer.h"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "tbw/carve.h"
#include "tbw/profiler.h"
#include "tbw/rng.h"

namespace tbw {

namespace {

// The dropout sites of a layer step draw from distinct streams.
enum Site { SITE_Q = 1, SITE_K, SITE_V, SITE_ATTN, SITE_HIDDEN1, SITE_HIDDEN2, SITE_AO, SITE_I, SITE_O };
uint64_t site_seed(uint64_t seed, Site s) { return splitmix64(seed * 16 + s); }

const char* site_name(Site s) {
  switch (s) {
    case SITE_Q: return "query";
    case SITE_K: return "key";
    case SITE_V: return "value";
    case SITE_AO: return "attention.output.dense";
    case SITE_I: return "intermediate.dense";
    case SITE_O: return "output.dense";
    default: return "attention";
  }
}

// "layerN.<what>": the profiler's event name for an op of this layer.
std::string op_name(const BertLayerConfig& c, const char* what) { return profiling() ? "layer" + std::to_string(c.index) + "." + what : std::string(); }

// A linear layer's multiply-adds x2: the base product (skipped for a frozen base's weight
// gradient) and the LoRA adapter.
double linear_flops(const BertLayerConfig& c, int rows, int Cin, int Cout, bool lora, bool backward, bool dweight, bool dinp = true) {
  const double N = rows, base = 2 * N * Cin * Cout, adapter = lora ? 2 * N * c.lora_r * (Cin + Cout) : 0;
  if (!backward) return base + adapter;
  // backward: dinp and dW each cost one base product; the adapter's dh, dB, dA and (with dinp) dh·A
  return base * ((dinp ? 1 : 0) + (dweight ? 1 : 0)) + 2 * adapter - (lora && !dinp ? 2 * N * c.lora_r * Cin : 0);
}

// Flash attention reads the projections in place where the backend can (no head split/merge).
AttentionShape attention_shape(const Backend& be, const BertLayerConfig& c) {
  return {c.B, c.NH, c.T, c.C / c.NH, c.flash && be.flash_token_major()};
}

size_t scratch_floats(const BertLayerConfig& c) {
  const size_t N = (size_t)c.B * c.T;
  return 12 * N * c.C + 2 * N * c.FF + 2 * (size_t)c.C + (size_t)c.B * c.C;
}

// The query, key and value projections of one input: one linear layer each.
struct Projection {
  float *out, *h;
  const float *w, *b, *A, *Bm;
  const QuantWeight* qw;
  Site site;
};

// The folded key and value linears (bert_layer_folds_kv): nf4 weights dequantized in a.wdeq_kv (by
// the forward), their adapters' down-projections in a.hk, a.hv.
ClsKV folded_kv(const BertLayerConfig& c, const BertLayerParams& p, const BertLayerActs& a) {
  const long CC = (long)c.C * c.C;
  ClsKV kv{p.k_wq.kind == QuantKind::None ? p.k_w : a.wdeq_kv, p.k_b, p.v_wq.kind == QuantKind::None ? p.v_w : a.wdeq_kv + CC, p.v_b};
  if (c.lora_r > 0 && p.k_A) kv.k_B = p.k_B, kv.hk = a.hk;
  if (c.lora_r > 0 && p.v_A) kv.v_B = p.v_B, kv.hv = a.hv;
  kv.r = std::max(c.lora_r, 0);
  kv.scale = c.lora_scale;
  return kv;
}

// Multiply-adds x2 of the folded [CLS] attention per head and sequence: forward u, scores, z, out;
// backward u, scores, dz, dp, du, z, dx (two), dq.
double cls_kv_flops(const BertLayerConfig& c, bool backward) {
  const double heads = (double)c.B * c.NH, TC = (double)c.T * c.C, HC = (double)(c.C / c.NH) * c.C;
  return 2 * heads * (backward ? 6 * TC + 3 * HC : 2 * TC + 2 * HC);
}

}  // namespace

bool bert_layer_folds_kv(const Backend& be, const BertLayerConfig& c, const BertLayerParams& p) {
  // int8 weights stay projected: their GEMM quantizes the activations too, which folding would not
  const auto foldable = [&](const QuantWeight& w) { return w.kind == QuantKind::None || (w.kind == QuantKind::Nf4 && c.quantized); };
  return c.cls_only && c.fold_kv && be.has_attention_cls_kv() && foldable(p.k_wq) && foldable(p.v_wq);
}

BertLayerActs::BertLayerActs(Backend& be, const BertLayerConfig& c) : be_(be) {
  const size_t N = (size_t)c.B * c.T, NC = N * c.C, NF = N * c.FF, r = c.lora_r > 0 ? c.lora_r : 1;
  const size_t probs = c.flash ? 0 : (size_t)c.B * c.NH * c.T * c.T;
  const size_t wmax = (size_t)std::max(c.C, c.FF) * c.C, deq = c.quantized ? std::max(wmax, (size_t)c.FF * c.C) : 0;
  const size_t heads = attention_shape(be, c).token_major ? 0 : 4 * NC;  // qh, kh, vh, ah
  const size_t BC = (size_t)c.B * c.C;  // x_cls, whether or not cls_only is set (a few KiB)
  const size_t deq_kv = c.quantized && c.cls_only && c.fold_kv ? 2 * (size_t)c.C * c.C : 0;
  const size_t total = 14 * NC + heads + 2 * NF + 4 * N + (size_t)c.B * c.NH * c.T + 6 * N * r + BC + probs + deq + deq_kv + scratch_floats(c);
  block_ = be.alloc(total * sizeof(float));
  Carve mem(block_);
  auto take = [&](size_t n) { return mem.take(n); };
  q = take(NC), k = take(NC), v = take(NC);
  qh = kh = vh = ah = nullptr;
  if (heads) qh = take(NC), kh = take(NC), vh = take(NC), ah = take(NC);
  lse = take((size_t)c.B * c.NH * c.T);
  att = take(NC), ao = take(NC), ao_d = take(NC), res1 = take(NC), ln1 = take(NC), ln1_mean = take(N), ln1_rstd = take(N);
  i_pre = take(NF), i_act = take(NF);
  o = take(NC), o_d = take(NC), res2 = take(NC), out = take(NC), ln2_mean = take(N), ln2_rstd = take(N);
  hq = take(N * r), hk = take(N * r), hv = take(N * r), hao = take(N * r), hi = take(N * r), ho = take(N * r);
  x_cls = take(BC);
  att_probs = probs ? take(probs) : nullptr;
  wdeq = deq ? take(deq) : nullptr;
  wdeq_kv = deq_kv ? take(deq_kv) : nullptr;
  scratch = take(scratch_floats(c));
}

BertLayerActs::~BertLayerActs() { be_.release(block_); }

void bert_layer_forward(Backend& be, const BertLayerConfig& c, const BertLayerParams& p, BertLayerActs& a, const float* x,
                        const uint8_t* mask) {
  const int N = c.B * c.T, C = c.C, HS = C / c.NH;
  // Rows past attention: every token, or with cls_only the B [CLS] rows, gathered into x_cls.
  const int R = c.cls_only ? c.B : N;
  const long RC = (long)R * C;
  ProfileScope layer_prof("layer", profiling() ? "layer" + std::to_string(c.index) : std::string(), 0, c.B, c.T, C);
  const float* xr = x;  // the query's and the first residual's input
  if (c.cls_only) be.copy_rows(a.x_cls, x, c.B, C, C, (long)c.T * C, false), xr = a.x_cls;
  // A linear layer over rows of in, with LoRA when this module has an adapter. A quantized weight
  // runs its own GEMM, or under LoRA (QLoRA) is dequantized for the base product. With act, GELU
  // of the product goes there too (fused into the GEMM where it can be), and out (the product) may be null.
  auto linear = [&](int rows, float* out, float* h, const float* in, const float* w, const QuantWeight& qw, const float* b,
                    const float* A, const float* Bm, int Cin, int Cout, Site site, float* act = nullptr) {
    const bool lora = c.lora_r > 0 && A;
    ProfileScope prof(lora ? "lora" : qw.kind != QuantKind::None ? "matmul_quant" : "matmul", op_name(c, site_name(site)),
                      linear_flops(c, rows, Cin, Cout, lora, false, false), rows, Cin, Cout);
    if (qw.kind != QuantKind::None) {
      if (!lora && act) return be.matmul_quant_gelu_forward(out, act, in, qw, b, rows, Cin, Cout);
      if (!lora) return be.matmul_quant_forward(out, in, qw, b, rows, Cin, Cout);
      be.dequantize_weight(a.wdeq, qw, Cout, Cin);
      w = a.wdeq;
    }
    if (lora) {
      float* y = out ? out : act;
      be.lora_forward(y, h, in, w, b, A, Bm, rows, Cin, Cout, c.lora_r, c.lora_scale, c.lora_dropout, site_seed(c.seed, site));
      if (act) be.gelu_forward(act, y, (long)rows * Cout);
    } else if (act) {
      be.matmul_gelu_forward(out, act, in, w, b, rows, Cin, Cout);
    } else {
      be.matmul_forward(out, in, w, b, rows, Cin, Cout);
    }
  };
  // Projections sharing an input: without adapters, or all adapted on an fp32 base, one pass over it.
  auto project = [&](int rows, const float* in, std::initializer_list<Projection> list) {
    const Projection* pr = list.begin();
    const int n = (int)list.size();
    bool plain = true, adapted = true;
    for (const Projection& j : list) {
      plain = plain && !(c.lora_r > 0 && j.A) && j.qw->kind == pr->qw->kind;
      adapted = adapted && c.lora_r > 0 && j.A && j.qw->kind == QuantKind::None;
    }
    if (n == 1 || !(plain || adapted)) {
      for (const Projection& j : list) linear(rows, j.out, j.h, in, j.w, *j.qw, j.b, j.A, j.Bm, C, C, j.site);
      return;
    }
    float* outs[3];
    float* hs[3];
    const float *bias[3], *weights[3], *As[3], *Bs[3];
    const QuantWeight* quant[3];
    uint64_t seeds[3];
    for (int i = 0; i < n; i++) {
      outs[i] = pr[i].out, hs[i] = pr[i].h, bias[i] = pr[i].b, weights[i] = pr[i].w, As[i] = pr[i].A, Bs[i] = pr[i].Bm;
      quant[i] = pr[i].qw, seeds[i] = site_seed(c.seed, pr[i].site);
    }
    const char* kind = adapted ? "lora" : pr->qw->kind != QuantKind::None ? "matmul_quant" : "matmul";
    ProfileScope prof(kind, op_name(c, n == 3 ? "query,key,value" : "key,value"), n * linear_flops(c, rows, C, C, adapted, false, false),
                      rows, C, n * C);
    if (adapted) be.lora_forward_shared(n, outs, hs, in, weights, bias, As, Bs, rows, C, C, c.lora_r, c.lora_scale, c.lora_dropout, seeds);
    else if (pr->qw->kind == QuantKind::None) be.matmul_forward_shared(n, outs, in, weights, bias, rows, C, C);
    else be.matmul_quant_forward_shared(n, outs, in, quant, bias, rows, C, C);
  };
  const Projection query{a.q, a.hq, p.q_w, p.q_b, p.q_A, p.q_B, &p.q_wq, SITE_Q};
  const Projection key{a.k, a.hk, p.k_w, p.k_b, p.k_A, p.k_B, &p.k_wq, SITE_K};
  const Projection value{a.v, a.hv, p.v_w, p.v_b, p.v_A, p.v_B, &p.v_wq, SITE_V};
  const bool fold = bert_layer_folds_kv(be, c, p);
  if (c.cls_only) {
    project(c.B, xr, {query});
    if (!fold) project(N, x, {key, value});
  } else {
    project(N, x, {query, key, value});
  }
  if (fold) {  // folded keys and values need only their nf4 weights dequantized and their adapters' down-projections
    if (p.k_wq.kind != QuantKind::None) be.dequantize_weight(a.wdeq_kv, p.k_wq, C, C);
    if (p.v_wq.kind != QuantKind::None) be.dequantize_weight(a.wdeq_kv + (long)C * C, p.v_wq, C, C);
    float* hs[2];
    const float* As[2];
    uint64_t seeds[2];
    int n = 0;
    for (const Projection* j : {&key, &value})
      if (c.lora_r > 0 && j->A) hs[n] = j->h, As[n] = j->A, seeds[n++] = site_seed(c.seed, j->site);
    if (n) {
      ProfileScope prof("lora_down", op_name(c, n == 2 ? "key,value" : site_name(p.k_A ? SITE_K : SITE_V)), 2.0 * n * N * C * c.lora_r, N, C,
                        n * c.lora_r);
      be.lora_down_forward(n, hs, x, As, N, C, c.lora_r, c.lora_dropout, seeds);
    }
  }
  const AttentionShape s = attention_shape(be, c);
  const bool split = !s.token_major && !c.cls_only;  // the [CLS] attention reads the projections in place
  if (split) {
    ProfileScope prof("split_heads", op_name(c, "split_heads"), 0, c.B, c.T, c.NH, HS);
    be.split_heads(a.qh, a.q, c.B, c.T, c.NH, HS, false);
    be.split_heads(a.kh, a.k, c.B, c.T, c.NH, HS, false);
    be.split_heads(a.vh, a.v, c.B, c.T, c.NH, HS, false);
  }
  const double att_flops = fold ? cls_kv_flops(c, false) : 4.0 * c.B * c.NH * (double)(c.cls_only ? 1 : c.T) * c.T * HS;
  {
    ProfileScope prof(fold ? "attention_cls_kv" : c.cls_only ? "attention_cls" : c.flash ? "flash_attention" : "attention", op_name(c, "attention"),
                      att_flops, c.B, c.NH, c.T, HS);
    const uint64_t seed = site_seed(c.seed, SITE_ATTN);
    if (fold) be.attention_cls_kv_forward(a.att, a.lse, x, a.q, folded_kv(c, p, a), mask, s, c.attn_dropout, seed);
    else if (c.cls_only) be.attention_cls_forward(a.att, a.lse, a.q, a.k, a.v, mask, s, c.attn_dropout, seed);
    else if (s.token_major) be.attention_forward(a.att, a.lse, a.q, a.k, a.v, mask, s, c.attn_dropout, seed);
    else if (c.flash) be.attention_forward(a.ah, a.lse, a.qh, a.kh, a.vh, mask, s, c.attn_dropout, seed);
    else be.attention_naive_forward(a.ah, a.lse, a.att_probs, a.qh, a.kh, a.vh, mask, s, c.attn_dropout, seed);
  }
  if (split) be.merge_heads(a.att, a.ah, c.B, c.T, c.NH, HS, false);
  linear(R, a.ao, a.hao, a.att, p.ao_w, p.ao_wq, p.ao_b, p.ao_A, p.ao_B, C, C, SITE_AO);
  // Without dropout (inference) the residual reads the dense output directly.
  const bool drop = c.hidden_dropout > 0.f;
  if (drop) be.dropout_forward(a.ao_d, a.ao, RC, c.hidden_dropout, site_seed(c.seed, SITE_HIDDEN1));
  {
    ProfileScope prof("layernorm", op_name(c, "attention.output.LayerNorm"), 0, R, C);
    be.residual_layernorm_forward(a.ln1, c.forward_only ? nullptr : a.res1, a.ln1_mean, a.ln1_rstd, drop ? a.ao_d : a.ao, xr, p.ln1_w,
                                  p.ln1_b, R, C, c.ln_eps);
  }
  // intermediate.dense and GELU in one pass; the product itself is kept only for backward
  linear(R, c.forward_only ? nullptr : a.i_pre, a.hi, a.ln1, p.i_w, p.i_wq, p.i_b, p.i_A, p.i_B, C, c.FF, SITE_I, a.i_act);
  linear(R, a.o, a.ho, a.i_act, p.o_w, p.o_wq, p.o_b, p.o_A, p.o_B, c.FF, C, SITE_O);
  if (drop) be.dropout_forward(a.o_d, a.o, RC, c.hidden_dropout, site_seed(c.seed, SITE_HIDDEN2));
  ProfileScope prof("layernorm", op_name(c, "output.LayerNorm"), 0, R, C);
  be.residual_layernorm_forward(a.out, c.forward_only ? nullptr : a.res2, a.ln2_mean, a.ln2_rstd, drop ? a.o_d : a.o, a.ln1, p.ln2_w,
                                p.ln2_b, R, C, c.ln_eps);
}

void bert_layer_backward(Backend& be, const BertLayerConfig& c, const BertLayerParams& p, const BertLayerGrads& g,
                         BertLayerActs& a, const float* x, const uint8_t* mask, const float* dout, float* dx) {
  const int N = c.B * c.T, C = c.C, HS = C / c.NH;
  const long NC = (long)N * C;
  const int R = c.cls_only ? c.B : N;  // rows past attention, as in the forward
  const long RC = (long)R * C, RF = (long)R * c.FF;
  const float* xr = c.cls_only ? a.x_cls : x;
  const bool fold = bert_layer_folds_kv(be, c, p);
  ProfileScope layer_prof("layer_backward", profiling() ? "layer" + std::to_string(c.index) + " backward" : std::string(), 0, c.B, c.T, C);
  // output.dense's input gradient goes straight through GELU (one GEMM, no (N,FF) intermediate)
  // where the backend fuses it and the layer is a plain trainable or frozen fp32 linear.
  const bool fuse_gelu = be.fuses_gelu_backward() && !(c.lora_r > 0 && p.o_A) && p.o_wq.kind == QuantKind::None;
  Carve mem(a.scratch);
  auto take = [&](long n) { return mem.take(n); };
  // Gradients accumulate (+=), so they start from zero, except those whose first write overwrites
  // (dropout_forward applies the backward's mask; split/merge heads; the fused GELU backward),
  // which are left out of the zeroing.
  // res1 = dropout(ao) + x: x's gradient starts as d_res1, so over every row d_res1 is dx itself.
  const bool res1_in_dx = dx && !c.cls_only;
  float *d_res2 = take(RC), *d_att = take(RC), *dqh = take(NC), *dkh = take(NC), *dvh = take(NC);
  float* d_res1 = res1_in_dx ? dx : take(RC);
  float *d_iact = nullptr, *d_ipre = nullptr;
  if (!fuse_gelu) d_iact = take(RF), d_ipre = take(RF);
  float *dummy_w = take(C), *dummy_b = take(C);  // layernorm gradients of a frozen layernorm
  float* dx_cls = take((long)c.B * C);  // with cls_only, the query's input gradient on the [CLS] rows
  be.fill_zero(a.scratch, (size_t)(mem.take(0) - a.scratch) * sizeof(float));
  if (dx) be.fill_zero(dx, (size_t)NC * sizeof(float));
  if (fuse_gelu) d_ipre = take(RF);
  float *d_o = take(RC), *d_ao = take(RC), *d_ah = take(NC), *dq = take(NC), *dk = take(NC), *dv = take(NC);

  be.layernorm_backward(d_res2, g.ln2_w ? g.ln2_w : dummy_w, g.ln2_b ? g.ln2_b : dummy_b, dout, a.res2, p.ln2_w, a.ln2_mean,
                        a.ln2_rstd, R, C);
  // res2 = dropout(o) + ln1: ln1's gradient is d_res2 itself (it goes on accumulating the
  // intermediate layer's input gradient below), o's is d_res2 through the dropout mask.
  float* d_ln1 = d_res2;
  be.dropout_forward(d_o, d_res2, RC, c.hidden_dropout, site_seed(c.seed, SITE_HIDDEN2));  // d_o = mask ∘ d_res2
  // A linear layer's backward over rows of in: LoRA's (never dW of the frozen base) when it has an adapter.
  auto linear_back = [&](int rows, float* din, const float* d, const float* in, const float* w, const QuantWeight& qw, const float* A,
                         const float* Bm, const float* h, float* gw, float* gb, float* gA, float* gB, int Cin, int Cout, Site site) {
    const bool lora = c.lora_r > 0 && A, dweight = gw != nullptr && qw.kind == QuantKind::None;
    if (!din && !lora && !dweight && !gb) return;  // a frozen linear whose input needs no gradient
    ProfileScope prof(lora ? "lora_backward" : "matmul_backward", profiling() ? op_name(c, site_name(site)) + " backward" : "",
                      linear_flops(c, rows, Cin, Cout, lora, true, dweight, din != nullptr), rows, Cin, Cout);
    if (qw.kind != QuantKind::None) {  // a quantized base is frozen: only its input gradient
      if (din) be.dequantize_weight(a.wdeq, qw, Cout, Cin), w = a.wdeq;
      gw = nullptr;
    }
    if (lora) {
      be.lora_backward(din, gA, gB, gb, d, in, w, A, Bm, h, rows, Cin, Cout, c.lora_r, c.lora_scale, c.lora_dropout, site_seed(c.seed, site));
      if (gw) be.matmul_backward(nullptr, gw, nullptr, d, in, w, rows, Cin, Cout);  // LoRA on a trainable base (rare)
    } else {
      be.matmul_backward(din, gw, gb, d, in, w, rows, Cin, Cout);
    }
  };
  if (fuse_gelu) {
    ProfileScope prof("matmul_backward", profiling() ? op_name(c, site_name(SITE_O)) + " backward" : "",
                      linear_flops(c, R, c.FF, C, false, true, g.o_w != nullptr), R, c.FF, C);
    be.matmul_backward_gelu(d_ipre, g.o_w, g.o_b, d_o, a.i_act, p.o_w, a.i_pre, R, c.FF, C);
  } else {
    linear_back(R, d_iact, d_o, a.i_act, p.o_w, p.o_wq, p.o_A, p.o_B, a.ho, g.o_w, g.o_b, g.o_A, g.o_B, c.FF, C, SITE_O);
    be.gelu_backward(d_ipre, a.i_pre, d_iact, RF);
  }
  linear_back(R, d_ln1, d_ipre, a.ln1, p.i_w, p.i_wq, p.i_A, p.i_B, a.hi, g.i_w, g.i_b, g.i_A, g.i_B, C, c.FF, SITE_I);
  be.layernorm_backward(d_res1, g.ln1_w ? g.ln1_w : dummy_w, g.ln1_b ? g.ln1_b : dummy_b, d_ln1, a.res1, p.ln1_w, a.ln1_mean,
                        a.ln1_rstd, R, C);
  // ao's gradient goes through the dropout mask; with cls_only x's starts on the [CLS] rows only.
  if (dx && c.cls_only) be.copy_rows(dx, d_res1, c.B, C, (long)c.T * C, C, false);
  be.dropout_forward(d_ao, d_res1, RC, c.hidden_dropout, site_seed(c.seed, SITE_HIDDEN1));  // d_ao = mask ∘ d_res1
  linear_back(R, d_att, d_ao, a.att, p.ao_w, p.ao_wq, p.ao_A, p.ao_B, a.hao, g.ao_w, g.ao_b, g.ao_A, g.ao_B, C, C, SITE_AO);
  const AttentionShape sh = attention_shape(be, c);
  const uint64_t seed = site_seed(c.seed, SITE_ATTN);
  if (fold) {  // dq into a zeroed head buffer, the adapters' dh into the other two
    ProfileScope prof("attention_cls_kv_backward", profiling() ? op_name(c, "attention") + " backward" : "", cls_kv_flops(c, true), c.B,
                      c.NH, c.T, HS);
    const ClsKV kv = folded_kv(c, p, a);
    const bool k_fp32 = p.k_wq.kind == QuantKind::None, v_fp32 = p.v_wq.kind == QuantKind::None;  // a quantized base is frozen
    const ClsKVGrads kg{k_fp32 ? g.k_w : nullptr, g.k_b, v_fp32 ? g.v_w : nullptr, g.v_b, kv.hk ? g.k_B : nullptr, kv.hv ? g.v_B : nullptr};
    dq = dqh;
    be.attention_cls_kv_backward(dx, dq, kv.hk ? dkh : nullptr, kv.hv ? dvh : nullptr, kg, d_att, x, a.q, kv, a.lse, mask, sh, c.attn_dropout,
                                 seed);
  } else if (c.cls_only) {  // straight into (B,C) and (N,C): the zeroed head buffers serve as dq, dk, dv
    ProfileScope prof("attention_cls_backward", profiling() ? op_name(c, "attention") + " backward" : "",
                      8.0 * c.B * c.NH * (double)c.T * HS, c.B, c.NH, c.T, HS);
    dq = dqh, dk = dkh, dv = dvh;
    be.attention_cls_backward(dq, dk, dv, d_att, a.q, a.k, a.v, a.lse, mask, sh, c.attn_dropout, seed);
  } else {
    // flash recomputes QKᵀ: 5 products of 2·T²·HS per head; naive keeps P: 4
    ProfileScope prof(c.flash ? "flash_attention_backward" : "attention_backward", profiling() ? op_name(c, "attention") + " backward" : "",
                      (c.flash ? 10.0 : 8.0) * c.B * c.NH * (double)c.T * c.T * HS, c.B, c.NH, c.T, HS);
    if (sh.token_major) {  // straight into (N,C): the zeroed head buffers serve as dq, dk, dv
      dq = dqh, dk = dkh, dv = dvh;
      be.attention_backward(dq, dk, dv, d_att, a.q, a.k, a.v, a.att, a.lse, mask, sh, c.attn_dropout, seed);
    } else {
      be.split_heads(d_ah, d_att, c.B, c.T, c.NH, HS, false);
      if (c.flash) be.attention_backward(dqh, dkh, dvh, d_ah, a.qh, a.kh, a.vh, a.ah, a.lse, mask, sh, c.attn_dropout, seed);
      else be.attention_naive_backward(dqh, dkh, dvh, d_ah, a.qh, a.kh, a.vh, a.att_probs, mask, sh, c.attn_dropout, seed);
      be.merge_heads(dq, dqh, c.B, c.T, c.NH, HS, false);
      be.merge_heads(dk, dkh, c.B, c.T, c.NH, HS, false);
      be.merge_heads(dv, dvh, c.B, c.T, c.NH, HS, false);
    }
  }
  if (c.cls_only) {  // the query saw only the [CLS] rows: its input gradient goes back onto them
    linear_back(c.B, dx ? dx_cls : nullptr, dq, xr, p.q_w, p.q_wq, p.q_A, p.q_B, a.hq, g.q_w, g.q_b, g.q_A, g.q_B, C, C, SITE_Q);
    if (dx) be.copy_rows(dx, dx_cls, c.B, C, (long)c.T * C, C, true);
  } else {
    linear_back(N, dx, dq, x, p.q_w, p.q_wq, p.q_A, p.q_B, a.hq, g.q_w, g.q_b, g.q_A, g.q_B, C, C, SITE_Q);
  }
  if (fold) {  // the adapters' down-projections: dA and their input gradients
    struct Down {
      const float* A;
      float *gA, *dh;
      Site site;
    };
    for (const Down& d : {Down{p.k_A, g.k_A, dkh, SITE_K}, Down{p.v_A, g.v_A, dvh, SITE_V}}) {
      if (!(c.lora_r > 0 && d.A) || (!dx && !d.gA)) continue;
      ProfileScope prof("lora_down_backward", profiling() ? op_name(c, site_name(d.site)) + " backward" : "",
                        2.0 * N * C * c.lora_r * ((dx ? 1 : 0) + (d.gA ? 1 : 0)), N, C, c.lora_r);
      be.lora_down_backward(dx, d.gA, d.dh, x, d.A, N, C, c.lora_r, c.lora_dropout, site_seed(c.seed, d.site));
    }
    return;
  }
  linear_back(N, dx, dk, x, p.k_w, p.k_wq, p.k_A, p.k_B, a.hk, g.k_w, g.k_b, g.k_A, g.k_B, C, C, SITE_K);
  linear_back(N, dx, dv, x, p.v_w, p.v_wq, p.v_A, p.v_B, a.hv, g.v_w, g.v_b, g.v_A, g.v_B, C, C, SITE_V);
}

}  // namespace tbw
