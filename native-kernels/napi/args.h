// Argument helpers for the N-API bindings: typed-array views with length
// checks that name the argument, so a bad call throws instead of crashing.
#pragma once
#include <napi.h>

#include <string>

#include "tbw/backend.h"

namespace tbwnapi {

template <class T>
inline T* typed(const Napi::CallbackInfo& info, size_t i, const char* name, size_t need, bool nullable = false) {
  Napi::Env env = info.Env();
  if (nullable && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  if (info.Length() <= i || !info[i].IsTypedArray())
    throw Napi::TypeError::New(env, std::string(name) + " must be a typed array");
  auto arr = info[i].As<Napi::TypedArray>();
  const napi_typedarray_type want = std::is_same<T, float>::value     ? napi_float32_array
                                    : std::is_same<T, int32_t>::value ? napi_int32_array
                                                                      : napi_uint8_array;
  if (arr.TypedArrayType() != want) throw Napi::TypeError::New(env, std::string(name) + " has the wrong element type");
  if (arr.ElementLength() < need)
    throw Napi::RangeError::New(env, std::string(name) + " has " + std::to_string(arr.ElementLength()) + " elements, needs " +
                                         std::to_string(need));
  return reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
}

inline int integer(const Napi::CallbackInfo& info, size_t i, const char* name, int min = 1) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (v != (int)v || v < min) throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer >= " + std::to_string(min));
  return (int)v;
}

inline std::string str(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// The backend named by argument i ("ref", "scalar", "avx2", "avx512").
inline tbw::Backend& backend_arg(const Napi::CallbackInfo& info, size_t i) {
  const std::string name = str(info, i, "backend");
  tbw::Backend* be = tbw::cpu_backend(name.c_str());
  if (!be) throw Napi::Error::New(info.Env(), "backend '" + name + "' is not available on this CPU or build");
  be->set_frozen_weights(0);  // single-kernel calls never reuse bertStep's packed weights
  return *be;
}

}  // namespace tbwnapi
