// Quantized formats (round-trip bounds, byte layout, fp16/bf16 rounding) and the int8/nf4
// GEMMs of every variant against dequantize-then-fp32 references. Tolerances are declared per check.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backend_test.h"
#include "tbw/quant.h"

using namespace tbw;
using Vec = std::vector<float>;

static Vec rnd(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) { return th::random_vec(n, seed, lo, hi); }

static bool check_nf4_table() {
  bool ok = kNf4Values[0] == -1.f && kNf4Values[7] == 0.f && kNf4Values[15] == 1.f;
  for (int i = 0; i < 15; i++) ok = ok && kNf4Values[i] < kNf4Values[i + 1];
  return ok && kNf4Values[8] == 0.07958029955625534f && kNf4Values[1] == -0.6961928009986877f;
}

// Declared bound: each value within half a step of its row's int8 grid (plus float rounding).
static bool check_int8_roundtrip(int rows, int cols) {
  Vec w = rnd((size_t)rows * cols, rows + cols, -3.f, 3.f), back(w.size()), scale(rows);
  if (rows > 1) std::fill(w.begin() + cols, w.begin() + 2 * cols, 0.f);  // an all-zero row
  std::vector<int8_t> q(w.size());
  quantize_int8_rows(q.data(), scale.data(), w.data(), rows, cols);
  dequantize_int8_rows(back.data(), q.data(), scale.data(), rows, cols);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      const size_t i = (size_t)r * cols + c;
      if (std::fabs(w[i] - back[i]) > 0.5f * scale[r] * (1 + 1e-5f) + 1e-7f || std::abs(q[i]) > 127) {
        std::printf("    FAIL int8 element %zu: %g -> %g (scale %g)\n", i, w[i], back[i], scale[r]);
        return false;
      }
    }
  return true;
}

// Declared bound: every value decodes to the NF4 level nearest to w/absmax (|error| <= half the
// gap between the two levels around it, at most 0.152·absmax).
static bool check_nf4_roundtrip(long n) {
  Vec w = rnd(n, (unsigned)n, -2.f, 2.f), back(n);
  std::vector<Nf4Block> blocks(nf4_blocks(n));
  Vec absmax(blocks.size());
  quantize_nf4(blocks.data(), absmax.data(), w.data(), n);
  dequantize_nf4(back.data(), blocks.data(), absmax.data(), 0, n);
  for (long i = 0; i < n; i++) {
    const float a = absmax[i / kNf4BlockSize], x = w[i] / a;
    float best = INFINITY;
    for (float v : kNf4Values) best = std::min(best, std::fabs(x - v));
    if (std::fabs(x - back[i] / a) > best + 1e-6f || std::fabs(w[i] - back[i]) > 0.1521f * a) {
      std::printf("    FAIL nf4 element %ld: %g -> %g (absmax %g)\n", i, w[i], back[i], a);
      return false;
    }
  }
  // A sub-range decodes to the same values (the GEMM dequantizes rows that start mid-block).
  Vec part(100);
  dequantize_nf4(part.data(), blocks.data(), absmax.data(), n / 3, n / 3 + 100);
  return std::memcmp(part.data(), back.data() + n / 3, 100 * sizeof(float)) == 0;
}

// bitsandbytes' nibble order: the first value of a pair in the high nibble.
static bool check_nf4_layout() {
  Vec w(64, 0.f);
  w[0] = -1.f, w[1] = 1.f, w[2] = 0.55f;  // indices 0, 15, 13 (0.55 is nearest to 0.5626)
  Nf4Block b;
  float amax;
  quantize_nf4(&b, &amax, w.data(), 64);
  return amax == 1.f && b.packed[0] == 0x0F && b.packed[1] == 0xD7 && b.packed[2] == 0x77;
}

