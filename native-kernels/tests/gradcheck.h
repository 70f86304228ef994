// Central finite differences in float64: d loss / d x[i] ≈ (L(x+h) - L(x-h)) / 2h.
#pragma once
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace th {

// Checks analytic[i] against finite differences on up to max_checks indices
// spread over x. Declared tolerance: |fd - an| <= 1e-6 + 1e-5 * |fd| (float64).
inline bool gradcheck(const std::string& what, std::vector<double>& x, const std::function<double()>& loss,
                      const std::vector<double>& analytic, int max_checks = 40, double h = 1e-5) {
  const size_t n = x.size();
  const size_t stride = n > (size_t)max_checks ? n / max_checks : 1;
  for (size_t i = 0; i < n; i += stride) {
    const double x0 = x[i];
    x[i] = x0 + h;
    const double lp = loss();
    x[i] = x0 - h;
    const double lm = loss();
    x[i] = x0;
    const double fd = (lp - lm) / (2 * h);
    if (!(std::fabs(fd - analytic[i]) <= 1e-6 + 1e-5 * std::fabs(fd))) {
      std::printf("    FAIL d%s[%zu]: analytic %.10g, finite difference %.10g\n", what.c_str(), i, analytic[i], fd);
      return false;
    }
  }
  return true;
}

inline std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// sum(out .* r): a scalar loss whose gradient w.r.t. out is r
inline double weighted_sum(const std::vector<double>& out, const std::vector<double>& r) {
  double s = 0;
  for (size_t i = 0; i < out.size(); i++) s += out[i] * r[i];
  return s;
}

}  // namespace th
