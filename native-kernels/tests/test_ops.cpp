// Every non-attention op on each fast backend against the reference backend,
// at TinyBERT, BERT-base and odd shapes. Tolerances are declared per check.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backend_test.h"
#include "tbw/fast_exp.h"

using namespace tbw;
using th::DevBuf;
using Vec = std::vector<float>;

static Vec rnd(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) { return th::random_vec(n, seed, lo, hi); }

// GEMM-based ops: fp32 FMA sums vs double-accumulated reference, error grows like sqrt(K).
static double gemm_atol(int K) { return 3e-6 * std::sqrt((double)K) + 1e-6; }

// tol scales the tolerances: 1 for fp32 backends; bf16 GEMM inputs keep 8 bits of mantissa.
static bool check_matmul(Backend& be, int N, int C, int OC, double tol = 1) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, N + C), w = rnd((size_t)OC * C, OC), b = rnd(OC, 3), dout = rnd((size_t)N * OC, 4);
  Vec dx0 = rnd((size_t)N * C, 5), dw0 = rnd((size_t)OC * C, 6), db0 = rnd(OC, 7);  // backward accumulates
  auto run = [&](Backend& k, DevBuf<float>& out, DevBuf<float>& dx, DevBuf<float>& dw, DevBuf<float>& db) {
    DevBuf<float> X(k, x), W(k, w), Bv(k, b), dO(k, dout);
    k.matmul_forward(out, X, W, Bv, N, C, OC);
    k.matmul_backward(dx, dw, db, dO, X, W, N, C, OC);
  };
  DevBuf<float> o1(be, (size_t)N * OC), dx1(be, dx0), dw1(be, dw0), db1(be, db0);
  DevBuf<float> o2(rb, (size_t)N * OC), dx2(rb, dx0), dw2(rb, dw0), db2(rb, db0);
  run(be, o1, dx1, dw1, db1);
  run(rb, o2, dx2, dw2, db2);
  return th::same("out", o1, o2, 1e-5 * tol, gemm_atol(C) * tol) && th::same("dinp", dx1, dx2, 1e-5 * tol, gemm_atol(OC) * tol) &&
         th::same("dweight", dw1, dw2, 1e-5 * tol, gemm_atol(N) * tol) && th::same("dbias", db1, db2, 1e-5, gemm_atol(N));
}

// GELU fused into the GEMM (intermediate.dense): the product and its GELU against the two reference
// ops, with the product kept and without (in place); K > 1280 takes the unfused second pass.
static bool check_matmul_gelu(Backend& be, int N, int C, int OC) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, N + 2 * C), w = rnd((size_t)OC * C, OC + 1), b = rnd(OC, 8);
  Vec pre((size_t)N * OC), act(pre.size());
  rb.matmul_forward(pre.data(), x.data(), w.data(), b.data(), N, C, OC);
  rb.gelu_forward(act.data(), pre.data(), (long)act.size());
  DevBuf<float> X(be, x), W(be, w), Bv(be, b), P(be, pre.size()), A(be, pre.size()), A2(be, pre.size());
  be.matmul_gelu_forward(P, A, X, W, Bv, N, C, OC);
  be.matmul_gelu_forward(nullptr, A2, X, W, Bv, N, C, OC);
  const double atol = 1.2 * gemm_atol(C);  // GELU's slope is at most 1.13
  return th::allclose("pre", P.host().data(), pre.data(), pre.size(), 1e-5, gemm_atol(C)) &&
         th::allclose("gelu", A.host().data(), act.data(), act.size(), 1e-5, atol) &&
         th::allclose("gelu in place", A2.host().data(), act.data(), act.size(), 1e-5, atol);
}

