// N-API helpers for quantized weights: typed-array views of any element type, and the
// { kind: 'int8', codes, scale } | { kind: 'nf4', blocks, absmax } weight objects.
#pragma once
#include <napi.h>

#include <string>

#include "tbw/quant.h"

namespace tbwnapi {

template <class T>
T* view(const Napi::Env& env, const Napi::Value& v, napi_typedarray_type want, size_t need, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want)
    throw Napi::TypeError::New(env, what + " has the wrong type (see the binding's documentation)");
  auto arr = v.As<Napi::TypedArray>();
  if (arr.ElementLength() != need)
    throw Napi::RangeError::New(env, what + " has " + std::to_string(arr.ElementLength()) + " elements, needs " + std::to_string(need));
  return reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
}

// A quantized (OC,C) weight described by a JS object; throws naming `what` on any mismatch.
inline tbw::QuantWeight quant_weight(const Napi::Env& env, const Napi::Value& v, int OC, int C, const std::string& what) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, what + " must be a quantized weight object");
  const Napi::Object o = v.As<Napi::Object>();
  const std::string kind = o.Get("kind").IsString() ? o.Get("kind").As<Napi::String>().Utf8Value() : "";
  tbw::QuantWeight w;
  const size_t n = (size_t)OC * C;
  if (kind == "int8") {
    w.kind = tbw::QuantKind::Int8;
    w.codes = view<int8_t>(env, o.Get("codes"), napi_int8_array, n, what + ".codes (Int8Array)");
    w.scale = view<float>(env, o.Get("scale"), napi_float32_array, OC, what + ".scale (Float32Array)");
  } else if (kind == "nf4") {
    const size_t blocks = tbw::nf4_blocks((long)n);
    w.kind = tbw::QuantKind::Nf4;
    w.blocks = view<tbw::Nf4Block>(env, o.Get("blocks"), napi_uint8_array, blocks * sizeof(tbw::Nf4Block), what + ".blocks (Uint8Array)");
    w.absmax = view<float>(env, o.Get("absmax"), napi_float32_array, blocks, what + ".absmax (Float32Array)");
  } else {
    throw Napi::TypeError::New(env, what + ".kind must be 'int8' or 'nf4'");
  }
  return w;
}

}  // namespace tbwnapi