// Declared bound: each absmax within half a step of its 256-block's int8 grid around the mean.
static bool check_double_quant(long nb) {
  Vec absmax = rnd(nb, 77, 0.01f, 0.2f), back(nb), scales(absmax_dq_blocks(nb));
  std::vector<int8_t> codes(nb);
  float offset;
  quantize_absmax(codes.data(), scales.data(), &offset, absmax.data(), nb);
  dequantize_absmax(back.data(), codes.data(), scales.data(), offset, nb);
  for (long i = 0; i < nb; i++)
    if (std::fabs(absmax[i] - back[i]) > 0.5f * scales[i / kAbsmaxDqBlock] * (1 + 1e-5f) + 1e-7f) return false;
  return true;
}

// Every half and bf16 value survives float and back; midpoints round to even; overflow to inf.
static bool check_half_bf16() {
  for (uint32_t h = 0; h < 65536; h++) {
    const bool nan_h = (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu);
    if (!nan_h && float_to_half(half_to_float((uint16_t)h)) != h) return std::printf("    FAIL half %04x\n", h), false;
    const bool nan_b = (h & 0x7F80u) == 0x7F80u && (h & 0x7Fu);
    if (!nan_b && float_to_bf16(bf16_to_float((uint16_t)h)) != h) return std::printf("    FAIL bf16 %04x\n", h), false;
  }
  const float mid = (half_to_float(0x3C00) + half_to_float(0x3C01)) / 2;  // between 1 and 1+2^-10: to even (1)
  const float mid_b = (bf16_to_float(0x3F81) + bf16_to_float(0x3F82)) / 2;  // to even (0x3F82)
  return float_to_half(mid) == 0x3C00 && float_to_half(65520.f) == 0x7C00 && float_to_half(65519.f) == 0x7BFF &&
         float_to_half(0.1f) == 0x2E66 && float_to_half(5.96046448e-8f) == 0x0001 && float_to_bf16(mid_b) == 0x3F82 &&
         std::isnan(half_to_float(float_to_half(NAN))) && std::isnan(bf16_to_float(float_to_bf16(NAN)));
}

// The fp32 product of the dequantized operands: for int8 the activations are quantized and
// dequantized per token exactly as the kernels do.
static Vec int8_dequant_reference(const Vec& x, const std::vector<int8_t>& q, const Vec& scale, const Vec& bias, int N, int C, int OC) {
  Vec xd((size_t)N * C), wd((size_t)OC * C), out((size_t)N * OC);
  std::vector<int8_t> xq(C);
  for (int n = 0; n < N; n++) {
    int32_t sum;
    const float s = quantize_token_int8(xq.data(), &sum, x.data() + (size_t)n * C, C, C);
    for (int c = 0; c < C; c++) xd[(size_t)n * C + c] = s * xq[c];
  }
  dequantize_int8_rows(wd.data(), q.data(), scale.data(), OC, C);
  th::ref_backend().matmul_forward(out.data(), xd.data(), wd.data(), bias.data(), N, C, OC);
  return out;
}

static double gemm_atol(int K) { return 3e-6 * std::sqrt((double)K) + 1e-6; }

