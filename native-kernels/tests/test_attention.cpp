// Flash and naive attention on every fast backend against the naive reference backend:
// forward out and lse, backward dq/dk/dv, with and without key padding and dropout; and the
// [CLS]-only attention of every backend against row 0 of the reference's.
#include <string>
#include <vector>

#include "backend_test.h"
#include "tbw/ref/layers.h"

using namespace tbw;
using th::DevBuf;

// Declared tolerances (fp32 online softmax vs fp32 two-pass softmax, different summation order).
constexpr double OUT_RTOL = 1e-4, OUT_ATOL = 2e-5;
constexpr double GRAD_RTOL = 1e-3, GRAD_ATOL = 1e-4;

struct AttnResult {
  std::vector<float> out, lse, dq, dk, dv;
};

static AttnResult run(Backend& be, const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
                      const std::vector<float>& v, const std::vector<float>& dout, const std::vector<uint8_t>* mask, float p) {
  const size_t n = (size_t)s.B * s.NH * s.T * s.HS;
  DevBuf<float> Q(be, q), K(be, k), V(be, v), dO(be, dout), out(be, n), lse(be, (size_t)s.B * s.NH * s.T);
  DevBuf<float> dq(be, n), dk(be, n), dv(be, n);
  DevBuf<uint8_t> m(be, mask ? *mask : std::vector<uint8_t>(1));
  const uint8_t* mp = mask ? m.get() : nullptr;
  be.attention_forward(out, lse, Q, K, V, mp, s, p, 1234);
  be.attention_backward(dq, dk, dv, dO, Q, K, V, out, lse, mp, s, p, 1234);
  return {out.host(), lse.host(), dq.host(), dk.host(), dv.host()};
}

// Naive ("flash off") attention on the fast backends keeps the (T,T) probabilities.
static AttnResult run_naive(Backend& be, const AttentionShape& s, const std::vector<float>& q, const std::vector<float>& k,
                            const std::vector<float>& v, const std::vector<float>& dout, const std::vector<uint8_t>* mask, float p) {
  const size_t n = (size_t)s.B * s.NH * s.T * s.HS;
  DevBuf<float> Q(be, q), K(be, k), V(be, v), dO(be, dout), out(be, n), lse(be, (size_t)s.B * s.NH * s.T);
  DevBuf<float> att(be, (size_t)s.B * s.NH * s.T * s.T), dq(be, n), dk(be, n), dv(be, n);
  DevBuf<uint8_t> m(be, mask ? *mask : std::vector<uint8_t>(1));
  const uint8_t* mp = mask ? m.get() : nullptr;
  be.attention_naive_forward(out, lse, att, Q, K, V, mp, s, p, 1234);
  be.attention_naive_backward(dq, dk, dv, dO, Q, K, V, att, mp, s, p, 1234);
  return {out.host(), lse.host(), dq.host(), dk.host(), dv.host()};
}

// q, k, v, dout (and out, dq, dk, dv back) moved between (B,NH,T,HS) and the token-major (B,T,NH·HS).
static std::vector<float> to_tokens(const std::vector<float>& x, const AttentionShape& s) {
  std::vector<float> y(x.size());
  ref::merge_heads(y.data(), x.data(), s.B, s.T, s.NH, s.HS, false);
  return y;
}
static void to_heads(std::vector<float>& x, const AttentionShape& s) {
  std::vector<float> y(x.size());
  ref::split_heads(y.data(), x.data(), s.B, s.T, s.NH, s.HS, false);
  x.swap(y);
}

// Flash in the token-major layout: the same results, read and written in place of the projections.
static AttnResult run_tokens(Backend& be, AttentionShape s, const std::vector<float>& q, const std::vector<float>& k,
                             const std::vector<float>& v, const std::vector<float>& dout, const std::vector<uint8_t>* mask, float p) {
  s.token_major = true;
  AttnResult r = run(be, s, to_tokens(q, s), to_tokens(k, s), to_tokens(v, s), to_tokens(dout, s), mask, p);
  for (auto* x : {&r.out, &r.dq, &r.dk, &r.dv}) to_heads(*x, s);
  return r;
}

