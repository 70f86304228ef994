// N-API bindings of the optimizers and global gradient-norm clipping, so the
// trainer updates parameters in place with the same kernels the tests check.
#include <napi.h>

#include <vector>

#include "args.h"
#include "tbw/backend.h"
#include "tbw_kernels.h"

using namespace tbwnapi;

namespace {

size_t length(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::TypedArray>().ElementLength();
}

Napi::Object hyper(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "hyperparameters must be an object");
  return info[i].As<Napi::Object>();
}

double field(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : v.IsBoolean() ? (v.As<Napi::Boolean>().Value() ? 1 : 0) : fallback;
}

int step_of(const Napi::CallbackInfo& info, const Napi::Object& o) {
  const double s = field(o, "step", -1);
  if (s < 1 || s != (int)s) throw Napi::RangeError::New(info.Env(), "step must be an integer >= 1");
  return (int)s;
}

// adamwUpdate(backend, p, g, m, v, {lr, beta1, beta2, eps, weightDecay, step})
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const size_t n = length(info, 1, "p");
  const Napi::Object o = hyper(info, 5);
  tbw::AdamWHyper h;
  h.lr = (float)field(o, "lr", h.lr);
  h.beta1 = (float)field(o, "beta1", h.beta1);
  h.beta2 = (float)field(o, "beta2", h.beta2);
  h.eps = (float)field(o, "eps", h.eps);
  h.weight_decay = (float)field(o, "weightDecay", h.weight_decay);
  h.step = step_of(info, o);
  be.adamw_update(typed<float>(info, 1, "p", n), typed<float>(info, 2, "g", n), typed<float>(info, 3, "m", n), typed<float>(info, 4, "v", n),
                  (long)n, h);
  return info.Env().Undefined();
}

// adafactorUpdate(backend, p, g, row|null, col|null, v|null, m|null, rows, cols, {lr, eps1, eps2, clipThreshold,
//                 decayRate, beta1, weightDecay, scaleParameter, step})
Napi::Value Adafactor(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const int rows = integer(info, 7, "rows"), cols = integer(info, 8, "cols");
  const size_t n = (size_t)rows * cols;
  const Napi::Object o = hyper(info, 9);
  tbw::AdafactorHyper h;
  h.lr = (float)field(o, "lr", h.lr);
  h.eps1 = (float)field(o, "eps1", h.eps1);
  h.eps2 = (float)field(o, "eps2", h.eps2);
  h.clip_threshold = (float)field(o, "clipThreshold", h.clip_threshold);
  h.decay_rate = (float)field(o, "decayRate", h.decay_rate);
  h.beta1 = (float)field(o, "beta1", h.beta1);
  h.weight_decay = (float)field(o, "weightDecay", h.weight_decay);
  h.scale_parameter = field(o, "scaleParameter", 0) != 0;
  h.step = step_of(info, o);
  const bool factored = rows > 1;
  float* row = typed<float>(info, 3, "row", rows, !factored);
  float* col = typed<float>(info, 4, "col", cols, !factored);
  float* v = typed<float>(info, 5, "v", cols, factored);
  float* m = typed<float>(info, 6, "m", n, h.beta1 <= 0);
  if (factored && (!row || !col)) throw Napi::TypeError::New(info.Env(), "a 2-D parameter needs row and col statistics");
  if (!factored && !v) throw Napi::TypeError::New(info.Env(), "a 1-D parameter needs v");
  if (h.beta1 > 0 && !m) throw Napi::TypeError::New(info.Env(), "beta1 > 0 needs m");
  be.adafactor_update(typed<float>(info, 1, "p", n), typed<float>(info, 2, "g", n), row, col, v, m, rows, cols, h);
  return info.Env().Undefined();
}

// sgdUpdate(backend, p, g, buf|null, {lr, momentum, dampening, weightDecay, nesterov, step})
Napi::Value Sgd(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  const size_t n = length(info, 1, "p");
  const Napi::Object o = hyper(info, 4);
  tbw::SgdHyper h;
  h.lr = (float)field(o, "lr", h.lr);
  h.momentum = (float)field(o, "momentum", h.momentum);
  h.dampening = (float)field(o, "dampening", h.dampening);
  h.weight_decay = (float)field(o, "weightDecay", h.weight_decay);
  h.nesterov = field(o, "nesterov", 0) != 0;
  h.step = step_of(info, o);
  float* buf = typed<float>(info, 3, "buf", n, h.momentum == 0);
  if (h.momentum != 0 && !buf) throw Napi::TypeError::New(info.Env(), "momentum needs buf");
  be.sgd_update(typed<float>(info, 1, "p", n), typed<float>(info, 2, "g", n), buf, (long)n, h);
  return info.Env().Undefined();
}

// clipGradNorm(backend, grads: Float32Array[], maxNorm) -> the norm before clipping (maxNorm <= 0: only measure)
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  tbw::Backend& be = backend_arg(info, 0);
  if (info.Length() < 3 || !info[1].IsArray() || !info[2].IsNumber())
    throw Napi::TypeError::New(info.Env(), "clipGradNorm(backend, grads[], maxNorm)");
  const Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<float*> ptrs;
  std::vector<long> sizes;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    const Napi::Value v = arr.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(info.Env(), "grads[" + std::to_string(i) + "] must be a Float32Array");
    auto f = v.As<Napi::Float32Array>();
    ptrs.push_back(f.Data());
    sizes.push_back((long)f.ElementLength());
  }
  const double max_norm = info[2].As<Napi::Number>().DoubleValue();
  const float norm = be.clip_grad_norm(ptrs.data(), sizes.data(), (int)ptrs.size(), max_norm > 0 ? (float)max_norm : 3.0e38f);
  return Napi::Number::New(info.Env(), norm);
}

}  // namespace

void register_optim_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("adamwUpdate", Napi::Function::New(env, AdamW));
  exports.Set("adafactorUpdate", Napi::Function::New(env, Adafactor));
  exports.Set("sgdUpdate", Napi::Function::New(env, Sgd));
  exports.Set("clipGradNorm", Napi::Function::New(env, ClipGradNorm));
}
