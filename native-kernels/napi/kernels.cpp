// N-API bindings of the backend ops the engine and the benchmarks call.
// Every call names its backend ("ref", "scalar", "avx2", "avx512").
#include <napi.h>

#include "args.h"
#include "tbw/backend.h"
#include "tbw/threadpool.h"
#include "tbw_kernels.h"

using namespace tbwnapi;

namespace {

// matmulForward(backend, out, inp, weight, bias|null, N, C, OC)
Napi::Value MatmulForward(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const int N = integer(info, 5, "N"), C = integer(info, 6, "C"), OC = integer(info, 7, "OC");
  be.matmul_forward(typed<float>(info, 1, "out", (size_t)N * OC), typed<float>(info, 2, "inp", (size_t)N * C),
                    typed<float>(info, 3, "weight", (size_t)OC * C), typed<float>(info, 4, "bias", OC, true), N, C, OC);
  return info.Env().Undefined();
}

// matmulBackward(backend, dinp|null, dweight|null, dbias|null, dout, inp, weight, N, C, OC)
Napi::Value MatmulBackward(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const int N = integer(info, 7, "N"), C = integer(info, 8, "C"), OC = integer(info, 9, "OC");
  be.matmul_backward(typed<float>(info, 1, "dinp", (size_t)N * C, true), typed<float>(info, 2, "dweight", (size_t)OC * C, true),
                     typed<float>(info, 3, "dbias", OC, true), typed<float>(info, 4, "dout", (size_t)N * OC),
                     typed<float>(info, 5, "inp", (size_t)N * C), typed<float>(info, 6, "weight", (size_t)OC * C), N, C, OC);
  return info.Env().Undefined();
}

tbw::AttentionShape shape(const Napi::CallbackInfo& info, size_t i) {
  return {integer(info, i, "B"), integer(info, i + 1, "NH"), integer(info, i + 2, "T"), integer(info, i + 3, "HS")};
}

bool flash_algo(const Napi::CallbackInfo& info, size_t i) {
  const std::string algo = str(info, i, "algo");
  if (algo != "flash" && algo != "naive") throw Napi::RangeError::New(info.Env(), "algo must be 'flash' or 'naive', got '" + algo + "'");
  return algo == "flash";
}

// attentionForward(backend, algo, out, lse, att|null, q, k, v, mask|null, B, NH, T, HS)
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const bool flash = flash_algo(info, 1);
  const tbw::AttentionShape s = shape(info, 9);
  const size_t n = (size_t)s.B * s.NH * s.T * s.HS, rows = (size_t)s.B * s.NH * s.T;
  float* out = typed<float>(info, 2, "out", n);
  float* lse = typed<float>(info, 3, "lse", rows);
  float* att = typed<float>(info, 4, "att", rows * s.T, true);
  if (!flash && !att) throw Napi::TypeError::New(info.Env(), "naive attention needs att (B*NH*T*T floats)");
  const float *q = typed<float>(info, 5, "q", n), *k = typed<float>(info, 6, "k", n), *v = typed<float>(info, 7, "v", n);
  const uint8_t* mask = typed<uint8_t>(info, 8, "mask", (size_t)s.B * s.T, true);
  if (flash) be.attention_forward(out, lse, q, k, v, mask, s, 0.f, 0);
  else be.attention_naive_forward(out, lse, att, q, k, v, mask, s, 0.f, 0);
  return info.Env().Undefined();
}

// attentionBackward(backend, algo, dq, dk, dv, dout, q, k, v, out, lse, att|null, mask|null, B, NH, T, HS)
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const bool flash = flash_algo(info, 1);
  const tbw::AttentionShape s = shape(info, 13);
  const size_t n = (size_t)s.B * s.NH * s.T * s.HS, rows = (size_t)s.B * s.NH * s.T;
  float *dq = typed<float>(info, 2, "dq", n), *dk = typed<float>(info, 3, "dk", n), *dv = typed<float>(info, 4, "dv", n);
  const float* dout = typed<float>(info, 5, "dout", n);
  const float *q = typed<float>(info, 6, "q", n), *k = typed<float>(info, 7, "k", n), *v = typed<float>(info, 8, "v", n);
  const float* out = typed<float>(info, 9, "out", n);
  const float* lse = typed<float>(info, 10, "lse", rows);
  const float* att = typed<float>(info, 11, "att", rows * s.T, true);
  if (!flash && !att) throw Napi::TypeError::New(info.Env(), "naive attention needs att from its forward");
  const uint8_t* mask = typed<uint8_t>(info, 12, "mask", (size_t)s.B * s.T, true);
  if (flash) be.attention_backward(dq, dk, dv, dout, q, k, v, out, lse, mask, s, 0.f, 0);
  else be.attention_naive_backward(dq, dk, dv, dout, q, k, v, att, mask, s, 0.f, 0);
  return info.Env().Undefined();
}

// attentionExtraBytes(backend, algo, B, NH, T, HS)
Napi::Value AttentionExtraBytes(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  return Napi::Number::New(info.Env(), (double)be.attention_extra_bytes(shape(info, 2), flash_algo(info, 1)));
}

// fmaPeakGflops(variant, iterations)
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  tbw::Variant v;
  const std::string name = str(info, 0, "variant");
  if (!tbw::parse_variant(name, &v) || !tbw::variant_supported(v, tbw::detect_cpu_features()))
    throw Napi::Error::New(info.Env(), "variant '" + name + "' is not available on this CPU");
  return Napi::Number::New(info.Env(), tbw::fma_peak_gflops(v, integer(info, 1, "iterations")));
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  tbw::set_num_threads(integer(info, 0, "threads"));
  return Napi::Number::New(info.Env(), tbw::num_threads());
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tbw::num_threads()); }

}  // namespace

void register_kernel_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("matmulForward", Napi::Function::New(env, MatmulForward));
  exports.Set("matmulBackward", Napi::Function::New(env, MatmulBackward));
  exports.Set("attentionForward", Napi::Function::New(env, AttentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("attentionExtraBytes", Napi::Function::New(env, AttentionExtraBytes));
  exports.Set("fmaPeakGflops", Napi::Function::New(env, FmaPeak));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
}
