// Every reference backward against central finite differences in float64.
#include <cstdint>
#include <vector>

#include "gradcheck.h"
#include "harness.h"
#include "tbw/ref/attention.h"
#include "tbw/ref/layers.h"
#include "tbw/ref/matmul.h"

using namespace tbw;
using V = std::vector<double>;
using th::gradcheck;
using th::to_double;
using th::weighted_sum;

static V rnd(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) { return to_double(th::random_vec(n, seed, lo, hi)); }

static bool check_layernorm() {
  const int N = 5, C = 37;
  V x = rnd(N * C, 1), w = rnd(C, 2, 0.5f, 1.5f), b = rnd(C, 3), r = rnd(N * C, 4);
  V out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    ref::layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C, 1e-12);
    return weighted_sum(out, r);
  };
  loss();
  V dx(N * C), dw(C), db(C);
  ref::layernorm_backward(dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), mean.data(), rstd.data(), N, C);
  return gradcheck("inp", x, loss, dx) && gradcheck("weight", w, loss, dw) && gradcheck("bias", b, loss, db);
}

static bool check_elementwise() {
  const long n = 301;
  V x = rnd(n, 5, -4, 4), y = rnd(n, 6), r = rnd(n, 7), out(n);
  bool ok = true;
  auto gelu = [&] { ref::gelu_forward(out.data(), x.data(), n); return weighted_sum(out, r); };
  gelu();
  V dx(n);
  ref::gelu_backward(dx.data(), x.data(), r.data(), n);
  ok = gradcheck("gelu", x, gelu, dx) && ok;

  auto tanh_loss = [&] { ref::tanh_forward(out.data(), x.data(), n); return weighted_sum(out, r); };
  tanh_loss();
  V dt(n);
  ref::tanh_backward(dt.data(), out.data(), r.data(), n);
  ok = gradcheck("tanh", x, tanh_loss, dt) && ok;

  auto res = [&] { ref::residual_forward(out.data(), x.data(), y.data(), n); return weighted_sum(out, r); };
  V da(n), db(n);
  ref::residual_backward(da.data(), db.data(), r.data(), n);
  ok = gradcheck("residual.a", x, res, da) && gradcheck("residual.b", y, res, db) && ok;

  auto drop = [&] { ref::dropout_forward(out.data(), x.data(), n, 0.3f, 42); return weighted_sum(out, r); };
  V dd(n);
  ref::dropout_backward(dd.data(), r.data(), n, 0.3f, 42);
  ok = gradcheck("dropout", x, drop, dd) && ok;
  return ok;
}

static bool check_embeddings() {
  const int B = 2, T = 5, C = 9, Vocab = 11, NTT = 2;
  std::vector<int32_t> ids = {3, 1, 3, 10, 0, 7, 7, 2, 3, 5}, tt = {0, 0, 1, 1, 1, 0, 1, 0, 0, 1};
  V wte = rnd(Vocab * C, 8), wpe = rnd(T * C, 9), wtt = rnd(NTT * C, 10), r = rnd(B * T * C, 11), out(B * T * C);
  auto loss = [&] {
    ref::embeddings_forward(out.data(), ids.data(), tt.data(), wte.data(), wpe.data(), wtt.data(), B, T, C);
    return weighted_sum(out, r);
  };
  V dwte(Vocab * C), dwpe(T * C), dwtt(NTT * C);
  ref::embeddings_backward(dwte.data(), dwpe.data(), dwtt.data(), r.data(), ids.data(), tt.data(), B, T, C);
  return gradcheck("wte", wte, loss, dwte, 99) && gradcheck("wpe", wpe, loss, dwpe) && gradcheck("wtt", wtt, loss, dwtt);
}

static bool check_losses() {
  const int B = 4, NC = 3;
  V logits = rnd(B * NC, 12, -3, 3), probs(B * NC);
  std::vector<int32_t> labels = {0, 2, 1, 2};
  auto ce = [&] { return ref::crossentropy_forward(probs.data(), logits.data(), labels.data(), B, NC); };
  ce();
  V dl(B * NC);
  ref::crossentropy_backward(dl.data(), probs.data(), labels.data(), B, NC, 1.0);
  V preds = rnd(B, 13), targets = rnd(B, 14);
  auto mse = [&] { return ref::mse_forward(preds.data(), targets.data(), B); };
  V dp(B);
  ref::mse_backward(dp.data(), preds.data(), targets.data(), B, 1.0);
  return gradcheck("logits", logits, ce, dl) && gradcheck("preds", preds, mse, dp);
}

static bool check_matmul_and_lora(float p) {
  const int N = 6, C = 13, OC = 7, r = 4;
  V x = rnd(N * C, 15), W = rnd(OC * C, 16), bias = rnd(OC, 17), A = rnd(r * C, 18), Bm = rnd(OC * r, 19);
  V R = rnd(N * OC, 20), out(N * OC), h(N * r);
  auto mm = [&] { ref::matmul_forward(out.data(), x.data(), W.data(), bias.data(), N, C, OC); return weighted_sum(out, R); };
  V dx(N * C), dW(OC * C), db(OC);
  ref::matmul_backward(dx.data(), dW.data(), db.data(), R.data(), x.data(), W.data(), N, C, OC);
  bool ok = gradcheck("matmul.inp", x, mm, dx) && gradcheck("matmul.weight", W, mm, dW) && gradcheck("matmul.bias", bias, mm, db);

  const double scale = 16.0 / r;
  auto lora = [&] {
    ref::lora_forward(out.data(), h.data(), x.data(), W.data(), bias.data(), A.data(), Bm.data(), N, C, OC, r, scale, p, 7);
    return weighted_sum(out, R);
  };
  lora();
  V lx(N * C), dA(r * C), dB(OC * r), lb(OC);
  ref::lora_backward(lx.data(), dA.data(), dB.data(), lb.data(), R.data(), x.data(), W.data(), A.data(), Bm.data(), h.data(), N,
                     C, OC, r, scale, p, 7);
  return gradcheck("lora.inp", x, lora, lx) && gradcheck("lora.A", A, lora, dA) && gradcheck("lora.B", Bm, lora, dB) &&
         gradcheck("lora.bias", bias, lora, lb) && ok;
}