// output.dense's backward through GELU: dpre = (dout·W) ∘ GELU'(pre) written, dweight and dbias
// accumulated, against the reference's matmul_backward and gelu_backward. K = OC > 1280 takes the
// unfused second pass.
static bool check_matmul_backward_gelu(Backend& be, int N, int C, int OC) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, 61), w = rnd((size_t)OC * C, 62), dout = rnd((size_t)N * OC, 63), pre = rnd((size_t)N * C, 64, -3, 3);
  Vec dw0 = rnd((size_t)OC * C, 65), db0 = rnd(OC, 66), junk = rnd((size_t)N * C, 67);
  Vec dx((size_t)N * C, 0.f), dpre((size_t)N * C, 0.f), dw = dw0, db = db0;
  rb.matmul_backward(dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), N, C, OC);
  rb.gelu_backward(dpre.data(), pre.data(), dx.data(), (long)dx.size());
  DevBuf<float> X(be, x), W(be, w), dO(be, dout), P(be, pre), dP(be, junk), dW(be, dw0), dB(be, db0);  // dpre overwritten
  be.matmul_backward_gelu(dP, dW, dB, dO, X, W, P, N, C, OC);
  return th::allclose("dpre", dP.host().data(), dpre.data(), dpre.size(), 1e-5, 1.2 * gemm_atol(OC)) &&
         th::allclose("dweight", dW.host().data(), dw.data(), dw.size(), 1e-5, gemm_atol(N)) &&
         th::allclose("dbias", dB.host().data(), db.data(), db.size(), 1e-5, gemm_atol(N));
}

// Three weights on one input (query, key, value) against three reference products.
static bool check_matmul_shared(Backend& be, int N, int C, int OC) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, N + 3 * C);
  bool ok = true;
  std::vector<Vec> w, b, want;
  for (int i = 0; i < 3; i++) {
    w.push_back(rnd((size_t)OC * C, 40 + i)), b.push_back(rnd(OC, 50 + i)), want.emplace_back((size_t)N * OC);
    rb.matmul_forward(want[i].data(), x.data(), w[i].data(), i < 2 ? b[i].data() : nullptr, N, C, OC);
  }
  DevBuf<float> X(be, x), W0(be, w[0]), W1(be, w[1]), W2(be, w[2]), B0(be, b[0]), B1(be, b[1]), B2(be, b[2]);
  DevBuf<float> O0(be, (size_t)N * OC), O1(be, (size_t)N * OC), O2(be, (size_t)N * OC);
  float* outs[3] = {O0, O1, O2};
  const float* ws[3] = {W0, W1, W2};
  const float* bs[3] = {B0, B1, nullptr};  // a layer without bias too
  be.matmul_forward_shared(3, outs, X, ws, bs, N, C, OC);
  ok = th::allclose("query", O0.host().data(), want[0].data(), want[0].size(), 1e-5, gemm_atol(C)) && ok;
  ok = th::allclose("key", O1.host().data(), want[1].data(), want[1].size(), 1e-5, gemm_atol(C)) && ok;
  ok = th::allclose("value", O2.host().data(), want[2].data(), want[2].size(), 1e-5, gemm_atol(C)) && ok;
  return ok;
}

