// The golden PyTorch fixtures (tools/make_fixtures.py): one BERT encoder layer
// with LoRA on q/k/v, forward and backward, and three AdamW / Adafactor steps,
// on the reference backend and every fast backend.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backend_test.h"
#include "fixture.h"
#include "tbw/bert_layer.h"

using namespace tbw;
using th::DevBuf;
using Vec = std::vector<float>;

constexpr double REL = 1e-4;  // declared: within 1e-4 of each tensor's scale

struct Spec {
  const char* name;
  size_t n;
  float lo, hi;
};

static bool check_bert_layer(Backend& be, const th::Fixture& fx) {
  const int B = 2, T = 9, C = 312, NH = 12, FF = 1200, r = 16, N = B * T;
  const std::vector<Spec> specs = {
      {"x", (size_t)N * C, -1, 1},         {"q_w", (size_t)C * C, -.1f, .1f}, {"q_b", C, -.1f, .1f},
      {"k_w", (size_t)C * C, -.1f, .1f},   {"k_b", C, -.1f, .1f},           {"v_w", (size_t)C * C, -.1f, .1f},
      {"v_b", C, -.1f, .1f},               {"ao_w", (size_t)C * C, -.1f, .1f}, {"ao_b", C, -.1f, .1f},
      {"ln1_w", C, .8f, 1.2f},             {"ln1_b", C, -.1f, .1f},         {"i_w", (size_t)FF * C, -.1f, .1f},
      {"i_b", FF, -.1f, .1f},              {"o_w", (size_t)C * FF, -.1f, .1f}, {"o_b", C, -.1f, .1f},
      {"ln2_w", C, .8f, 1.2f},             {"ln2_b", C, -.1f, .1f},         {"q_A", (size_t)r * C, -.1f, .1f},
      {"q_B", (size_t)C * r, -.1f, .1f},   {"k_A", (size_t)r * C, -.1f, .1f}, {"k_B", (size_t)C * r, -.1f, .1f},
      {"v_A", (size_t)r * C, -.1f, .1f},   {"v_B", (size_t)C * r, -.1f, .1f}, {"R", (size_t)N * C, -1, 1}};
  std::vector<Vec> host;
  double sum = 0;
  for (size_t i = 0; i < specs.size(); i++) {
    host.push_back(th::random_vec(specs[i].n, 1000 + (unsigned)i, specs[i].lo, specs[i].hi));
    for (float v : host.back()) sum += v;
  }
  if (std::fabs(sum - fx.at("input_checksum")[0]) > 1e-3 * std::fabs(sum) + 1e-2) {
    std::printf("    FAIL inputs differ from the fixture's (checksum %.6g vs %.6g): the generators drifted\n", sum,
                fx.at("input_checksum")[0]);
    return false;
  }
  std::vector<std::unique_ptr<DevBuf<float>>> dev, grad;
  for (size_t i = 0; i < specs.size(); i++) {
    dev.push_back(std::make_unique<DevBuf<float>>(be, host[i]));
    grad.push_back(std::make_unique<DevBuf<float>>(be, specs[i].n));
  }
  auto P = [&](int i) -> const float* { return dev[i]->get(); };
  auto G = [&](int i) -> float* { return grad[i]->get(); };
  BertLayerParams p{P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9), P(10), P(11), P(12), P(13), P(14), P(15), P(16),
                    P(17), P(18), P(19), P(20), P(21), P(22)};
  BertLayerGrads g{G(1), G(2), G(3), G(4), G(5), G(6), G(7), G(8), G(9), G(10), G(11), G(12), G(13), G(14), G(15), G(16),
                   G(17), G(18), G(19), G(20), G(21), G(22)};
  BertLayerConfig cfg{B, T, C, NH, FF};
  cfg.lora_r = r;
  cfg.lora_scale = 16.f / r;
  std::vector<uint8_t> mask_h(B * T, 1);
  for (int t = 6; t < T; t++) mask_h[T + t] = 0;
  DevBuf<uint8_t> mask(be, mask_h);
  BertLayerActs acts(be, cfg);
  bert_layer_forward(be, cfg, p, acts, P(0), mask);
  Vec out(host[0].size());
  be.download(out.data(), acts.out, out.size() * sizeof(float));
  bool ok = th::scale_close("out", out, fx.at("out"), REL);
  bert_layer_backward(be, cfg, p, g, acts, P(0), mask, P(23), G(0));
  ok = th::scale_close("dx", grad[0]->host(), fx.at("dx"), REL) && ok;
  for (size_t i = 1; i + 1 < specs.size(); i++) {
    Vec gi = grad[i]->host();
    const Vec& want = fx.at(std::string("d") + specs[i].name);
    if (want.size() != gi.size()) {  // large gradients are stored sampled (every 97th entry)
      Vec sampled;
      for (size_t j = 0; j < gi.size(); j += 97) sampled.push_back(gi[j]);
      gi.swap(sampled);
    }
    ok = th::scale_close(std::string("d") + specs[i].name, gi, want, REL) && ok;
  }
  return ok;
}