enum class Mode { Flash, FlashTokens, Naive };

static bool check(Backend& be, int T, int HS, bool padded, float p, Mode mode = Mode::Flash) {
  const AttentionShape s{2, 3, T, HS};
  const size_t n = (size_t)s.B * s.NH * T * HS;
  auto q = th::random_vec(n, T + HS, -2, 2), k = th::random_vec(n, T * 3 + HS, -2, 2), v = th::random_vec(n, T * 5 + HS);
  auto dout = th::random_vec(n, T * 7 + HS);
  std::vector<uint8_t> mask(s.B * T, 1);
  for (int t = (T * 2) / 3; t < T; t++) mask[t] = 0;  // batch 0: last third padded (T=1: every key)
  for (int t = 1; t < T; t++) mask[T + t] = 0;         // batch 1: only the first key kept
  const auto* mp = padded ? &mask : nullptr;
  AttnResult want = run(th::ref_backend(), s, q, k, v, dout, mp, p);
  AttnResult got = mode == Mode::Naive         ? run_naive(be, s, q, k, v, dout, mp, p)
                   : mode == Mode::FlashTokens ? run_tokens(be, s, q, k, v, dout, mp, p)
                                               : run(be, s, q, k, v, dout, mp, p);
  bool ok = th::allclose("out", got.out.data(), want.out.data(), n, OUT_RTOL, OUT_ATOL);
  ok = th::allclose("lse", got.lse.data(), want.lse.data(), got.lse.size(), OUT_RTOL, OUT_ATOL) && ok;
  ok = th::allclose("dq", got.dq.data(), want.dq.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dk", got.dk.data(), want.dk.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dv", got.dv.data(), want.dv.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  return ok;
}

// The [CLS]-only attention (one query per sequence, token-major) against row 0 of the reference's
// full attention, whose backward gets a dout that is zero on every other row.
static bool check_cls(Backend& be, int T, int HS, bool padded, float p) {
  const AttentionShape s{3, 2, T, HS};
  const int C = s.NH * HS;
  const size_t n = (size_t)s.B * s.NH * T * HS, bc = (size_t)s.B * C;
  auto q = th::random_vec(n, T + HS + 1, -2, 2), k = th::random_vec(n, T * 3 + HS + 1, -2, 2), v = th::random_vec(n, T * 5 + HS + 1);
  auto dout = th::random_vec(n, T * 7 + HS + 1);
  std::vector<uint8_t> mask(s.B * T, 1);
  for (int t = (T * 2) / 3; t < T; t++) mask[t] = 0;  // batch 0: last third padded (T=1: every key)
  for (int t = 1; t < T; t++) mask[T + t] = 0;         // batch 1: only the first key kept
  const auto* mp = padded ? &mask : nullptr;
  std::vector<float> q_cls(bc), dout_cls(bc);  // row 0 of each head, token-major
  auto row0 = [&](int b, int h) { return (((size_t)b * s.NH + h) * T) * HS; };
  for (int b = 0; b < s.B; b++)
    for (int h = 0; h < s.NH; h++)
      for (int d = 0; d < HS; d++) {
        q_cls[b * C + h * HS + d] = q[row0(b, h) + d];
        dout_cls[b * C + h * HS + d] = dout[row0(b, h) + d];
        for (int t = 1; t < T; t++) dout[row0(b, h) + (size_t)t * HS + d] = 0;
      }
  AttnResult want = run(th::ref_backend(), s, q, k, v, dout, mp, p);
  std::vector<float> want_out(bc), want_lse((size_t)s.B * s.NH), want_dq(bc);
  for (int b = 0; b < s.B; b++)
    for (int h = 0; h < s.NH; h++) {
      want_lse[b * s.NH + h] = want.lse[((size_t)b * s.NH + h) * T];
      for (int d = 0; d < HS; d++) {
        want_out[b * C + h * HS + d] = want.out[row0(b, h) + d];
        want_dq[b * C + h * HS + d] = want.dq[row0(b, h) + d];
      }
    }
  const size_t nk = (size_t)s.B * T * C;
  DevBuf<float> Q(be, q_cls), K(be, to_tokens(k, s)), V(be, to_tokens(v, s)), dO(be, dout_cls), out(be, bc), lse(be, (size_t)s.B * s.NH);
  DevBuf<float> dq(be, bc), dk(be, nk), dv(be, nk);
  DevBuf<uint8_t> m(be, mask);
  const uint8_t* mask_dev = padded ? m.get() : nullptr;
  be.attention_cls_forward(out, lse, Q, K, V, mask_dev, s, p, 1234);
  be.attention_cls_backward(dq, dk, dv, dO, Q, K, V, lse, mask_dev, s, p, 1234);
  std::vector<float> got_dk = dk.host(), got_dv = dv.host();
  to_heads(got_dk, s), to_heads(got_dv, s);
  bool ok = th::allclose("out", out.host().data(), want_out.data(), bc, OUT_RTOL, OUT_ATOL);
  ok = th::allclose("lse", lse.host().data(), want_lse.data(), want_lse.size(), OUT_RTOL, OUT_ATOL) && ok;
  ok = th::allclose("dq", dq.host().data(), want_dq.data(), bc, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dk", got_dk.data(), want.dk.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dv", got_dv.data(), want.dv.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  return ok;
}

int main() {
  std::printf("test_attention (flash and naive on each fast backend vs the naive reference)\n");
  for (Backend* be : th::fast_backends_or_skip("flash attention")) {
    const std::string tag = std::string("flash[") + be->name() + "]";
    for (int T : {1, 7, 128, 512})
      for (int HS : {26, 64})
        for (int padded = 0; padded < 2; padded++)
          th::report(tag + " T=" + std::to_string(T) + " HS=" + std::to_string(HS) + (padded ? " padded" : ""),
                     check(*be, T, HS, padded, 0.f));
    th::report(tag + " T=128 HS=26 padded, dropout 0.1", check(*be, 128, 26, true, 0.1f));
    th::report(tag + " T=77 HS=64 dropout 0.3", check(*be, 77, 64, false, 0.3f));
    th::report(tag + " T=100 HS=40 padded (generic head size)", check(*be, 100, 40, true, 0.f));
    th::report(tag + " T=65 HS=32 padded, dropout 0.1", check(*be, 65, 32, true, 0.1f));
    if (be->flash_token_major()) {
      for (int T : {1, 7, 128})
        th::report(tag + " token-major T=" + std::to_string(T) + " HS=26 padded", check(*be, T, 26, true, 0.f, Mode::FlashTokens));
      th::report(tag + " token-major T=77 HS=64 dropout 0.3", check(*be, 77, 64, false, 0.3f, Mode::FlashTokens));
    } else {
      th::skip(tag + " token-major", std::string(be->name()) + " reads attention only in (B,NH,T,HS)");
    }
    const std::string naive = std::string("naive[") + be->name() + "]";
    for (int T : {1, 7, 128, 512})
      th::report(naive + " T=" + std::to_string(T) + " HS=26 padded", check(*be, T, 26, true, 0.f, Mode::Naive));
    th::report(naive + " T=128 HS=64", check(*be, 128, 64, false, 0.f, Mode::Naive));
    th::report(naive + " T=77 HS=26 padded, dropout 0.2", check(*be, 77, 26, true, 0.2f, Mode::Naive));
  }
  for (Backend* be : th::all_backends_or_skip("[CLS] attention")) {
    const std::string tag = std::string("cls[") + be->name() + "]";
    if (!be->has_attention_cls()) {
      th::skip(tag, std::string(be->name()) + " has no [CLS]-only attention (its models run the last layer on every token)");
      continue;
    }
    for (int T : {1, 7, 128, 512}) th::report(tag + " T=" + std::to_string(T) + " HS=26 padded", check_cls(*be, T, 26, true, 0.f));
    th::report(tag + " T=77 HS=64", check_cls(*be, 77, 64, false, 0.f));
    th::report(tag + " T=128 HS=26 padded, dropout 0.1", check_cls(*be, 128, 26, true, 0.1f));
  }
  return th::finish("test_attention");
}