static bool check_lora(Backend& be, int N, int C, int OC, int r, float p) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, 11), w = rnd((size_t)OC * C, 12), b = rnd(OC, 13), A = rnd((size_t)r * C, 14, -0.1f, 0.1f);
  Vec Bm = rnd((size_t)OC * r, 15, -0.1f, 0.1f), dout = rnd((size_t)N * OC, 16);
  const float scale = 16.f / r;
  struct Out {
    Vec out, h, dx, dA, dB, db;
  };
  auto run = [&](Backend& k) {
    DevBuf<float> X(k, x), W(k, w), Bv(k, b), Ad(k, A), Bd(k, Bm), dO(k, dout);
    DevBuf<float> out(k, (size_t)N * OC), h(k, (size_t)N * r), dx(k, (size_t)N * C), dA(k, (size_t)r * C), dB(k, (size_t)OC * r),
        db(k, OC);
    k.lora_forward(out, h, X, W, Bv, Ad, Bd, N, C, OC, r, scale, p, 77);
    k.lora_backward(dx, dA, dB, db, dO, X, W, Ad, Bd, h, N, C, OC, r, scale, p, 77);
    return Out{out.host(), h.host(), dx.host(), dA.host(), dB.host(), db.host()};
  };
  Out g = run(be), e = run(rb);
  return th::allclose("out", g.out.data(), e.out.data(), g.out.size(), 1e-5, gemm_atol(C)) &&
         th::allclose("h", g.h.data(), e.h.data(), g.h.size(), 1e-5, gemm_atol(C)) &&
         th::allclose("dinp", g.dx.data(), e.dx.data(), g.dx.size(), 1e-5, gemm_atol(OC)) &&
         th::allclose("dA", g.dA.data(), e.dA.data(), g.dA.size(), 1e-4, 10 * gemm_atol(N)) &&
         th::allclose("dB", g.dB.data(), e.dB.data(), g.dB.size(), 1e-4, 10 * gemm_atol(N)) &&
         th::allclose("dbias", g.db.data(), e.db.data(), g.db.size(), 1e-5, gemm_atol(N));
}

// Three adapted linears on one input (query, key, value), each with its own dropout seed,
// against three reference lora_forward calls.
static bool check_lora_shared(Backend& be, int N, int C, int OC, int r, float p) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, 61);
  const float scale = 16.f / r;
  const uint64_t seeds[3] = {5, 6, 7};
  std::vector<Vec> w, b, A, Bm, want, want_h;
  for (int i = 0; i < 3; i++) {
    w.push_back(rnd((size_t)OC * C, 62 + i)), b.push_back(rnd(OC, 65 + i));
    A.push_back(rnd((size_t)r * C, 68 + i, -0.1f, 0.1f)), Bm.push_back(rnd((size_t)OC * r, 71 + i, -0.1f, 0.1f));
    want.emplace_back((size_t)N * OC), want_h.emplace_back((size_t)N * r);
    rb.lora_forward(want[i].data(), want_h[i].data(), x.data(), w[i].data(), b[i].data(), A[i].data(), Bm[i].data(), N, C, OC, r,
                    scale, p, seeds[i]);
  }
  DevBuf<float> X(be, x);
  std::vector<std::unique_ptr<DevBuf<float>>> bufs;
  auto dev = [&](const Vec& v) { return bufs.emplace_back(std::make_unique<DevBuf<float>>(be, v))->get(); };
  auto fresh = [&](size_t n) { return bufs.emplace_back(std::make_unique<DevBuf<float>>(be, n))->get(); };
  float *outs[3], *hs[3];
  const float *ws[3], *bs[3], *As[3], *Bs[3];
  for (int i = 0; i < 3; i++)
    outs[i] = fresh((size_t)N * OC), hs[i] = fresh((size_t)N * r), ws[i] = dev(w[i]), bs[i] = dev(b[i]), As[i] = dev(A[i]), Bs[i] = dev(Bm[i]);
  be.lora_forward_shared(3, outs, hs, X, ws, bs, As, Bs, N, C, OC, r, scale, p, seeds);
  bool ok = true;
  for (int i = 0; i < 3; i++) {
    ok = th::allclose("out", bufs[6 * i]->host().data(), want[i].data(), want[i].size(), 1e-5, gemm_atol(C)) && ok;
    ok = th::allclose("h", bufs[6 * i + 1]->host().data(), want_h[i].data(), want_h[i].size(), 1e-5, gemm_atol(C)) && ok;
  }
  return ok;
}