static bool check_attention(int T, int HS, bool padded, float p) {
  const int B = 2, NH = 2;
  const size_t n = (size_t)B * NH * T * HS;
  V q = rnd(n, 21), k = rnd(n, 22), v = rnd(n, 23), R = rnd(n, 24), out(n), lse(B * NH * T), att((size_t)B * NH * T * T);
  std::vector<uint8_t> mask(B * T, 1);
  if (padded) {
    for (int t = T - T / 3; t < T; t++) mask[t] = 0;  // batch 0: last third padded
    for (int t = 0; t < T; t++) mask[T + t] = 0;       // batch 1: every key padded
  }
  auto loss = [&] {
    ref::attention_forward(out.data(), lse.data(), att.data(), q.data(), k.data(), v.data(), padded ? mask.data() : nullptr, B,
                           NH, T, HS, p, 99);
    return weighted_sum(out, R);
  };
  loss();
  V dq(n), dk(n), dv(n);
  ref::attention_backward(dq.data(), dk.data(), dv.data(), R.data(), q.data(), k.data(), v.data(), att.data(),
                          padded ? mask.data() : nullptr, B, NH, T, HS, p, 99);
  return gradcheck("q", q, loss, dq) && gradcheck("k", k, loss, dk) && gradcheck("v", v, loss, dv);
}

// The [CLS]-only attention: q (B,C), k, v (B·T,C) token-major.
static bool check_attention_cls(int T, int HS, bool padded, float p) {
  const int B = 2, NH = 2, C = NH * HS;
  const size_t nq = (size_t)B * C, nk = (size_t)B * T * C;
  V q = rnd(nq, 41), k = rnd(nk, 42), v = rnd(nk, 43), R = rnd(nq, 44), out(nq), lse(B * NH);
  std::vector<uint8_t> mask(B * T, 1);
  if (padded) {
    for (int t = T - T / 3; t < T; t++) mask[t] = 0;  // batch 0: last third padded
    for (int t = 0; t < T; t++) mask[T + t] = 0;       // batch 1: every key padded
  }
  const uint8_t* m = padded ? mask.data() : nullptr;
  auto loss = [&] {
    ref::attention_cls_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), m, B, NH, T, HS, p, 99);
    return weighted_sum(out, R);
  };
  loss();
  V dq(nq), dk(nk), dv(nk);
  ref::attention_cls_backward(dq.data(), dk.data(), dv.data(), R.data(), q.data(), k.data(), v.data(), lse.data(), m, B, NH, T, HS, p, 99);
  return gradcheck("q", q, loss, dq) && gradcheck("k", k, loss, dk) && gradcheck("v", v, loss, dv);
}

// The checker itself must catch a wrong gradient.
static bool gradcheck_catches_errors() {
  const long n = 50;
  V x = rnd(n, 30, -2, 2), r = rnd(n, 31), out(n), dx(n);
  auto loss = [&] { ref::gelu_forward(out.data(), x.data(), n); return weighted_sum(out, r); };
  ref::gelu_backward(dx.data(), x.data(), r.data(), n);
  dx[0] *= 1.001;
  std::printf("    (expected failure follows)\n");
  return !gradcheck("gelu-perturbed", x, loss, dx, 50);
}

int main() {
  std::printf("test_gradients (reference backward vs float64 central differences)\n");
  th::report("gradcheck rejects a 0.1% wrong gradient", gradcheck_catches_errors());
  th::report("layernorm", check_layernorm());
  th::report("gelu, tanh, residual, dropout", check_elementwise());
  th::report("embeddings", check_embeddings());
  th::report("cross-entropy, mse", check_losses());
  th::report("matmul, lora (no dropout)", check_matmul_and_lora(0.f));
  th::report("lora (dropout 0.3)", check_matmul_and_lora(0.3f));
  for (int T : {1, 7}) {
    for (int HS : {26, 64}) {
      th::report("attention T=" + std::to_string(T) + " HS=" + std::to_string(HS), check_attention(T, HS, false, 0.f));
      th::report("attention T=" + std::to_string(T) + " HS=" + std::to_string(HS) + " padded", check_attention(T, HS, true, 0.f));
    }
  }
  th::report("attention T=7 HS=26 padded, dropout 0.2", check_attention(7, 26, true, 0.2f));
  th::report("[CLS] attention T=7 HS=26 padded", check_attention_cls(7, 26, true, 0.f));
  th::report("[CLS] attention T=9 HS=64, dropout 0.2", check_attention_cls(9, 64, false, 0.2f));
  return th::finish("test_gradients");
}
