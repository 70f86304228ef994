// N-API entry point: capabilities() and the kernels, exposed to the engine.
#include <napi.h>
#include <string>
#include "tbw/cuda.h"
#include "tbw/threadpool.h"
#include "tbw_kernels.h"

void register_kernel_bindings(Napi::Env env, Napi::Object exports);
void register_model_bindings(Napi::Env env, Napi::Object exports);
void register_optim_bindings(Napi::Env env, Napi::Object exports);
void register_quant_bindings(Napi::Env env, Napi::Object exports);
void register_profiler_bindings(Napi::Env env, Napi::Object exports);

namespace {

tbw::CpuFeatures g_features;
tbw::Variant g_variant = tbw::Variant::Scalar;
std::string g_variant_reason;

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("avx2", g_features.avx2);
  cpu.Set("fma", g_features.fma);
  cpu.Set("avx512f", g_features.avx512f);
  cpu.Set("avx512_vnni", g_features.avx512_vnni);
  cpu.Set("avx512_bf16", g_features.avx512_bf16);

  Napi::Array variants = Napi::Array::New(env);
  uint32_t i = 0;
  for (tbw::Variant v : tbw::supported_variants(g_features))
    variants.Set(i++, tbw::variant_name(v));

  const tbw::CudaStatus& st = tbw::cuda_status();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", st.compiled);
  cuda.Set("library", st.library);
  cuda.Set("reason", st.reason);
  cuda.Set("runtimeVersion", st.runtime_version);
  cuda.Set("driverVersion", st.driver_version);
  Napi::Array devices = Napi::Array::New(env);
  for (const tbw::GpuInfo& g : st.gpus) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", g.index);
    d.Set("id", "cuda:" + std::to_string(g.index));
    d.Set("name", g.name);
    d.Set("totalBytes", (double)g.total_bytes);
    d.Set("computeCapability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor));
    d.Set("multiprocessors", g.multiprocessors);
    devices.Set(devices.Length(), d);
  }
  cuda.Set("devices", devices);
  cuda.Set("cublas", st.cublas.empty() ? env.Null() : Napi::String::New(env, st.cublas));
  cuda.Set("cublasError", st.cublas_error);

  Napi::Object out = Napi::Object::New(env);
  out.Set("cpu", cpu);
  out.Set("variant", tbw::variant_name(g_variant));
  out.Set("variantReason", g_variant_reason);
  out.Set("variants", variants);
  out.Set("threads", tbw::num_threads());
  out.Set("cuda", cuda);
#if defined(__clang__)
  out.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  out.Set("compiler", std::string("gcc ") + __VERSION__);
#else
  out.Set("compiler", "unknown");
#endif
  out.Set("napiVersion", NAPI_VERSION);
  return out;
}

// dot(a: Float32Array, b: Float32Array, variant?: string) -> number
Napi::Value Dot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray())
    throw Napi::TypeError::New(env, "dot(a, b[, variant]): a and b must be Float32Array");
  auto a = info[0].As<Napi::TypedArray>();
  auto b = info[1].As<Napi::TypedArray>();
  if (a.TypedArrayType() != napi_float32_array || b.TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, "dot(a, b[, variant]): a and b must be Float32Array");
  if (a.ElementLength() != b.ElementLength())
    throw Napi::RangeError::New(env, "dot: a has " + std::to_string(a.ElementLength()) +
                                         " elements but b has " + std::to_string(b.ElementLength()));
  tbw::Variant v = g_variant;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    std::string name = info[2].As<Napi::String>().Utf8Value();
    if (name == "ref") {
      v = tbw::Variant::Scalar;
    } else if (!tbw::parse_variant(name, &v)) {
      throw Napi::RangeError::New(env, "dot: unknown variant '" + name + "' (ref, scalar, avx2, avx512)");
    } else if (!tbw::variant_supported(v, g_features)) {
      throw Napi::Error::New(env, "dot: variant '" + name + "' is not supported by this CPU");
    }
  }
  auto fa = a.As<Napi::Float32Array>();
  auto fb = b.As<Napi::Float32Array>();
  return Napi::Number::New(env, tbw::dot(v, fa.Data(), fb.Data(), fa.ElementLength()));
}

// cudaFreeBytes(index) -> number | null: free memory of one GPU (creates its CUDA context).
Napi::Value CudaFreeBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "cudaFreeBytes(index): index must be a number");
  const long long bytes = tbw::cuda_free_bytes(info[0].As<Napi::Number>().Int32Value());
  return bytes < 0 ? env.Null() : Napi::Number::New(env, (double)bytes);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  g_features = tbw::detect_cpu_features();
  g_variant = tbw::choose_variant(g_features, &g_variant_reason);
  exports.Set("capabilities", Napi::Function::New(env, Capabilities));
  exports.Set("dot", Napi::Function::New(env, Dot));
  exports.Set("cudaFreeBytes", Napi::Function::New(env, CudaFreeBytes));
  register_kernel_bindings(env, exports);
  register_model_bindings(env, exports);
  register_optim_bindings(env, exports);
  register_quant_bindings(env, exports);
  register_profiler_bindings(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tbw_kernels, Init)
