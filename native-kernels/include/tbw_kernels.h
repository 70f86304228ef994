// Public interface of the TinyBERT Workbench CPU kernels.
// Every kernel has a scalar `_ref` oracle and ISA-specific variants; the
// variant is chosen once at load from CPU features (see cpu/dispatch.cpp).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "tbw/gemm.h"

namespace tbw {

enum class Variant { Scalar = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};

CpuFeatures detect_cpu_features();
const char* variant_name(Variant v);
bool parse_variant(const std::string& name, Variant* out);
bool variant_supported(Variant v, const CpuFeatures& f);
std::vector<Variant> supported_variants(const CpuFeatures& f);
// The variant chosen at load: the best supported one, or TBW_KERNEL_VARIANT
// when set to a supported name. Sets *why to a human-readable reason.
Variant choose_variant(const CpuFeatures& f, std::string* why);
// Threads the kernels may use: TBW_THREADS when set, else the core count.
int configured_threads();

// ---- dot product: a (n), b (n) -> scalar ------------------------------------
// The reference accumulates in double; fast variants accumulate in float lanes.
float dot_ref(const float* a, const float* b, size_t n);
float dot_avx2(const float* a, const float* b, size_t n);
float dot_avx512(const float* a, const float* b, size_t n);
float dot(Variant v, const float* a, const float* b, size_t n);

// ---- GEMM: see tbw/gemm.h -----------------------------------------------------
void sgemm(Variant v, const GemmArgs& g);

// ---- machine peak: fp32 multiply-add throughput of a variant, all pool threads, GFLOP/s
double fma_peak_gflops(Variant v, long iters);

}  // namespace tbw