static bool check_int8_gemms(int N, int C, int OC) {
  Vec x = rnd((size_t)N * C, N * 7 + C), w = rnd((size_t)OC * C, OC + 1, -0.2f, 0.2f), bias = rnd(OC, 3), scale(OC);
  std::vector<int8_t> q((size_t)OC * C);
  quantize_int8_rows(q.data(), scale.data(), w.data(), OC, C);
  const Vec want = int8_dequant_reference(x, q, scale, bias, N, C, OC);
  Vec got((size_t)N * OC);
  int8_gemm_ref(got.data(), x.data(), q.data(), scale.data(), bias.data(), N, C, OC);
  bool ok = th::allclose("int8_gemm_ref", got.data(), want.data(), got.size(), 1e-5, gemm_atol(C));
  int8_gemm_portable(got.data(), x.data(), q.data(), scale.data(), bias.data(), N, C, OC);
  ok = th::allclose("int8_gemm_portable", got.data(), want.data(), got.size(), 1e-5, gemm_atol(C)) && ok;
  auto f = detect_cpu_features();
  if (variant_supported(Variant::Avx2, f)) {
    int8_gemm_avx2(got.data(), x.data(), q.data(), scale.data(), bias.data(), N, C, OC);
    ok = th::allclose("int8_gemm_avx2", got.data(), want.data(), got.size(), 1e-5, gemm_atol(C)) && ok;
  }
  if (int8_vnni_supported()) {
    int8_gemm_vnni(got.data(), x.data(), q.data(), scale.data(), bias.data(), N, C, OC);
    ok = th::allclose("int8_gemm_vnni", got.data(), want.data(), got.size(), 1e-5, gemm_atol(C)) && ok;
  }
  // GELU fused in: the product kept in got, its GELU in act
  Vec want_act(want.size()), act(want.size());
  th::ref_backend().gelu_forward(want_act.data(), want.data(), (long)want.size());
  using Int8Gemm = void (*)(float*, const float*, const int8_t*, const float*, const float*, int, int, int, uint64_t, float*);
  std::vector<std::pair<const char*, Int8Gemm>> kernels{{"int8_gemm_portable + gelu", int8_gemm_portable}};
  if (variant_supported(Variant::Avx2, f)) kernels.push_back({"int8_gemm_avx2 + gelu", int8_gemm_avx2});
  if (int8_vnni_supported()) kernels.push_back({"int8_gemm_vnni + gelu", int8_gemm_vnni});
  // three weights on one input: each part as its own call
  using Shared = void (*)(const Int8Part*, int, const float*, int, int, int, uint64_t);
  std::vector<std::pair<const char*, Shared>> shared{{"int8_gemm_shared_portable", int8_gemm_shared_portable}};
  if (variant_supported(Variant::Avx2, f)) shared.push_back({"int8_gemm_shared_avx2", int8_gemm_shared_avx2});
  if (int8_vnni_supported()) shared.push_back({"int8_gemm_shared_vnni", int8_gemm_shared_vnni});
  std::vector<int8_t> q2((size_t)OC * C);
  Vec w2 = rnd((size_t)OC * C, OC + 2, -0.3f, 0.3f), scale2(OC), bias2 = rnd(OC, 4);
  quantize_int8_rows(q2.data(), scale2.data(), w2.data(), OC, C);
  const Vec want2 = int8_dequant_reference(x, q2, scale2, bias2, N, C, OC);
  for (auto [name, gemm] : shared) {
    Vec o1((size_t)N * OC), o2(o1.size()), o3(o1.size());
    const Int8Part parts[3] = {{o1.data(), q.data(), scale.data(), bias.data()}, {o2.data(), q2.data(), scale2.data(), bias2.data()},
                               {o3.data(), q.data(), scale.data(), bias.data()}};
    gemm(parts, 3, x.data(), N, C, OC, 0);
    ok = th::allclose(name, o1.data(), want.data(), want.size(), 1e-5, gemm_atol(C)) && ok;
    ok = th::allclose(name, o2.data(), want2.data(), want2.size(), 1e-5, gemm_atol(C)) && ok;
    ok = th::allclose(name, o3.data(), want.data(), want.size(), 1e-5, gemm_atol(C)) && ok;
  }
  for (auto [name, gemm] : kernels) {
    std::fill(act.begin(), act.end(), 0.f);
    gemm(got.data(), x.data(), q.data(), scale.data(), bias.data(), N, C, OC, 0, act.data());
    ok = th::allclose(name, got.data(), want.data(), got.size(), 1e-5, gemm_atol(C)) && ok;
    ok = th::allclose(name, act.data(), want_act.data(), act.size(), 1e-5, 1.2 * gemm_atol(C)) && ok;
  }
  return ok;
}

