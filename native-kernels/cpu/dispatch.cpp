// Runtime CPU dispatch: detect features once, pick the best variant, route calls.
#include <cstdlib>
#include <thread>
#include "tbw_kernels.h"
#include "tbw/backend.h"

namespace tbw {

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512_vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512_bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::Avx512: return "avx512";
    case Variant::Avx2: return "avx2";
    default: return "scalar";
  }
}

bool parse_variant(const std::string& name, Variant* out) {
  if (name == "scalar") *out = Variant::Scalar;
  else if (name == "avx2") *out = Variant::Avx2;
  else if (name == "avx512") *out = Variant::Avx512;
  else return false;
  return true;
}

bool variant_supported(Variant v, const CpuFeatures& f) {
#if !defined(TBW_HAVE_X86_VARIANTS)
  if (v != Variant::Scalar) return false;
#endif
  switch (v) {
    case Variant::Avx512: return f.avx512f;
    case Variant::Avx2: return f.avx2 && f.fma;
    default: return true;
  }
}

std::vector<Variant> supported_variants(const CpuFeatures& f) {
  std::vector<Variant> out;
  for (Variant v : {Variant::Avx512, Variant::Avx2, Variant::Scalar})
    if (variant_supported(v, f)) out.push_back(v);
  return out;
}

Variant choose_variant(const CpuFeatures& f, std::string* why) {
  const char* forced = std::getenv("TBW_KERNEL_VARIANT");
  if (forced && *forced) {
    Variant v;
    if (!parse_variant(forced, &v)) {
      *why = std::string("TBW_KERNEL_VARIANT=") + forced + " is not a variant (scalar, avx2, avx512); using the best supported";
    } else if (!variant_supported(v, f)) {
      *why = std::string("TBW_KERNEL_VARIANT=") + forced + " is not supported by this CPU; using the best supported";
    } else {
      *why = std::string("forced by TBW_KERNEL_VARIANT=") + forced;
      return v;
    }
  } else {
    *why = "best variant supported by this CPU";
  }
  return supported_variants(f).front();
}

int configured_threads() {
  const char* env = std::getenv("TBW_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

float dot(Variant v, const float* a, const float* b, size_t n) {
  switch (v) {
#if defined(TBW_HAVE_X86_VARIANTS)
    case Variant::Avx512: return dot_avx512(a, b, n);
    case Variant::Avx2: return dot_avx2(a, b, n);
#endif
    default: return dot_ref(a, b, n);
  }
}

}  // namespace tbw

namespace tbw {

void sgemm(Variant v, const GemmArgs& g) {
  switch (v) {
#if defined(TBW_HAVE_X86_VARIANTS)
    case Variant::Avx512: return sgemm_avx512(g);
    case Variant::Avx2: return sgemm_avx2(g);
#endif
    default: return sgemm_scalar(g);
  }
}

double fma_peak_gflops_scalar(long iters);
#if defined(TBW_HAVE_X86_VARIANTS)
double fma_peak_gflops_avx2(long iters);
double fma_peak_gflops_avx512(long iters);
#endif

double fma_peak_gflops(Variant v, long iters) {
  switch (v) {
#if defined(TBW_HAVE_X86_VARIANTS)
    case Variant::Avx512: return fma_peak_gflops_avx512(iters);
    case Variant::Avx2: return fma_peak_gflops_avx2(iters);
#endif
    default: return fma_peak_gflops_scalar(iters);
  }
}

Backend* cpu_backend_ref();
Backend* cpu_backend_scalar();
#if defined(TBW_HAVE_X86_VARIANTS)
Backend* cpu_backend_avx2();
Backend* cpu_backend_avx512();
#endif

Backend* cpu_backend(const char* name) {
  const std::string n = name;
  if (n == "ref") return cpu_backend_ref();
  Variant v;
  if (!parse_variant(n, &v) || !variant_supported(v, detect_cpu_features())) return nullptr;
  switch (v) {
#if defined(TBW_HAVE_X86_VARIANTS)
    case Variant::Avx512: return cpu_backend_avx512();
    case Variant::Avx2: return cpu_backend_avx2();
#endif
    default: return cpu_backend_scalar();
  }
}

}  // namespace tbw