static bool check_layernorm(Backend& be, int N, int C) {
  Backend& rb = th::ref_backend();
  Vec x = rnd((size_t)N * C, 21, -3, 3), w = rnd(C, 22, 0.5f, 1.5f), b = rnd(C, 23), dout = rnd((size_t)N * C, 24);
  auto run = [&](Backend& k, std::vector<Vec>& res) {
    DevBuf<float> X(k, x), W(k, w), Bv(k, b), dO(k, dout), out(k, (size_t)N * C), mean(k, N), rstd(k, N);
    DevBuf<float> dx(k, (size_t)N * C), dw(k, C), db(k, C);
    k.layernorm_forward(out, mean, rstd, X, W, Bv, N, C, 1e-12f);
    k.layernorm_backward(dx, dw, db, dO, X, W, mean, rstd, N, C);
    res = {out.host(), mean.host(), rstd.host(), dx.host(), dw.host(), db.host()};
  };
  std::vector<Vec> g, e;
  run(be, g);
  run(rb, e);
  const char* names[] = {"out", "mean", "rstd", "dinp", "dweight", "dbias"};
  const double atol[] = {1e-5, 1e-6, 1e-5, 1e-4, 2e-6 * N + 1e-5, 2e-6 * N + 1e-5};
  bool ok = true;
  for (int i = 0; i < 6; i++) ok = th::allclose(names[i], g[i].data(), e[i].data(), g[i].size(), 1e-5, atol[i]) && ok;
  return ok;
}

// The fused residual + LayerNorm against the reference's two ops, keeping the sum and not.
static bool check_residual_layernorm(Backend& be, int N, int C) {
  Backend& rb = th::ref_backend();
  Vec a = rnd((size_t)N * C, 31, -2, 2), b = rnd((size_t)N * C, 32, -2, 2), w = rnd(C, 33, 0.5f, 1.5f), bias = rnd(C, 34);
  Vec sum((size_t)N * C), out(sum.size()), mean(N), rstd(N);
  rb.residual_forward(sum.data(), a.data(), b.data(), (long)sum.size());
  rb.layernorm_forward(out.data(), mean.data(), rstd.data(), sum.data(), w.data(), bias.data(), N, C, 1e-12f);
  DevBuf<float> A(be, a), B(be, b), W(be, w), Bv(be, bias), O(be, sum.size()), R(be, sum.size()), M(be, N), S(be, N), O2(be, sum.size());
  be.residual_layernorm_forward(O, R, M, S, A, B, W, Bv, N, C, 1e-12f);
  be.residual_layernorm_forward(O2, nullptr, M, S, A, B, W, Bv, N, C, 1e-12f);
  return th::allclose("sum", R.host().data(), sum.data(), sum.size(), 1e-6, 1e-6) &&
         th::allclose("out", O.host().data(), out.data(), out.size(), 1e-5, 1e-5) &&
         th::allclose("out without sum", O2.host().data(), out.data(), out.size(), 1e-5, 1e-5) &&
         th::allclose("mean", M.host().data(), mean.data(), N, 1e-5, 1e-6) && th::allclose("rstd", S.host().data(), rstd.data(), N, 1e-5, 1e-5);
}

static bool check_elementwise(Backend& be, long n) {
  Backend& rb = th::ref_backend();
  Vec x = rnd(n, 31, -5, 5), y = rnd(n, 32), dout = rnd(n, 33), acc = rnd(n, 34);
  auto run = [&](Backend& k) {
    DevBuf<float> X(k, x), Y(k, y), dO(k, dout), out(k, n), dx(k, acc), da(k, acc), db(k, acc);
    std::vector<Vec> r;
    k.gelu_forward(out, X, n);
    r.push_back(out.host());
    k.gelu_backward(dx, X, dO, n);
    r.push_back(dx.host());
    k.tanh_forward(out, X, n);
    r.push_back(out.host());
    k.tanh_backward(dx, out, dO, n);
    r.push_back(dx.host());
    k.residual_forward(out, X, Y, n);
    r.push_back(out.host());
    k.residual_backward(da, db, dO, n);
    r.push_back(da.host());
    r.push_back(db.host());
    k.dropout_forward(out, X, n, 0.1f, 5);
    r.push_back(out.host());
    k.dropout_backward(dx, dO, n, 0.1f, 5);
    r.push_back(dx.host());
    return r;
  };
  auto g = run(be), e = run(rb);
  const char* names[] = {"gelu", "dgelu", "tanh", "dtanh", "residual", "dres.a", "dres.b", "dropout", "ddropout"};
  bool ok = true;
  for (size_t i = 0; i < g.size(); i++) ok = th::allclose(names[i], g[i].data(), e[i].data(), n, 2e-6, 2e-7) && ok;
  return ok;
}