// A backend's matmul_quant_forward (int8 and nf4) and dequantize_weight against the references.
static bool check_backend_quant(Backend& be, int N, int C, int OC) {
  Vec x = rnd((size_t)N * C, N + 2 * C), w = rnd((size_t)OC * C, OC + 5, -0.2f, 0.2f), bias = rnd(OC, 9), scale(OC);
  std::vector<int8_t> q((size_t)OC * C);
  quantize_int8_rows(q.data(), scale.data(), w.data(), OC, C);
  std::vector<Nf4Block> blocks(nf4_blocks((long)OC * C));
  Vec absmax(blocks.size()), wd((size_t)OC * C), want((size_t)N * OC);
  quantize_nf4(blocks.data(), absmax.data(), w.data(), (long)OC * C);
  dequantize_nf4(wd.data(), blocks.data(), absmax.data(), 0, (long)OC * C);
  th::ref_backend().matmul_forward(want.data(), x.data(), wd.data(), bias.data(), N, C, OC);

  th::DevBuf<float> X(be, x), Bv(be, bias), S(be, scale), AM(be, absmax), out(be, (size_t)N * OC), deq(be, (size_t)OC * C);
  th::DevBuf<int8_t> Q(be, q);
  std::vector<uint8_t> raw((uint8_t*)blocks.data(), (uint8_t*)(blocks.data() + blocks.size()));
  th::DevBuf<uint8_t> NB(be, raw);
  QuantWeight nf4;
  nf4.kind = QuantKind::Nf4, nf4.blocks = (const Nf4Block*)NB.get(), nf4.absmax = AM;
  be.matmul_quant_forward(out, X, nf4, Bv, N, C, OC);
  bool ok = th::allclose("nf4 matmul", out.host().data(), want.data(), want.size(), 1e-5, gemm_atol(C));
  be.dequantize_weight(deq, nf4, OC, C);
  ok = std::memcmp(deq.host().data(), wd.data(), wd.size() * sizeof(float)) == 0 && ok;

  QuantWeight i8;
  i8.kind = QuantKind::Int8, i8.codes = Q, i8.scale = S;
  const Vec want8 = int8_dequant_reference(x, q, scale, bias, N, C, OC);
  be.matmul_quant_forward(out, X, i8, Bv, N, C, OC);
  ok = th::allclose("int8 matmul", out.host().data(), want8.data(), want8.size(), 1e-5, gemm_atol(C)) && ok;

  // three weights on one input (query/key/value), int8 and nf4
  for (auto [w, ref, name] : {std::tuple{&i8, &want8, "int8 x3 shared input"}, std::tuple{&nf4, (const Vec*)&want, "nf4 x3 shared input"}}) {
    th::DevBuf<float> o2(be, (size_t)N * OC), o3(be, (size_t)N * OC);
    float* outs[3] = {out, o2, o3};
    const QuantWeight* ws[3] = {w, w, w};
    const float* bs[3] = {Bv, Bv, Bv};
    be.matmul_quant_forward_shared(3, outs, X, ws, bs, N, C, OC);
    for (auto* o : {&out, &o2, &o3}) ok = th::allclose(name, o->host().data(), ref->data(), ref->size(), 1e-5, gemm_atol(C)) && ok;
  }

  // with GELU fused in, in place (inference) and keeping the product (training)
  th::DevBuf<float> act(be, (size_t)N * OC);
  for (auto [w, ref, name] : {std::tuple{&i8, &want8, "int8"}, std::tuple{&nf4, (const Vec*)&want, "nf4"}}) {
    Vec ref_act(ref->size());
    th::ref_backend().gelu_forward(ref_act.data(), ref->data(), (long)ref->size());
    be.matmul_quant_gelu_forward(nullptr, act, X, *w, Bv, N, C, OC);
    ok = th::allclose((std::string(name) + " matmul + gelu in place").c_str(), act.host().data(), ref_act.data(), ref_act.size(), 1e-5,
                      1.2 * gemm_atol(C)) && ok;
    be.matmul_quant_gelu_forward(out, act, X, *w, Bv, N, C, OC);
    ok = th::allclose((std::string(name) + " matmul kept").c_str(), out.host().data(), ref->data(), ref->size(), 1e-5, gemm_atol(C)) && ok;
    ok = th::allclose((std::string(name) + " matmul + gelu").c_str(), act.host().data(), ref_act.data(), ref_act.size(), 1e-5,
                      1.2 * gemm_atol(C)) && ok;
  }
  return ok;
}

