// N-API: one native call per BERT step. bertStep(...) runs the forward pass
// and, when gradient arrays are given, the backward pass too; gradients
// accumulate into the given Float32Arrays. Activations are kept between calls
// of the same shape (first-touch memory is slow on these machines).
#include <napi.h>

#include <memory>
#include <utility>

#include "args.h"
#include "device_mirror.h"
#include "quant_args.h"
#include "tbw/bert_model.h"
#include "tbw/cuda.h"

using namespace tbwnapi;

namespace {

double num(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

int positive(const Napi::Env& env, const Napi::Object& o, const char* key) {
  const double v = num(o, key, -1);
  if (v < 1 || v != (int)v) throw Napi::RangeError::New(env, std::string("config.") + key + " must be a positive integer");
  return (int)v;
}

// Float32Array element i of a JS array, length-checked; null/undefined -> nullptr when allowed.
float* array_item(const Napi::Env& env, const Napi::Array& arr, uint32_t i, size_t need, const std::string& what, bool nullable) {
  const Napi::Value v = arr.Get(i);
  if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, what + " must be a Float32Array");
  auto f = v.As<Napi::Float32Array>();
  if (f.ElementLength() != need)
    throw Napi::RangeError::New(env, what + " has " + std::to_string(f.ElementLength()) + " elements, needs " + std::to_string(need));
  return f.Data();
}

struct Cache {
  tbw::Backend* be = nullptr;
  int B = 0, T = 0, layers = 0, C = 0, NH = 0, FF = 0, labels = 0, lora = 0;
  bool flash = true, quantized = false;
  std::unique_ptr<tbw::BertModelActs> acts;
};
Cache g_cache;
DeviceMirror g_mirror;

// A CPU variant ("ref", "scalar", "avx2", "avx512") or a GPU ("cuda", "cuda:N", "cuda:N:bf16|fp16").
tbw::Backend* step_backend(const Napi::Env& env, const std::string& name) {
  if (name.rfind("cuda", 0) == 0) {
    int device = 0;
    auto precision = tbw::CudaPrecision::Fp32;
    std::string rest = name.substr(4);
    for (auto [suffix, prec] : {std::pair{":bf16", tbw::CudaPrecision::Bf16}, std::pair{":fp16", tbw::CudaPrecision::Fp16}})
      if (rest.size() > 5 && rest.compare(rest.size() - 5, 5, suffix) == 0) precision = prec, rest.resize(rest.size() - 5);
    if (!rest.empty()) {
      if (rest[0] != ':' || rest.size() < 2 || rest.find_first_not_of("0123456789", 1) != std::string::npos)
        throw Napi::RangeError::New(env, "backend '" + name + "': a GPU is cuda, cuda:N, cuda:N:bf16 or cuda:N:fp16");
      device = std::stoi(rest.substr(1));
    }
    std::string why;
    tbw::Backend* be = tbw::cuda_backend(device, &why, precision);
    if (!be) throw Napi::Error::New(env, "backend '" + name + "' is not available: " + why);
    return be;
  }
  tbw::Backend* be = tbw::cpu_backend(name.c_str());
  if (!be) throw Napi::Error::New(env, "backend '" + name + "' is not available on this CPU or build");
  return be;
}

// bertStep(backend, config, params[], lora[]|null, ids, tokenTypes, mask, labels|null, B, T,
//          grads[]|null, loraGrads[]|null, logitsOut, quant|null) -> loss
// quant: { layers: [{ query?, key?, value?, attentionOutput?, intermediate?, output? }, ...],
//          wordEmbeddings?: { codes: Int8Array (V·C), scale: Float32Array (V) } }, each linear a
// quantized weight object (see quant_args.h); its fp32 entry in params may then be null.
Napi::Value BertStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string name = str(info, 0, "backend");
  tbw::Backend* be = step_backend(env, name);
  if (!info[1].IsObject()) throw Napi::TypeError::New(env, "config must be an object");
  const Napi::Object o = info[1].As<Napi::Object>();
  tbw::BertModelConfig c{positive(env, o, "vocab"), positive(env, o, "maxPos"), positive(env, o, "typeVocab"), positive(env, o, "hidden"),
                         positive(env, o, "heads"),  positive(env, o, "intermediate"), positive(env, o, "layers"), positive(env, o, "labels")};
  if (c.C % c.NH) throw Napi::RangeError::New(env, "config.hidden must be a multiple of config.heads");
  c.ln_eps = (float)num(o, "layerNormEps", 1e-12);
  c.lora_r = (int)num(o, "loraR", 0);
  c.lora_scale = (float)num(o, "loraScale", 1);
  c.lora_dropout = (float)num(o, "loraDropout", 0);
  c.hidden_dropout = (float)num(o, "hiddenDropout", 0);
  c.attn_dropout = (float)num(o, "attentionDropout", 0);
  c.seed = (uint64_t)num(o, "seed", 0);
  c.loss_scale = (float)num(o, "lossScale", 1);
  const Napi::Value fa = o.Get("flashAttention");
  c.flash = fa.IsBoolean() ? fa.As<Napi::Boolean>().Value() : true;
  const int B = integer(info, 8, "B"), T = integer(info, 9, "T");
  if (T > c.max_pos) throw Napi::RangeError::New(env, "T " + std::to_string(T) + " exceeds config.maxPos " + std::to_string(c.max_pos));