static bool check_heads(Backend& be, int B, int T, int NH, int HS) {
  Backend& rb = th::ref_backend();
  const size_t n = (size_t)B * T * NH * HS;
  Vec x = rnd(n, 45), acc = rnd(n, 46);
  auto run = [&](Backend& k) {
    DevBuf<float> X(k, x), s1(k, n), s2(k, acc), m1(k, n), m2(k, acc);
    k.split_heads(s1, X, B, T, NH, HS, false);
    k.split_heads(s2, X, B, T, NH, HS, true);
    k.merge_heads(m1, s1, B, T, NH, HS, false);
    k.merge_heads(m2, X, B, T, NH, HS, true);
    return std::vector<Vec>{s1.host(), s2.host(), m1.host(), m2.host()};
  };
  auto g = run(be), e = run(rb);
  bool ok = g[2] == x;  // merge undoes split exactly
  for (int i = 0; i < 4; i++) ok = th::allclose("heads", g[i].data(), e[i].data(), n, 0, 0) && ok;
  return ok;
}

static bool check_embeddings(Backend& be, int B, int T, int C) {
  Backend& rb = th::ref_backend();
  const int V = 500, NTT = 2;
  std::vector<int32_t> ids(B * T), tt(B * T);
  for (int i = 0; i < B * T; i++) ids[i] = (i * 37) % 61, tt[i] = (i / 5) % NTT;  // many repeated ids
  Vec wte = rnd((size_t)V * C, 41), wpe = rnd((size_t)T * C, 42), wtt = rnd((size_t)NTT * C, 43), dout = rnd((size_t)B * T * C, 44);
  auto run = [&](Backend& k) {
    DevBuf<int32_t> I(k, ids), TT(k, tt);
    DevBuf<float> E(k, wte), P(k, wpe), Y(k, wtt), dO(k, dout), out(k, (size_t)B * T * C);
    DevBuf<float> dE(k, (size_t)V * C), dP(k, (size_t)T * C), dY(k, (size_t)NTT * C);
    k.embeddings_forward(out, I, TT, E, P, Y, B, T, C);
    k.embeddings_backward(dE, dP, dY, dO, I, TT, B, T, C);
    return std::vector<Vec>{out.host(), dE.host(), dP.host(), dY.host()};
  };
  auto g = run(be), e = run(rb);
  const char* names[] = {"out", "dwte", "dwpe", "dwtt"};
  bool ok = true;
  for (int i = 0; i < 4; i++) ok = th::allclose(names[i], g[i].data(), e[i].data(), g[i].size(), 1e-6, 1e-6 * B * T) && ok;
  return ok;
}

