// BertForSequenceClassification against the PyTorch fixtures (a 2-layer,
// hidden-64 config and one TinyBERT 4L-312D batch): logits, loss and every
// gradient for full fine-tuning, and loss plus LoRA and classifier gradients
// with LoRA on q/k/v — on every backend.
#include <memory>
#include <string>
#include <vector>

#include "backend_test.h"
#include "fixture.h"
#include "tbw/bert_model.h"

using namespace tbw;
using th::DevBuf;
using Vec = std::vector<float>;

constexpr double REL = 1e-4;  // declared: within 1e-4 of each tensor's scale (+1e-6)

// The model shapes of tools/make_fixtures.py (MODEL and TINYBERT).
struct Shape {
  int V, P, NTT, C, NH, FF, L, NC, B, T, R;
  float alpha;
};
static Shape S;

struct Spec {
  std::string name;
  size_t n;
  float lo, hi;
};

// The same parameters, order and generator seeds as tools/make_fixtures.py.
static std::vector<Spec> param_specs() {
  const int V = S.V, P = S.P, NTT = S.NTT, C = S.C, FF = S.FF, L = S.L, NC = S.NC;
  std::vector<Spec> s = {{"bert.embeddings.word_embeddings.weight", (size_t)V * C, -.5f, .5f},
                         {"bert.embeddings.position_embeddings.weight", (size_t)P * C, -.5f, .5f},
                         {"bert.embeddings.token_type_embeddings.weight", (size_t)NTT * C, -.5f, .5f},
                         {"bert.embeddings.LayerNorm.weight", C, .8f, 1.2f},
                         {"bert.embeddings.LayerNorm.bias", C, -.1f, .1f}};
  for (int l = 0; l < L; l++) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      s.push_back({p + n + ".weight", (size_t)C * C, -.15f, .15f});
      s.push_back({p + n + ".bias", C, -.1f, .1f});
    }
    s.push_back({p + "attention.output.LayerNorm.weight", C, .8f, 1.2f});
    s.push_back({p + "attention.output.LayerNorm.bias", C, -.1f, .1f});
    s.push_back({p + "intermediate.dense.weight", (size_t)FF * C, -.15f, .15f});
    s.push_back({p + "intermediate.dense.bias", FF, -.1f, .1f});
    s.push_back({p + "output.dense.weight", (size_t)C * FF, -.1f, .1f});
    s.push_back({p + "output.dense.bias", C, -.1f, .1f});
    s.push_back({p + "output.LayerNorm.weight", C, .8f, 1.2f});
    s.push_back({p + "output.LayerNorm.bias", C, -.1f, .1f});
  }
  s.push_back({"bert.pooler.dense.weight", (size_t)C * C, -.15f, .15f});
  s.push_back({"bert.pooler.dense.bias", C, -.1f, .1f});
  s.push_back({"classifier.weight", (size_t)NC * C, -.3f, .3f});
  s.push_back({"classifier.bias", NC, -.1f, .1f});
  return s;
}

// Large gradients may be stored sampled (every 97th entry): compare what is stored.
static Vec as_stored(const Vec& full, size_t stored) {
  if (stored == full.size()) return full;
  Vec out;
  for (size_t j = 0; j < full.size(); j += 97) out.push_back(full[j]);
  return out;
}

