// N-API: quantize / dequantize in the formats of tbw/quant.h (one implementation for the
// engine, the tests and the kernels), and one quantized linear layer for tests and benchmarks.
#include <napi.h>

#include "args.h"
#include "quant_args.h"

using namespace tbwnapi;

namespace {

const float* f32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t& n) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  n = a.ElementLength();
  return a.Data();
}

// quantizeInt8(w Float32Array, rows, cols) -> { codes: Int8Array, scale: Float32Array }
Napi::Value QuantizeInt8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int rows = integer(info, 1, "rows"), cols = integer(info, 2, "cols");
  const float* w = typed<float>(info, 0, "w", (size_t)rows * cols);
  auto codes = Napi::Int8Array::New(env, (size_t)rows * cols);
  auto scale = Napi::Float32Array::New(env, rows);
  tbw::quantize_int8_rows(codes.Data(), scale.Data(), w, rows, cols);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", "int8"), out.Set("codes", codes), out.Set("scale", scale);
  return out;
}

// quantizeNf4(w Float32Array) -> { blocks: Uint8Array (32 per 64 values), absmax: Float32Array }
Napi::Value QuantizeNf4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t n;
  const float* w = f32(info, 0, "w", n);
  const long nb = tbw::nf4_blocks((long)n);
  auto blocks = Napi::Uint8Array::New(env, nb * sizeof(tbw::Nf4Block));
  auto absmax = Napi::Float32Array::New(env, nb);
  tbw::quantize_nf4(reinterpret_cast<tbw::Nf4Block*>(blocks.Data()), absmax.Data(), w, (long)n);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", "nf4"), out.Set("blocks", blocks), out.Set("absmax", absmax);
  return out;
}

// dequantize(weight object, OC, C) -> Float32Array (OC·C)
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int OC = integer(info, 1, "OC"), C = integer(info, 2, "C");
  const tbw::QuantWeight w = quant_weight(env, info[0], OC, C, "weight");
  auto out = Napi::Float32Array::New(env, (size_t)OC * C);
  tbw::cpu_backend("ref")->dequantize_weight(out.Data(), w, OC, C);
  return out;
}

// quantizeAbsmax(absmax Float32Array) -> { codes: Int8Array, scales: Float32Array, offset }
Napi::Value QuantizeAbsmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t n;
  const float* a = f32(info, 0, "absmax", n);
  auto codes = Napi::Int8Array::New(env, n);
  auto scales = Napi::Float32Array::New(env, tbw::absmax_dq_blocks((long)n));
  float offset;
  tbw::quantize_absmax(codes.Data(), scales.Data(), &offset, a, (long)n);
  Napi::Object out = Napi::Object::New(env);
  out.Set("codes", codes), out.Set("scales", scales), out.Set("offset", offset);
  return out;
}

// dequantizeAbsmax(codes Int8Array, scales Float32Array, offset) -> Float32Array
Napi::Value DequantizeAbsmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "codes must be an Int8Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const int8_t* codes = view<int8_t>(env, info[0], napi_int8_array, n, "codes");
  const float* scales = view<float>(env, info[1], napi_float32_array, tbw::absmax_dq_blocks((long)n), "scales");
  if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "offset must be a number");
  auto out = Napi::Float32Array::New(env, n);
  tbw::dequantize_absmax(out.Data(), codes, scales, info[2].As<Napi::Number>().FloatValue(), (long)n);
  return out;
}

// toHalf / toBf16(Float32Array) -> Uint16Array; fromHalf / fromBf16(Uint16Array) -> Float32Array
template <uint16_t (*Fn)(float)>
Napi::Value ToHalfLike(const Napi::CallbackInfo& info) {
  size_t n;
  const float* x = f32(info, 0, "values", n);
  auto out = Napi::Uint16Array::New(info.Env(), n);
  for (size_t i = 0; i < n; i++) out[i] = Fn(x[i]);
  return out;
}
template <float (*Fn)(uint16_t)>
Napi::Value FromHalfLike(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "values must be a Uint16Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const uint16_t* x = view<uint16_t>(env, info[0], napi_uint16_array, n, "values");
  auto out = Napi::Float32Array::New(env, n);
  for (size_t i = 0; i < n; i++) out[i] = Fn(x[i]);
  return out;
}

// quantLinear(backend, out (N,OC), inp (N,C), weight object, bias|null, N, C, OC)
Napi::Value QuantLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tbw::Backend& be = backend_arg(info, 0);
  const int N = integer(info, 5, "N"), C = integer(info, 6, "C"), OC = integer(info, 7, "OC");
  float* out = typed<float>(info, 1, "out", (size_t)N * OC);
  const float* inp = typed<float>(info, 2, "inp", (size_t)N * C);
  const tbw::QuantWeight w = quant_weight(env, info[3], OC, C, "weight");
  const float* bias = typed<float>(info, 4, "bias", OC, true);
  be.matmul_quant_forward(out, inp, w, bias, N, C, OC);
  return env.Undefined();
}

}  // namespace

void register_quant_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeInt8", Napi::Function::New(env, QuantizeInt8));
  exports.Set("quantizeNf4", Napi::Function::New(env, QuantizeNf4));
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("quantizeAbsmax", Napi::Function::New(env, QuantizeAbsmax));
  exports.Set("dequantizeAbsmax", Napi::Function::New(env, DequantizeAbsmax));
  exports.Set("toHalf", Napi::Function::New(env, ToHalfLike<tbw::float_to_half>));
  exports.Set("fromHalf", Napi::Function::New(env, FromHalfLike<tbw::half_to_float>));
  exports.Set("toBf16", Napi::Function::New(env, ToHalfLike<tbw::float_to_bf16>));
  exports.Set("fromBf16", Napi::Function::New(env, FromHalfLike<tbw::bf16_to_float>));
  exports.Set("quantLinear", Napi::Function::New(env, QuantLinear));
}
