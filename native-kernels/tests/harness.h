// A tiny test harness for the standalone kernel tests: checks with declared
// tolerances, per-variant runs with printed skips, a summary line.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tbw_kernels.h"

namespace th {

struct Stats {
  int passed = 0, failed = 0, skipped = 0;
};
inline Stats& stats() {
  static Stats s;
  return s;
}

// Largest |got-want| / (atol + rtol*|want|) over the arrays; <= 1 passes.
inline bool allclose(const char* what, const float* got, const float* want, size_t n, double rtol, double atol) {
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (got[i] == want[i]) continue;  // also matches equal infinities
    double err = std::fabs(double(got[i]) - want[i]) / (atol + rtol * std::fabs(double(want[i])));
    if (!(err <= worst)) {  // NaN counts as a failure
      worst = std::isnan(err) ? INFINITY : err;
      at = i;
      if (std::isnan(err)) break;
    }
  }
  if (worst <= 1.0) return true;
  std::printf("    FAIL %s: element %zu got %.9g want %.9g (rtol %.1e, atol %.1e)\n", what, at, got[at], want[at], rtol, atol);
  return false;
}

inline void report(const std::string& name, bool ok) {
  std::printf("  %s %s\n", ok ? "ok  " : "FAIL", name.c_str());
  (ok ? stats().passed : stats().failed)++;
}

inline void skip(const std::string& name, const std::string& why) {
  std::printf("  skip %s: %s\n", name.c_str(), why.c_str());
  stats().skipped++;
}

// Variants to run: every variant, with a printed skip for those this CPU lacks.
inline std::vector<tbw::Variant> variants_or_skip(const std::string& test) {
  std::vector<tbw::Variant> out;
  auto f = tbw::detect_cpu_features();
  for (tbw::Variant v : {tbw::Variant::Scalar, tbw::Variant::Avx2, tbw::Variant::Avx512}) {
    if (tbw::variant_supported(v, f)) out.push_back(v);
    else skip(test + "[" + tbw::variant_name(v) + "]", std::string("this CPU does not support ") + tbw::variant_name(v));
  }
  return out;
}

inline int finish(const char* suite) {
  auto& s = stats();
  std::printf("%s: %d passed, %d failed, %d skipped\n", suite, s.passed, s.failed, s.skipped);
  return s.failed ? 1 : 0;
}

// Deterministic uniform(lo, hi) values.
inline std::vector<float> random_vec(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::vector<float> v(n);
  unsigned s = seed * 2654435761u + 12345u;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    x = lo + (hi - lo) * float(s >> 8) / float(1u << 24);
  }
  return v;
}

}  // namespace th