// With fx, logits, loss and gradients against the PyTorch fixture; with dropout > 0 (hidden,
// attention and LoRA dropout; PyTorch's masks differ from ours) they are returned in `got` instead.
// nudge: parameter `nudge.first`'s element 0 is moved by `delta` (finite differences).
// last: the last layer computes the [CLS] rows only with its keys and values folded into the
// attention (the model's default), the [CLS] rows from projected keys and values, or every token.
enum class LastLayer { Folded, Cls, Full };
static bool run(Backend& be, const th::Fixture* fx, bool lora, float dropout = 0.f, std::vector<Vec>* got = nullptr, int nudge = -1,
                float delta = 0.f, LastLayer last_layer = LastLayer::Folded) {
  const int V = S.V, P = S.P, NTT = S.NTT, C = S.C, NH = S.NH, FF = S.FF, L = S.L, NC = S.NC, B = S.B, T = S.T, R = S.R;
  const auto specs = param_specs();
  std::vector<std::unique_ptr<DevBuf<float>>> w, g;
  for (size_t i = 0; i < specs.size(); i++) {
    w.push_back(std::make_unique<DevBuf<float>>(be, th::random_vec(specs[i].n, 3000 + (unsigned)i, specs[i].lo, specs[i].hi)));
    g.push_back(std::make_unique<DevBuf<float>>(be, specs[i].n));
  }
  if (nudge >= 0) {
    Vec h = w[nudge]->host();
    h[0] += delta;
    w[nudge] = std::make_unique<DevBuf<float>>(be, h);
  }
  std::vector<std::unique_ptr<DevBuf<float>>> la, lg;  // LoRA A/B per layer and projection
  for (int l = 0; l < L; l++)
    for (int j = 0; j < 3; j++) {
      const unsigned base = 4000 + 10 * l + 2 * j;
      la.push_back(std::make_unique<DevBuf<float>>(be, th::random_vec((size_t)R * C, base, -.2f, .2f)));
      la.push_back(std::make_unique<DevBuf<float>>(be, th::random_vec((size_t)C * R, base + 1, -.2f, .2f)));
      lg.push_back(std::make_unique<DevBuf<float>>(be, (size_t)R * C));
      lg.push_back(std::make_unique<DevBuf<float>>(be, (size_t)C * R));
    }
  auto W = [&](int i) -> const float* { return w[i]->get(); };
  auto G = [&](int i) -> float* { return lora ? nullptr : g[i]->get(); };
  BertModelConfig cfg{V, P, NTT, C, NH, FF, L, NC};
  if (lora) cfg.lora_r = R, cfg.lora_scale = S.alpha / R;
  cfg.hidden_dropout = cfg.attn_dropout = cfg.lora_dropout = dropout, cfg.seed = 5;
  cfg.cls_only_last_layer = last_layer != LastLayer::Full;
  cfg.fold_last_kv = last_layer == LastLayer::Folded;
  BertModelParams p{W(0), W(1), W(2), W(3), W(4), {}, nullptr, nullptr, nullptr, nullptr};
  BertModelGrads gr;
  gr.wte = G(0), gr.wpe = G(1), gr.wtt = G(2), gr.emb_ln_w = G(3), gr.emb_ln_b = G(4);
  for (int l = 0; l < L; l++) {
    const int b = 5 + 16 * l;
    BertLayerParams lp{W(b), W(b + 1), W(b + 2), W(b + 3), W(b + 4), W(b + 5), W(b + 6), W(b + 7), W(b + 8), W(b + 9),
                       W(b + 10), W(b + 11), W(b + 12), W(b + 13), W(b + 14), W(b + 15)};
    BertLayerGrads lgr{G(b), G(b + 1), G(b + 2), G(b + 3), G(b + 4), G(b + 5), G(b + 6), G(b + 7), G(b + 8), G(b + 9),
                       G(b + 10), G(b + 11), G(b + 12), G(b + 13), G(b + 14), G(b + 15)};
    if (lora) {
      const int k = 6 * l;
      lp.q_A = *la[k], lp.q_B = *la[k + 1], lp.k_A = *la[k + 2], lp.k_B = *la[k + 3], lp.v_A = *la[k + 4], lp.v_B = *la[k + 5];
      lgr.q_A = *lg[k], lgr.q_B = *lg[k + 1], lgr.k_A = *lg[k + 2], lgr.k_B = *lg[k + 3], lgr.v_A = *lg[k + 4], lgr.v_B = *lg[k + 5];
    }
    p.layers.push_back(lp);
    gr.layers.push_back(lgr);
  }
  const int last = (int)specs.size() - 1;
  p.pool_w = W(last - 3), p.pool_b = W(last - 2), p.cls_w = W(last - 1), p.cls_b = W(last);
  gr.pool_w = G(last - 3), gr.pool_b = G(last - 2);
  gr.cls_w = g[last - 1]->get(), gr.cls_b = g[last]->get();  // the classifier trains in both setups

  std::vector<int32_t> ids(B * T), tt(B * T), labels(B);
  for (int b = 0; b < B; b++) labels[b] = 1 - b % 2;
  std::vector<uint8_t> mask(B * T, 1);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      ids[b * T + t] = (b * 7 + t * 3 + 1) % V;
      tt[b * T + t] = t >= 4 ? 1 : 0;
      if (b == B - 1 && t >= 4) mask[b * T + t] = 0;
    }
  DevBuf<int32_t> I(be, ids), TT(be, tt), Y(be, labels);
  DevBuf<uint8_t> M(be, mask);
  BertModelActs acts(be, cfg, B, T);
  const std::string pre = lora ? "lora_" : "";
  float loss = bert_model_forward(be, cfg, p, acts, I, TT, M, Y);
  Vec logits(B * NC);
  be.download(logits.data(), acts.logits, logits.size() * sizeof(float));
  if (!fx) {
    bert_model_backward(be, cfg, p, gr, acts, I, TT, M, Y);
    *got = {Vec{loss}, logits};
    for (auto& t : g) got->push_back(t->host());
    for (auto& t : lg) got->push_back(t->host());
    return true;
  }
  bool ok = th::scale_close(pre + "logits", logits, fx->at(pre + "logits"), REL);
  ok = th::scale_close(pre + "loss", Vec{loss}, fx->at(pre + "loss"), REL) && ok;
  bert_model_backward(be, cfg, p, gr, acts, I, TT, M, Y);
  if (!lora) {
    for (size_t i = 0; i < specs.size(); i++) {
      const Vec& want = fx->at("d:" + specs[i].name);
      ok = th::scale_close("d" + specs[i].name, as_stored(g[i]->host(), want.size()), want, REL) && ok;
    }
  } else {
    const char* proj[] = {"query", "key", "value"};
    for (int l = 0; l < L; l++)
      for (int j = 0; j < 3; j++)
        for (int ab = 0; ab < 2; ab++) {
          const std::string name = "lora_d:" + std::to_string(l) + "." + proj[j] + "." + (ab ? "B" : "A");
          const Vec& want = fx->at(name);
          ok = th::scale_close(name, as_stored(lg[6 * l + 2 * j + ab]->host(), want.size()), want, REL) && ok;
        }
    ok = th::scale_close("lora classifier.weight", g[last - 1]->host(), fx->at("lora_d:classifier.weight"), REL) && ok;
    ok = th::scale_close("lora classifier.bias", g[last]->host(), fx->at("lora_d:classifier.bias"), REL) && ok;
  }
  return ok;
}