static bool check_losses(Backend& be, int B, int NC) {
  Backend& rb = th::ref_backend();
  Vec logits = rnd((size_t)B * NC, 51, -4, 4), preds = rnd(B, 52), targets = rnd(B, 53);
  std::vector<int32_t> labels(B);
  for (int b = 0; b < B; b++) labels[b] = (b * 7) % NC;
  auto run = [&](Backend& k, float* losses) {
    DevBuf<float> L(k, logits), probs(k, (size_t)B * NC), dl(k, (size_t)B * NC), P(k, preds), T(k, targets), dp(k, B);
    DevBuf<int32_t> Y(k, labels);
    losses[0] = k.crossentropy_forward(probs, L, Y, B, NC);
    k.crossentropy_backward(dl, probs, Y, B, NC, 1.f);
    losses[1] = k.mse_forward(P, T, B);
    k.mse_backward(dp, P, T, B, 1.f);
    return std::vector<Vec>{probs.host(), dl.host(), dp.host()};
  };
  float lg[2], le[2];
  auto g = run(be, lg), e = run(rb, le);
  return th::allclose("ce loss", lg, le, 1, 1e-5, 1e-6) && th::allclose("mse loss", lg + 1, le + 1, 1, 1e-5, 1e-6) &&
         th::allclose("probs", g[0].data(), e[0].data(), g[0].size(), 1e-5, 1e-7) &&
         th::allclose("dlogits", g[1].data(), e[1].data(), g[1].size(), 1e-5, 1e-7) &&
         th::allclose("dpreds", g[2].data(), e[2].data(), g[2].size(), 1e-5, 1e-7);
}

// Three optimizer steps with a new gradient each step; parameters and state compared after each.
static bool check_optimizers(Backend& be) {
  Backend& rb = th::ref_backend();
  const int rows = 312, cols = 1200;
  const long n = (long)rows * cols;
  Vec p0 = rnd(n, 61), zeros(n, 0.f);
  bool ok = true;
  // Declared tolerance: 1e-5 relative, 1e-6 absolute for O(1) parameters and gradients
  // (FMA contraction in the SIMD builds changes rounding where terms cancel).
  auto compare = [&](const char* what, const DevBuf<float>& a, const DevBuf<float>& b) { return th::same(what, a, b, 1e-5, 1e-6); };
  {  // AdamW
    DevBuf<float> p1(be, p0), m1(be, zeros), v1(be, zeros), p2(rb, p0), m2(rb, zeros), v2(rb, zeros);
    for (int step = 1; step <= 3; step++) {
      Vec g = rnd(n, 70 + step);
      DevBuf<float> g1(be, g), g2(rb, g);
      AdamWHyper h{3.9e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, step};
      be.adamw_update(p1, g1, m1, v1, n, h);
      rb.adamw_update(p2, g2, m2, v2, n, h);
      ok = compare("adamw p", p1, p2) && compare("adamw m", m1, m2) && compare("adamw v", v1, v2) && ok;
    }
  }
  for (int shape = 0; shape < 2; shape++)  // Adafactor: factored matrix, then a vector
    for (int variant = 0; variant < 2; variant++) {
      const int r = shape == 0 ? rows : 1, c = cols;  // rows = 1: a 1-D parameter
      const long m = (long)r * c;
      Vec pp(p0.begin(), p0.begin() + m), zr(r, 0.f), zc(c, 0.f), zm(m, 0.f);
      DevBuf<float> p1(be, pp), row1(be, zr), col1(be, zc), v1(be, zm), mm1(be, zm);
      DevBuf<float> p2(rb, pp), row2(rb, zr), col2(rb, zc), v2(rb, zm), mm2(rb, zm);
      for (int step = 1; step <= 3; step++) {
        Vec g = rnd(m, 80 + step);
        DevBuf<float> g1(be, g), g2(rb, g);
        AdafactorHyper h;
        h.lr = 1e-3f, h.step = step;
        if (variant == 1) h.beta1 = 0.9f, h.weight_decay = 0.01f, h.scale_parameter = true;
        be.adafactor_update(p1, g1, row1, col1, v1, mm1, r, c, h);
        rb.adafactor_update(p2, g2, row2, col2, v2, mm2, r, c, h);
        ok = compare("adafactor p", p1, p2) && ok;
      }
    }
  for (int nesterov = 0; nesterov < 2; nesterov++) {  // SGD with momentum
    DevBuf<float> p1(be, p0), b1(be, zeros), p2(rb, p0), b2(rb, zeros);
    for (int step = 1; step <= 3; step++) {
      Vec g = rnd(n, 90 + step);
      DevBuf<float> g1(be, g), g2(rb, g);
      SgdHyper h{0.01f, 0.9f, 0.f, 0.001f, nesterov == 1, step};
      be.sgd_update(p1, g1, b1, n, h);
      rb.sgd_update(p2, g2, b2, n, h);
      ok = compare("sgd p", p1, p2) && compare("sgd buf", b1, b2) && ok;
    }
  }
  for (float max_norm : {1.0f, 1e6f}) {  // global clipping, below and above the norm
    std::vector<Vec> gs = {rnd(1000, 101), rnd(n, 102), rnd(7, 103)};
    long sizes[3] = {1000, n, 7};
    DevBuf<float> a1(be, gs[0]), b1(be, gs[1]), c1(be, gs[2]), a2(rb, gs[0]), b2(rb, gs[1]), c2(rb, gs[2]);
    float* g1[3] = {a1, b1, c1};
    float* g2[3] = {a2, b2, c2};
    float n1 = be.clip_grad_norm(g1, sizes, 3, max_norm), n2 = rb.clip_grad_norm(g2, sizes, 3, max_norm);
    ok = th::allclose("grad norm", &n1, &n2, 1, 1e-5, 0) && compare("clipped a", a1, a2) && compare("clipped b", b1, b2) &&
         compare("clipped c", c1, c2) && ok;
  }
  return ok;
}