// How close int8 and nf4 products come to the fp32 product (printed, and bounded loosely so a
// broken format fails): relative Frobenius error.
static bool check_quant_error_vs_fp32() {
  const int N = 64, C = 312, OC = 1200;
  Vec x = rnd((size_t)N * C, 1), w = rnd((size_t)OC * C, 2, -0.1f, 0.1f), zero(OC, 0.f), scale(OC), fp((size_t)N * OC), got(fp.size());
  th::ref_backend().matmul_forward(fp.data(), x.data(), w.data(), zero.data(), N, C, OC);
  std::vector<int8_t> q((size_t)OC * C);
  quantize_int8_rows(q.data(), scale.data(), w.data(), OC, C);
  int8_gemm_ref(got.data(), x.data(), q.data(), scale.data(), zero.data(), N, C, OC);
  auto rel = [&](const Vec& a) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); i++) num += (a[i] - fp[i]) * (a[i] - fp[i]), den += fp[i] * fp[i];
    return std::sqrt(num / den);
  };
  const double e8 = rel(got);
  std::vector<Nf4Block> blocks(nf4_blocks((long)OC * C));
  Vec absmax(blocks.size());
  quantize_nf4(blocks.data(), absmax.data(), w.data(), (long)OC * C);
  QuantWeight nf4;
  nf4.kind = QuantKind::Nf4, nf4.blocks = blocks.data(), nf4.absmax = absmax.data();
  th::ref_backend().matmul_quant_forward(got.data(), x.data(), nf4, zero.data(), N, C, OC);
  const double e4 = rel(got);
  std::printf("    relative error vs fp32 (uniform weights, 64x312 · 1200x312): int8 %.4f, nf4 %.4f\n", e8, e4);
  return e8 < 0.02 && e4 < 0.15;
}

int main() {
  std::printf("test_quant (formats and quantized GEMMs)\n");
  th::report("NF4 code values (bitsandbytes)", check_nf4_table());
  th::report("int8 per-channel round trip within half a step", check_int8_roundtrip(300, 312) && check_int8_roundtrip(7, 33));
  th::report("nf4 round trip: nearest level, |err| <= 0.152 absmax", check_nf4_roundtrip(312 * 312) && check_nf4_roundtrip(1000));
  th::report("nf4 byte layout: first value in the high nibble", check_nf4_layout());
  th::report("double quantization of absmaxes within half a step", check_double_quant(1521) && check_double_quant(3));
  th::report("fp16 / bf16: all 65536 values round-trip, ties to even", check_half_bf16());
  bool g = true;
  for (int T : {1, 7, 128, 512}) g = check_int8_gemms(T, 312, 1200) && g;
  g = check_int8_gemms(33, 100, 37) && check_int8_gemms(64, 1200, 312) && check_int8_gemms(16, 768, 3072) && g;
  th::report("int8 GEMM (ref, portable, avx2, vnni) vs dequantize-then-fp32", g);
  if (!int8_vnni_supported()) th::skip("int8 GEMM [vnni]", "this CPU has no AVX-512 VNNI");
  th::report("int8 / nf4 error vs the fp32 product", check_quant_error_vs_fp32());
  for (Backend* be : {&th::ref_backend()}) th::report("[ref] matmul_quant_forward, dequantize_weight", check_backend_quant(*be, 19, 312, 300));
  for (Backend* be : th::fast_backends_or_skip("quant")) {
    const std::string tag = std::string("[") + be->name() + "] ";
    th::report(tag + "matmul_quant_forward int8/nf4, dequantize_weight",
               check_backend_quant(*be, 128, 312, 1200) && check_backend_quant(*be, 7, 1200, 312) && check_backend_quant(*be, 5, 100, 37));
  }
  return th::finish("test_quant");
}