int main() {
  std::printf("test_model (BertForSequenceClassification vs PyTorch, tolerance %.0e of each tensor's scale)\n", REL);
  struct Case {
    const char* label;
    const char* fixture;
    Shape shape;
  };
  const Case cases[] = {{"2-layer hidden-64", "bert_model.bin", {50, 16, 2, 64, 4, 128, 2, 2, 3, 7, 4, 8.f}},
                        {"TinyBERT 4L-312D", "bert_model_tinybert.bin", {30522, 512, 2, 312, 12, 1200, 4, 2, 2, 16, 16, 16.f}}};
  for (const Case& c : cases) {
    S = c.shape;
    const th::Fixture fx = th::load_fixture(c.fixture);
    for (Backend* be : th::all_backends_or_skip(std::string("model ") + c.label))
      for (LastLayer last : {LastLayer::Folded, LastLayer::Cls, LastLayer::Full}) {
        // The folded [CLS]-only last layer is the default; the full one is what the CUDA backend runs.
        const char* form = last == LastLayer::Folded ? "" : last == LastLayer::Cls ? ", [CLS] last layer, keys and values projected" : ", full last layer";
        const std::string tag = std::string("[") + be->name() + "] " + c.label + form + ": ";
        th::report(tag + "full fine-tuning: logits, loss, every gradient", run(*be, &fx, false, 0.f, nullptr, -1, 0.f, last));
        th::report(tag + "LoRA r=" + std::to_string(S.R) + " on q/k/v: logits, loss, LoRA and classifier gradients",
                   run(*be, &fx, true, 0.f, nullptr, -1, 0.f, last));
      }
  }
  // Dropout 0.1 everywhere (hidden, attention, LoRA): each fast backend against the reference backend,
  // which draws the same masks. Declared tolerance: as above, of each tensor's scale.
  S = cases[0].shape;
  for (bool lora : {false, true}) {
    std::vector<Vec> want, got;
    run(th::ref_backend(), nullptr, lora, 0.1f, &want);
    for (Backend* be : th::fast_backends_or_skip("model dropout")) {
      run(*be, nullptr, lora, 0.1f, &got);
      bool ok = true;
      for (size_t i = 0; i < want.size(); i++) ok = th::scale_close("tensor " + std::to_string(i), got[i], want[i], REL) && ok;
      th::report(std::string("[") + be->name() + "] 2-layer hidden-64, dropout 0.1, " + (lora ? "LoRA" : "full") + ": vs the reference backend", ok);
    }
  }
  // ... and the reference's gradients with dropout against central finite differences of the loss (the
  // masks are fixed by the seed) for the first weight of every parameter of layer 0. Declared: 3 %
  // relative or 2e-4 absolute (float32 losses, step 1e-2).
  {
    std::vector<Vec> base, plus, minus;
    run(th::ref_backend(), nullptr, false, 0.1f, &base);
    bool ok = true;
    for (int i = 5; i < 5 + 16; i++) {
      run(th::ref_backend(), nullptr, false, 0.1f, &plus, i, 1e-2f);
      run(th::ref_backend(), nullptr, false, 0.1f, &minus, i, -1e-2f);
      const double fd = (plus[0][0] - minus[0][0]) / 2e-2, an = base[2 + i][0];
      if (std::fabs(fd - an) > 0.03 * std::fabs(an) + 2e-4) {
        std::printf("    FAIL %s: finite difference %.6g, backward %.6g\n", param_specs()[i].name.c_str(), fd, an);
        ok = false;
      }
    }
    th::report("[ref] 2-layer hidden-64, dropout 0.1: layer 0's gradients vs finite differences", ok);
  }
  return th::finish("test_model");
}
