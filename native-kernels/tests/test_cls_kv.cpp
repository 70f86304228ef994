// The [CLS] attention with the key and value linears folded in (Backend::attention_cls_kv_*, and
// lora_down_forward/backward for their adapters) on every backend, ref included, against the
// unfolded computation on the reference backend: project k and v (lora_forward or
// matmul_forward), [CLS] attention, and back through attention_cls_backward, lora_backward or
// matmul_backward. Outputs, the input's, the query's and every parameter's gradient.
#include <string>
#include <vector>

#include "backend_test.h"

using namespace tbw;
using th::DevBuf;

// Declared tolerances: the same math in another order (scores as x·(W_kᵀq) instead of q·(W_k x)).
constexpr double OUT_RTOL = 1e-4, OUT_ATOL = 2e-5;
constexpr double GRAD_RTOL = 1e-3, GRAD_ATOL = 1e-4;

struct Case {
  int T, HS;
  bool padded;
  float attn_p;
  bool lora_k, lora_v;  // adapters (the base frozen) or, without, a trainable base
  float lora_p;
  bool dx;  // the input needs a gradient
};

struct Linear {
  std::vector<float> w, b, A, B;
};

static bool check(Backend& be, const Case& c) {
  const int B = 3, NH = 2, HS = c.HS, T = c.T, C = NH * HS, N = B * T, r = 4;
  const float scale = 2.f;
  const AttentionShape s{B, NH, T, HS, true};
  const uint64_t seed = 77, seed_k = 5, seed_v = 6;
  auto x = th::random_vec((size_t)N * C, T + HS, -1, 1), q = th::random_vec((size_t)B * C, T + 2 * HS, -1, 1);
  auto dout = th::random_vec((size_t)B * C, T + 3 * HS);
  auto linear = [&](unsigned sd) {
    return Linear{th::random_vec((size_t)C * C, sd, -0.3f, 0.3f), th::random_vec(C, sd + 1), th::random_vec((size_t)r * C, sd + 2, -0.3f, 0.3f),
                  th::random_vec((size_t)C * r, sd + 3, -0.3f, 0.3f)};
  };
  const Linear K = linear(11), V = linear(23);
  std::vector<uint8_t> mask(N, 1);
  for (int t = (T * 2) / 3; t < T; t++) mask[t] = 0;  // sequence 0: last third padded (T=1: every key)
  for (int t = 1; t < T; t++) mask[T + t] = 0;         // sequence 1: only the first key kept

  // The unfolded computation on the reference backend.
  Backend& ref = th::ref_backend();
  struct Grads {
    std::vector<float> w, b, A, B;
  };
  const size_t NC = (size_t)N * C, BC = (size_t)B * C;
  DevBuf<float> rx(ref, x), rq(ref, q), rdo(ref, dout), rk(ref, NC), rv(ref, NC), rhk(ref, (size_t)N * r), rhv(ref, (size_t)N * r);
  DevBuf<float> rout(ref, BC), rlse(ref, (size_t)B * NH), rdq(ref, BC), rdk(ref, NC), rdv(ref, NC), rdx(ref, NC);
  DevBuf<uint8_t> rm(ref, mask);
  const uint8_t* rmask = c.padded ? rm.get() : nullptr;
  auto project = [&](float* out, float* h, const Linear& L, bool lora, uint64_t sd) {
    if (lora) ref.lora_forward(out, h, rx, L.w.data(), L.b.data(), L.A.data(), L.B.data(), N, C, C, r, scale, c.lora_p, sd);
    else ref.matmul_forward(out, rx, L.w.data(), L.b.data(), N, C, C);
  };
  project(rk, rhk, K, c.lora_k, seed_k);
  project(rv, rhv, V, c.lora_v, seed_v);
  ref.attention_cls_forward(rout, rlse, rq, rk, rv, rmask, s, c.attn_p, seed);
  ref.attention_cls_backward(rdq, rdk, rdv, rdo, rq, rk, rv, rlse, rmask, s, c.attn_p, seed);
  auto back = [&](Grads& g, const float* d, const float* h, const Linear& L, bool lora, uint64_t sd) {
    g = {lora ? std::vector<float>() : std::vector<float>((size_t)C * C), std::vector<float>(C), std::vector<float>((size_t)r * C),
         std::vector<float>((size_t)C * r)};
    if (lora) ref.lora_backward(rdx, g.A.data(), g.B.data(), g.b.data(), d, rx, L.w.data(), L.A.data(), L.B.data(), h, N, C, C, r, scale, c.lora_p, sd);
    else ref.matmul_backward(rdx, g.w.data(), g.b.data(), d, rx, L.w.data(), N, C, C);
  };
  Grads want_k, want_v;
  back(want_k, rdk, rhk, K, c.lora_k, seed_k);
  back(want_v, rdv, rhv, V, c.lora_v, seed_v);

  // The folded op on the backend under test.
  DevBuf<float> X(be, x), Q(be, q), dO(be, dout), hk(be, (size_t)N * r), hv(be, (size_t)N * r), out(be, BC), lse(be, (size_t)B * NH);
  DevBuf<float> dq(be, BC), dx(be, NC), dhk(be, (size_t)N * r), dhv(be, (size_t)N * r);
  DevBuf<float> kw(be, K.w), kb(be, K.b), kA(be, K.A), kB(be, K.B), vw(be, V.w), vb(be, V.b), vA(be, V.A), vB(be, V.B);
  DevBuf<float> gkw(be, K.w.size()), gkb(be, C), gkA(be, K.A.size()), gkB(be, K.B.size());
  DevBuf<float> gvw(be, V.w.size()), gvb(be, C), gvA(be, V.A.size()), gvB(be, V.B.size());
  DevBuf<uint8_t> m(be, mask);
  const uint8_t* mp = c.padded ? m.get() : nullptr;
  float* hs[2];
  const float* As[2];
  uint64_t seeds[2];
  int n = 0;
  if (c.lora_k) hs[n] = hk, As[n] = kA, seeds[n++] = seed_k;
  if (c.lora_v) hs[n] = hv, As[n] = vA, seeds[n++] = seed_v;
  if (n) be.lora_down_forward(n, hs, X, As, N, C, r, c.lora_p, seeds);
  ClsKV kv{kw, kb, vw, vb};
  kv.r = r, kv.scale = scale;
  if (c.lora_k) kv.k_B = kB, kv.hk = hk;
  if (c.lora_v) kv.v_B = vB, kv.hv = hv;
  ClsKVGrads g;
  g.k_b = gkb, g.v_b = gvb;
  if (c.lora_k) g.k_B = gkB;
  else g.k_w = gkw;
  if (c.lora_v) g.v_B = gvB;
  else g.v_w = gvw;
  be.attention_cls_kv_forward(out, lse, X, Q, kv, mp, s, c.attn_p, seed);
  be.attention_cls_kv_backward(c.dx ? dx.get() : nullptr, dq, c.lora_k ? dhk.get() : nullptr, c.lora_v ? dhv.get() : nullptr, g, dO, X, Q, kv,
                               lse, mp, s, c.attn_p, seed);
  if (c.lora_k) be.lora_down_backward(c.dx ? dx.get() : nullptr, gkA, dhk, X, kA, N, C, r, c.lora_p, seed_k);
  if (c.lora_v) be.lora_down_backward(c.dx ? dx.get() : nullptr, gvA, dhv, X, vA, N, C, r, c.lora_p, seed_v);

  bool ok = th::allclose("out", out.host().data(), rout.host().data(), BC, OUT_RTOL, OUT_ATOL);
  ok = th::allclose("lse", lse.host().data(), rlse.host().data(), (size_t)B * NH, OUT_RTOL, OUT_ATOL) && ok;
  if (c.lora_k) ok = th::same("hk", hk, rhk, OUT_RTOL, OUT_ATOL) && ok;
  if (c.lora_v) ok = th::same("hv", hv, rhv, OUT_RTOL, OUT_ATOL) && ok;
  ok = th::same("dq", dq, rdq, GRAD_RTOL, GRAD_ATOL) && ok;
  if (c.dx) ok = th::same("dx", dx, rdx, GRAD_RTOL, GRAD_ATOL) && ok;
  else ok = th::allclose("dx untouched", dx.host().data(), std::vector<float>(NC).data(), NC, 0, 0) && ok;
  auto grads = [&](const char* which, const Grads& want, const DevBuf<float>& gw, const DevBuf<float>& gb, const DevBuf<float>& gA,
                   const DevBuf<float>& gB, bool lora) {
    const std::string t = which;
    bool good = th::allclose((t + ".bias").c_str(), gb.host().data(), want.b.data(), C, GRAD_RTOL, GRAD_ATOL);
    if (lora) {
      good = th::allclose((t + ".A").c_str(), gA.host().data(), want.A.data(), want.A.size(), GRAD_RTOL, GRAD_ATOL) && good;
      good = th::allclose((t + ".B").c_str(), gB.host().data(), want.B.data(), want.B.size(), GRAD_RTOL, GRAD_ATOL) && good;
      good = th::allclose((t + ".weight untouched").c_str(), gw.host().data(), std::vector<float>((size_t)C * C).data(), (size_t)C * C, 0, 0) && good;
    } else {
      good = th::allclose((t + ".weight").c_str(), gw.host().data(), want.w.data(), want.w.size(), GRAD_RTOL, GRAD_ATOL) && good;
    }
    return good;
  };
  ok = grads("key", want_k, gkw, gkb, gkA, gkB, c.lora_k) && ok;
  ok = grads("value", want_v, gvw, gvb, gvA, gvB, c.lora_v) && ok;
  return ok;
}