// The vectorizable 2^x used by the attention softmax, against std::exp2 in double.
// Declared: relative error <= 3e-7 on [-126, 0]; exactly 0 below -126 and at -inf.
static bool check_fast_exp2() {
  double worst = 0;
  for (int i = 0; i <= 2000000; i++) {
    const float x = -126.f * (float)i / 2000000.f;
    const double want = std::exp2((double)x);
    worst = std::max(worst, std::fabs(tbw::fast_exp2_nonpos(x) - want) / want);
  }
  const bool zeros = tbw::fast_exp2_nonpos(-127.f) == 0.f && tbw::fast_exp2_nonpos(-INFINITY) == 0.f;
  if (worst > 3e-7 || !zeros) std::printf("    FAIL fast_exp2: max relative error %.3g, zeros %d\n", worst, zeros);
  return worst <= 3e-7 && zeros;
}

// The vectorizable log2 of flash attention's row sums (>= 1), against std::log2 in double.
// Declared: absolute error <= 2e-7 on [2^-20, 2^40] (relative 2e-7 near 1, where log2 -> 0).
static bool check_fast_log2() {
  double worst = 0;
  for (int i = 0; i <= 2000000; i++) {
    const float x = std::exp2(-20.f + 60.f * (float)i / 2000000.f);
    const double want = std::log2((double)x);
    worst = std::max(worst, std::fabs(tbw::fast_log2(x) - want) / std::max(1.0, std::fabs(want)));
  }
  if (worst > 2e-7) std::printf("    FAIL fast_log2: max error %.3g\n", worst);
  return worst <= 2e-7;
}

