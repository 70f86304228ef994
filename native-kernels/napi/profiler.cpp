// N-API: the kernels' profiler. profilerStart() clears and enables recording;
// profilerStop() disables it and returns the events; profilerNowNs() is the clock they use.
#include <napi.h>

#include "tbw/profiler.h"

namespace {

Napi::Value Start(const Napi::CallbackInfo& info) {
  tbw::profiler_take();
  tbw::profiler_enable(true);
  return info.Env().Undefined();
}

Napi::Value Stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tbw::profiler_enable(false);
  const auto events = tbw::profiler_take();
  Napi::Array out = Napi::Array::New(env, events.size());
  for (uint32_t i = 0; i < events.size(); i++) {
    const auto& e = events[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", e.name), o.Set("op", e.op), o.Set("startNs", (double)e.start_ns), o.Set("durNs", (double)e.dur_ns);
    o.Set("thread", e.thread), o.Set("flops", e.flops);
    Napi::Array dims = Napi::Array::New(env);
    for (int d : e.dims)
      if (d) dims.Set(dims.Length(), d);
    o.Set("dims", dims);
    out.Set(i, o);
  }
  return out;
}

Napi::Value NowNs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)tbw::profiler_now_ns()); }

}  // namespace

void register_profiler_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("profilerStart", Napi::Function::New(env, Start));
  exports.Set("profilerStop", Napi::Function::New(env, Stop));
  exports.Set("profilerNowNs", Napi::Function::New(env, NowNs));
}
