// Flash attention (every variant) against the naive reference: forward out and
// lse, backward dq/dk/dv, with and without key padding and dropout.
#include <string>
#include <vector>

#include "harness.h"
#include "tbw/attention.h"
#include "tbw/ref/attention.h"

using namespace tbw;

using FwdFn = void (*)(float*, float*, const float*, const float*, const float*, const uint8_t*, AttentionShape, float, uint64_t);
using BwdFn = void (*)(float*, float*, float*, const float*, const float*, const float*, const float*, const float*,
                       const float*, const uint8_t*, AttentionShape, float, uint64_t);

static FwdFn fwd_for(Variant v) {
  return v == Variant::Avx512 ? flash_attention_forward_avx512 : v == Variant::Avx2 ? flash_attention_forward_avx2 : flash_attention_forward_scalar;
}
static BwdFn bwd_for(Variant v) {
  return v == Variant::Avx512 ? flash_attention_backward_avx512 : v == Variant::Avx2 ? flash_attention_backward_avx2 : flash_attention_backward_scalar;
}

// Declared tolerances (fp32 online softmax vs fp32 two-pass softmax, different summation order).
constexpr double OUT_RTOL = 1e-4, OUT_ATOL = 2e-5;
constexpr double GRAD_RTOL = 1e-3, GRAD_ATOL = 1e-4;

static bool check(Variant var, int T, int HS, bool padded, float p) {
  const int B = 2, NH = 3;
  const size_t n = (size_t)B * NH * T * HS;
  auto q = th::random_vec(n, T + HS, -2, 2), k = th::random_vec(n, T * 3 + HS, -2, 2), v = th::random_vec(n, T * 5 + HS);
  auto dout = th::random_vec(n, T * 7 + HS);
  std::vector<uint8_t> mask(B * T, 1);
  if (padded) {
    for (int t = (T * 2) / 3; t < T; t++) mask[t] = 0;  // batch 0: last third padded (T=1: none)
    for (int t = 1; t < T; t++) mask[T + t] = 0;         // batch 1: only the first key kept
  }
  const uint8_t* m = padded ? mask.data() : nullptr;
  const uint64_t seed = 1234;
  std::vector<float> out_ref(n), lse_ref(B * NH * T), att((size_t)B * NH * T * T);
  ref::attention_forward(out_ref.data(), lse_ref.data(), att.data(), q.data(), k.data(), v.data(), m, B, NH, T, HS, p, seed);
  std::vector<float> dq_ref(n), dk_ref(n), dv_ref(n);
  ref::attention_backward(dq_ref.data(), dk_ref.data(), dv_ref.data(), dout.data(), q.data(), k.data(), v.data(), att.data(), m,
                          B, NH, T, HS, p, seed);

  AttentionShape s{B, NH, T, HS};
  std::vector<float> out(n), lse(B * NH * T), dq(n), dk(n), dv(n);
  fwd_for(var)(out.data(), lse.data(), q.data(), k.data(), v.data(), m, s, p, seed);
  bool ok = th::allclose("out", out.data(), out_ref.data(), n, OUT_RTOL, OUT_ATOL);
  ok = th::allclose("lse", lse.data(), lse_ref.data(), lse.size(), OUT_RTOL, OUT_ATOL) && ok;
  bwd_for(var)(dq.data(), dk.data(), dv.data(), dout.data(), q.data(), k.data(), v.data(), out.data(), lse.data(), m, s, p, seed);
  ok = th::allclose("dq", dq.data(), dq_ref.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dk", dk.data(), dk_ref.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  ok = th::allclose("dv", dv.data(), dv_ref.data(), n, GRAD_RTOL, GRAD_ATOL) && ok;
  return ok;
}

int main() {
  std::printf("test_attention (flash vs naive reference)\n");
  for (Variant v : th::variants_or_skip("flash attention")) {
    for (int T : {1, 7, 128, 512})
      for (int HS : {26, 64})
        for (int padded = 0; padded < 2; padded++) {
          std::string name = std::string("flash[") + variant_name(v) + "] T=" + std::to_string(T) + " HS=" + std::to_string(HS) +
                             (padded ? " padded" : "");
          th::report(name, check(v, T, HS, padded, 0.f));
        }
    th::report(std::string("flash[") + variant_name(v) + "] T=128 HS=26 padded, dropout 0.1", check(v, 128, 26, true, 0.1f));
    th::report(std::string("flash[") + variant_name(v) + "] T=77 HS=64 dropout 0.3", check(v, 77, 64, false, 0.3f));
  }
  return th::finish("test_attention");
}