int main() {
  std::printf("test_ops (each fast backend vs the reference backend)\n");
  th::report("fast_exp2 vs std::exp2 on [-126, 0]", check_fast_exp2());
  th::report("fast_log2 vs std::log2 on [2^-20, 2^40]", check_fast_log2());
  th::report("[ref] matmul backward through GELU (the default: two ops)", check_matmul_backward_gelu(th::ref_backend(), 14, 37, 100));
  for (Backend* be : th::fast_backends_or_skip("ops")) {
    const std::string tag = std::string("[") + be->name() + "] ";
    bool mm = true;
    for (int T : {1, 7, 128, 512}) mm = check_matmul(*be, 2 * T, 312, 1200) && mm;
    mm = check_matmul(*be, 14, 100, 37) && check_matmul(*be, 256, 1200, 312) && mm;
    mm = check_matmul(*be, 64, 768, 3072) && check_matmul(*be, 64, 3072, 768) && mm;  // BERT-base FF
    th::report(tag + "matmul fwd/bwd: TinyBERT (N=2T, T in {1,7,128,512}), BERT-base FF, odd sizes", mm);
    th::report(tag + "matmul x3 on one input (query/key/value): TinyBERT, odd sizes, K > 1280",
               check_matmul_shared(*be, 256, 312, 312) && check_matmul_shared(*be, 1, 312, 312) && check_matmul_shared(*be, 14, 100, 37) &&
                   check_matmul_shared(*be, 30, 1300, 40));
    th::report(tag + std::string("matmul backward through GELU") + (be->fuses_gelu_backward() ? " (fused)" : " (two ops)"),
               check_matmul_backward_gelu(*be, 256, 1200, 312) && check_matmul_backward_gelu(*be, 14, 37, 100) &&
                   check_matmul_backward_gelu(*be, 30, 40, 1300));
    th::report(tag + "matmul + fused GELU: TinyBERT intermediate, odd sizes, K > 1280",
               check_matmul_gelu(*be, 256, 312, 1200) && check_matmul_gelu(*be, 14, 100, 37) && check_matmul_gelu(*be, 1, 312, 1200) &&
                   check_matmul_gelu(*be, 70, 1300, 96));
    th::report(tag + "lora r=16 (no dropout)", check_lora(*be, 256, 312, 312, 16, 0.f) && check_lora(*be, 14, 100, 37, 4, 0.f));
    th::report(tag + "lora x3 on one input, own dropout seeds",
               check_lora_shared(*be, 256, 312, 312, 16, 0.05f) && check_lora_shared(*be, 14, 100, 37, 4, 0.f) &&
                   check_lora_shared(*be, 30, 1300, 40, 8, 0.1f));
    th::report(tag + "lora r=16 dropout 0.05; odd shapes dropout 0.3", check_lora(*be, 256, 312, 312, 16, 0.05f) && check_lora(*be, 14, 100, 37, 4, 0.3f) && check_lora(*be, 700, 64, 96, 8, 0.1f));
    bool ln = true;
    for (int N : {1, 14, 256, 1024})
      for (int C : {100, 312, 768}) ln = check_layernorm(*be, N, C) && check_residual_layernorm(*be, N, C) && ln;
    th::report(tag + "layernorm, residual + layernorm, N in {1,14,256,1024} x C in {100,312,768}", ln);
    th::report(tag + "gelu, tanh, residual, dropout", check_elementwise(*be, 100003) && check_elementwise(*be, 5));
    th::report(tag + "split/merge heads", check_heads(*be, 2, 7, 12, 26) && check_heads(*be, 1, 128, 12, 64));
    th::report(tag + "embeddings", check_embeddings(*be, 2, 128, 312) && check_embeddings(*be, 3, 7, 100));
    th::report(tag + "cross-entropy, mse", check_losses(*be, 32, 2) && check_losses(*be, 5, 3));
    th::report(tag + "adamw, adafactor, sgd (3 steps), clip_grad_norm", check_optimizers(*be));
  }
  // Mixed precision on the GPU: bf16/fp16 GEMM inputs, fp32 accumulation. Declared tolerance:
  // relative rounding of an input is 2^-9 (bf16) or 2^-11 (fp16), so errors grow like that
  // times sqrt(K) times the values' scale, bounded here by tol = 2000 × the fp32 tolerances.
  for (auto [prec, tol] : {std::pair{CudaPrecision::Bf16, 2000.0}, std::pair{CudaPrecision::Fp16, 300.0}})
    for (Backend* be : th::cuda_backends_or_skip(prec == CudaPrecision::Bf16 ? "ops bf16" : "ops fp16", prec))
      th::report(std::string("[") + be->name() + "] matmul fwd/bwd with half-precision inputs",
                 check_matmul(*be, 256, 312, 1200, tol) && check_matmul(*be, 14, 100, 37, tol) && check_matmul(*be, 64, 3072, 768, tol));
  return th::finish("test_ops");
}