  // Parameters in Hugging Face order: 5 embedding tensors, 16 per layer, pooler (2), classifier (2).
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "params must be an array of Float32Array");
  const Napi::Array params = info[2].As<Napi::Array>();
  const size_t C = c.C, FF = c.FF;
  std::vector<size_t> sizes = {(size_t)c.vocab * C, (size_t)c.max_pos * C, (size_t)c.type_vocab * C, C, C};
  for (int l = 0; l < c.layers; l++)
    for (size_t s : {C * C, C, C * C, C, C * C, C, C * C, C, C, C, FF * C, FF, C * FF, C, C, C}) sizes.push_back(s);
  for (size_t s : {C * C, C, (size_t)c.labels * C, (size_t)c.labels}) sizes.push_back(s);
  if (params.Length() != sizes.size())
    throw Napi::RangeError::New(env, "params has " + std::to_string(params.Length()) + " tensors, the config needs " + std::to_string(sizes.size()));
  // Quantized weights: which params entries they replace (nullable there).
  const bool quant = info.Length() > 13 && info[13].IsObject();
  std::vector<tbw::QuantWeight> QW(sizes.size());
  std::vector<std::pair<int, int>> QW_shape(sizes.size());  // (OC, C) of each quantized weight
  const int8_t* wte_codes = nullptr;
  const float* wte_scale = nullptr;
  if (quant) {
    const Napi::Object q = info[13].As<Napi::Object>();
    const Napi::Value ql = q.Get("layers");
    if (!ql.IsArray() || ql.As<Napi::Array>().Length() != (uint32_t)c.layers)
      throw Napi::TypeError::New(env, "quant.layers must hold one object per layer");
    const char* names[6] = {"query", "key", "value", "attentionOutput", "intermediate", "output"};
    const int offset[6] = {0, 2, 4, 6, 10, 12}, rows[6] = {c.C, c.C, c.C, c.C, c.FF, c.C}, cols[6] = {c.C, c.C, c.C, c.C, c.C, c.FF};
    for (int l = 0; l < c.layers; l++) {
      const Napi::Value lv = ql.As<Napi::Array>().Get((uint32_t)l);
      if (!lv.IsObject()) throw Napi::TypeError::New(env, "quant.layers[" + std::to_string(l) + "] must be an object");
      for (int m = 0; m < 6; m++) {
        const Napi::Value w = lv.As<Napi::Object>().Get(names[m]);
        if (w.IsUndefined() || w.IsNull()) continue;
        QW[5 + 16 * l + offset[m]] = quant_weight(env, w, rows[m], cols[m], "quant.layers[" + std::to_string(l) + "]." + names[m]);
        QW_shape[5 + 16 * l + offset[m]] = {rows[m], cols[m]};
      }
    }
    const Napi::Value we = q.Get("wordEmbeddings");
    if (!we.IsUndefined() && !we.IsNull()) {
      const tbw::QuantWeight w = quant_weight(env, we, c.vocab, c.C, "quant.wordEmbeddings");
      if (w.kind != tbw::QuantKind::Int8) throw Napi::TypeError::New(env, "quant.wordEmbeddings must be int8");
      wte_codes = w.codes, wte_scale = w.scale;
      QW[0] = w;
      QW_shape[0] = {c.vocab, c.C};
    }
  }
  const bool train = info.Length() > 10 && info[10].IsArray();
  Napi::Array grads = train ? info[10].As<Napi::Array>() : Napi::Array::New(env);
  if (train && grads.Length() != sizes.size()) throw Napi::RangeError::New(env, "grads must have one entry (or null) per parameter");
  std::vector<const float*> P(sizes.size());
  std::vector<float*> G(sizes.size(), nullptr);
  for (uint32_t i = 0; i < sizes.size(); i++) {
    const bool replaced = QW[i].kind != tbw::QuantKind::None;
    P[i] = array_item(env, params, i, sizes[i], "params[" + std::to_string(i) + "]", replaced);
    if (train) G[i] = array_item(env, grads, i, sizes[i], "grads[" + std::to_string(i) + "]", true);
    if (replaced && G[i]) throw Napi::TypeError::New(env, "params[" + std::to_string(i) + "] is quantized (frozen): its gradient must be null");
  }
  // LoRA tensors per layer: [q_A, q_B, k_A, k_B, v_A, v_B] (query/key/value only) or those followed by
  // [ao_A, ao_B, i_A, i_B, o_A, o_B]; a module whose A is null has no adapter.
  const bool lora = c.lora_r > 0;
  const size_t R = (size_t)c.lora_r;
  int per_layer = 0;
  std::vector<const float*> LA;
  std::vector<float*> LG;
  std::vector<size_t> LN;  // elements of each LoRA tensor
  if (lora) {
    if (!info[3].IsArray()) throw Napi::TypeError::New(env, "config.loraR > 0 needs lora: 6 or 12 tensors (or nulls) per layer");
    const Napi::Array la = info[3].As<Napi::Array>();
    const bool lora_train = info.Length() > 11 && info[11].IsArray();
    Napi::Array lg = lora_train ? info[11].As<Napi::Array>() : Napi::Array::New(env);
    if (la.Length() != (uint32_t)(6 * c.layers) && la.Length() != (uint32_t)(12 * c.layers))
      throw Napi::RangeError::New(env, "lora must hold 6 (query/key/value) or 12 (all linear layers) tensors per layer");
    per_layer = (int)la.Length() / c.layers;
    if (lora_train && lg.Length() != la.Length()) throw Napi::RangeError::New(env, "loraGrads must match lora");
    const size_t need[12] = {R * C, C * R, R * C, C * R, R * C, C * R, R * C, C * R, R * C, FF * R, R * FF, C * R};
    for (uint32_t i = 0; i < la.Length(); i++) {
      const std::string what = "lora[" + std::to_string(i) + "]";
      const float* t = array_item(env, la, i, need[i % per_layer], what, true);
      float* gt = lora_train ? array_item(env, lg, i, need[i % per_layer], "loraGrads[" + std::to_string(i) + "]", true) : nullptr;
      const bool is_B = i % 2 == 1;
      if (is_B && (LA.back() == nullptr) != (t == nullptr)) throw Napi::TypeError::New(env, what + ": A and B of a module must both be given or both null");
      if (t && train && !gt) throw Napi::TypeError::New(env, "a LoRA training step needs loraGrads for every LoRA tensor (" + what + ")");
      LA.push_back(t);
      LG.push_back(gt);
      LN.push_back(need[i % per_layer]);
    }
  }
  const int32_t* ids = typed<int32_t>(info, 4, "ids", (size_t)B * T);
  const int32_t* tt = typed<int32_t>(info, 5, "tokenTypes", (size_t)B * T);
  const uint8_t* mask = typed<uint8_t>(info, 6, "mask", (size_t)B * T);
  // labels: Int32Array class ids, or Float32Array regression targets (config.labels must be 1), or null.
  const bool regression = info.Length() > 7 && info[7].IsTypedArray() && info[7].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  const int32_t* labels = regression ? nullptr : typed<int32_t>(info, 7, "labels", B, true);
  const float* targets = regression ? typed<float>(info, 7, "targets", B) : nullptr;
  if (regression && c.labels != 1) throw Napi::RangeError::New(env, "float targets (regression) need config.labels = 1");
  for (int i = 0; i < B * T; i++) {
    if (ids[i] < 0 || ids[i] >= c.vocab) throw Napi::RangeError::New(env, "ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is outside the vocabulary");
    if (tt[i] < 0 || tt[i] >= c.type_vocab) throw Napi::RangeError::New(env, "tokenTypes[" + std::to_string(i) + "] is outside 0.." + std::to_string(c.type_vocab - 1));
  }
  for (int b = 0; labels && b < B; b++)
    if (labels[b] < 0 || labels[b] >= c.labels) throw Napi::RangeError::New(env, "labels[" + std::to_string(b) + "] is outside 0.." + std::to_string(c.labels - 1));
  if (train && !labels && !targets) throw Napi::TypeError::New(env, "a training step needs labels or targets");
  float* logits_out = typed<float>(info, 12, "logitsOut", (size_t)B * c.labels);

  // A GPU backend runs on device copies of everything (see device_mirror.h).
  const bool mirrored = DeviceMirror::needed(*be);
  if (mirrored) {
    DeviceMirror& m = g_mirror;
    m.begin(*be);
    for (size_t i = 0; i < sizes.size(); i++) {
      P[i] = m.in(P[i], sizes[i] * 4);
      G[i] = m.inout(G[i], sizes[i] * 4);
      tbw::QuantWeight& w = QW[i];
      const size_t n = (size_t)QW_shape[i].first * QW_shape[i].second, nb = tbw::nf4_blocks((long)n);
      if (w.kind == tbw::QuantKind::Int8) w.codes = m.in(w.codes, n), w.scale = m.in(w.scale, QW_shape[i].first * 4);
      if (w.kind == tbw::QuantKind::Nf4) w.blocks = m.in(w.blocks, nb * sizeof(tbw::Nf4Block)), w.absmax = m.in(w.absmax, nb * 4);
    }
    if (wte_codes) wte_codes = QW[0].codes, wte_scale = QW[0].scale;
    for (size_t i = 0; i < LA.size(); i++) {
      LA[i] = m.in(LA[i], LN[i] * 4);
      LG[i] = m.inout(LG[i], LN[i] * 4);
    }
    ids = m.in(ids, (size_t)B * T * 4), tt = m.in(tt, (size_t)B * T * 4), mask = m.in(mask, (size_t)B * T);
    labels = m.in(labels, (size_t)B * 4), targets = m.in(targets, (size_t)B * 4);
  }

  tbw::BertModelParams p{P[0], P[1], P[2], P[3], P[4], {}, nullptr, nullptr, nullptr, nullptr};
  tbw::BertModelGrads g;
  g.wte = G[0], g.wpe = G[1], g.wtt = G[2], g.emb_ln_w = G[3], g.emb_ln_b = G[4];
  for (int l = 0; l < c.layers; l++) {
    const int k = 5 + 16 * l;
    tbw::BertLayerParams lp{P[k], P[k + 1], P[k + 2], P[k + 3], P[k + 4], P[k + 5], P[k + 6], P[k + 7],
                            P[k + 8], P[k + 9], P[k + 10], P[k + 11], P[k + 12], P[k + 13], P[k + 14], P[k + 15]};
    tbw::BertLayerGrads lg{G[k], G[k + 1], G[k + 2], G[k + 3], G[k + 4], G[k + 5], G[k + 6], G[k + 7],
                           G[k + 8], G[k + 9], G[k + 10], G[k + 11], G[k + 12], G[k + 13], G[k + 14], G[k + 15]};
    if (lora) {
      const int j = per_layer * l;
      lp.q_A = LA[j], lp.q_B = LA[j + 1], lp.k_A = LA[j + 2], lp.k_B = LA[j + 3], lp.v_A = LA[j + 4], lp.v_B = LA[j + 5];
      lg.q_A = LG[j], lg.q_B = LG[j + 1], lg.k_A = LG[j + 2], lg.k_B = LG[j + 3], lg.v_A = LG[j + 4], lg.v_B = LG[j + 5];
      if (per_layer == 12) {
        lp.ao_A = LA[j + 6], lp.ao_B = LA[j + 7], lp.i_A = LA[j + 8], lp.i_B = LA[j + 9], lp.o_A = LA[j + 10], lp.o_B = LA[j + 11];
        lg.ao_A = LG[j + 6], lg.ao_B = LG[j + 7], lg.i_A = LG[j + 8], lg.i_B = LG[j + 9], lg.o_A = LG[j + 10], lg.o_B = LG[j + 11];
      }
    }
    lp.q_wq = QW[k], lp.k_wq = QW[k + 2], lp.v_wq = QW[k + 4], lp.ao_wq = QW[k + 6], lp.i_wq = QW[k + 10], lp.o_wq = QW[k + 12];
    p.layers.push_back(lp);
    g.layers.push_back(lg);
  }
  const size_t last = sizes.size() - 1;
  p.pool_w = P[last - 3], p.pool_b = P[last - 2], p.cls_w = P[last - 1], p.cls_b = P[last];
  g.pool_w = G[last - 3], g.pool_b = G[last - 2], g.cls_w = G[last - 1], g.cls_b = G[last];
  p.wte_codes = wte_codes, p.wte_scale = wte_scale;
  c.quantized = quant;
  c.forward_only = !train;

  Cache& k = g_cache;
  if (!k.acts || k.be != be || k.B != B || k.T != T || k.layers != c.layers || k.C != c.C || k.NH != c.NH || k.FF != c.FF || k.labels != c.labels ||
      k.lora != c.lora_r || k.flash != c.flash || k.quantized != c.quantized) {
    k.acts.reset();
    k.acts = std::make_unique<tbw::BertModelActs>(*be, c, B, T);
    k.be = be, k.B = B, k.T = T, k.layers = c.layers, k.C = c.C, k.NH = c.NH, k.FF = c.FF, k.labels = c.labels, k.lora = c.lora_r;
    k.flash = c.flash, k.quantized = c.quantized;
  }
  // A caller that promises its fp32 weights stay as they are (inference) passes a token.
  be->set_frozen_weights((uint64_t)num(o, "frozenWeights", 0));
  const float loss = tbw::bert_model_forward(*be, c, p, *k.acts, ids, tt, mask, labels, targets);
  be->download(logits_out, k.acts->logits, (size_t)B * c.labels * sizeof(float));
  if (train) tbw::bert_model_backward(*be, c, p, g, *k.acts, ids, tt, mask, labels, targets);
  if (mirrored) g_mirror.finish();  // gradients back into the caller's arrays
  return Napi::Number::New(env, loss);
}

}  // namespace

void register_model_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("bertStep", Napi::Function::New(env, BertStep));
}