int main() {
  std::printf("test_cls_kv (the [CLS] attention with folded key/value linears vs projecting them, on the reference backend)\n");
  for (Backend* be : th::all_backends_or_skip("folded [CLS] keys and values")) {
    const std::string tag = std::string("cls_kv[") + be->name() + "]";
    if (!be->has_attention_cls_kv()) {
      th::skip(tag, std::string(be->name()) + " cannot fold the keys and values (its models project them)");
      continue;
    }
    for (int T : {1, 7, 128}) th::report(tag + " T=" + std::to_string(T) + " HS=26 padded, trainable base", check(*be, {T, 26, true, 0.f, false, false, 0.f, true}));
    th::report(tag + " T=77 HS=64 LoRA on key and value", check(*be, {77, 64, false, 0.f, true, true, 0.f, true}));
    th::report(tag + " T=128 HS=26 padded, LoRA dropout 0.1, attention dropout 0.1",
               check(*be, {128, 26, true, 0.1f, true, true, 0.1f, true}));
    th::report(tag + " T=33 HS=26 LoRA on key only, dropout 0.2, no input gradient", check(*be, {33, 26, false, 0.2f, true, false, 0.2f, false}));
    th::report(tag + " T=33 HS=26 padded, LoRA on value only, dropout 0.2", check(*be, {33, 26, true, 0.2f, false, true, 0.2f, true}));
  }
  return th::finish("test_cls_kv");
}