static bool check_optimizers(Backend& be, const th::Fixture& fx) {
  const int rows = 64, cols = 100;
  Vec pm0 = th::random_vec(rows * cols, 2000), pv0 = th::random_vec(cols, 2001);
  std::vector<Vec> gm, gv;
  double sum = 0;
  for (float v : pm0) sum += v;
  for (float v : pv0) sum += v;
  for (int s = 0; s < 3; s++) {
    gm.push_back(th::random_vec(rows * cols, 2010 + s));
    gv.push_back(th::random_vec(cols, 2020 + s));
    for (float v : gm.back()) sum += v;
    for (float v : gv.back()) sum += v;
  }
  if (std::fabs(sum - fx.at("input_checksum")[0]) > 1e-3 * std::fabs(sum) + 1e-2) {
    std::printf("    FAIL optimizer inputs differ from the fixture's: the generators drifted\n");
    return false;
  }
  bool ok = true;
  {
    DevBuf<float> pm(be, pm0), pv(be, pv0), mm(be, pm0.size()), vm(be, pm0.size()), mv(be, pv0.size()), vv(be, pv0.size());
    for (int s = 0; s < 3; s++) {
      DevBuf<float> g1(be, gm[s]), g2(be, gv[s]);
      AdamWHyper h{3.9e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, s + 1};
      be.adamw_update(pm, g1, mm, vm, pm0.size(), h);
      be.adamw_update(pv, g2, mv, vv, pv0.size(), h);
      const std::string step = "adamw_step" + std::to_string(s + 1);
      ok = th::scale_close(step + "_mat", pm.host(), fx.at(step + "_mat"), REL) && ok;
      ok = th::scale_close(step + "_vec", pv.host(), fx.at(step + "_vec"), REL) && ok;
    }
  }
  for (int config = 0; config < 2; config++) {
    const std::string label = config == 0 ? "plain" : "beta1_wd_scaled";
    DevBuf<float> pm(be, pm0), pv(be, pv0), row(be, rows), col(be, cols), vm(be, 1), mm(be, pm0.size());
    DevBuf<float> row_v(be, 1), col_v(be, 1), v_v(be, cols), m_v(be, cols);
    for (int s = 0; s < 3; s++) {
      DevBuf<float> g1(be, gm[s]), g2(be, gv[s]);
      AdafactorHyper h;
      h.lr = 1e-3f, h.step = s + 1;
      if (config == 1) h.beta1 = 0.9f, h.weight_decay = 0.01f, h.scale_parameter = true;
      be.adafactor_update(pm, g1, row, col, vm, mm, rows, cols, h);
      be.adafactor_update(pv, g2, row_v, col_v, v_v, m_v, 1, cols, h);
      const std::string step = "adafactor_" + label + "_step" + std::to_string(s + 1);
      ok = th::scale_close(step + "_mat", pm.host(), fx.at(step + "_mat"), REL) && ok;
      ok = th::scale_close(step + "_vec", pv.host(), fx.at(step + "_vec"), REL) && ok;
    }
  }
  return ok;
}

int main() {
  std::printf("test_fixtures (PyTorch golden fixtures, tolerance %.0e of each tensor's scale)\n", REL);
  const th::Fixture layer = th::load_fixture("bert_layer_lora.bin"), optim = th::load_fixture("optim.bin");
  for (Backend* be : th::all_backends_or_skip("fixtures")) {
    const std::string tag = std::string("[") + be->name() + "] ";
    th::report(tag + "BERT layer + LoRA q/k/v: out, dx and every parameter gradient", check_bert_layer(*be, layer));
    th::report(tag + "3 AdamW steps, 3 Adafactor steps x 2 configs", check_optimizers(*be, optim));
  }
  return th::finish("test_fixtures");
}
