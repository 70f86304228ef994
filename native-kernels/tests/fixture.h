// Reads the golden fixtures written by tools/make_fixtures.py.
#pragma once
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace th {

using Fixture = std::map<std::string, std::vector<float>>;

inline Fixture load_fixture(const std::string& name) {
  const std::string path = std::string(TBW_FIXTURES_DIR) + "/" + name;
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open fixture " + path);
  std::string line;
  std::getline(f, line);
  if (line != "tbw-fixture 1") throw std::runtime_error(path + ": not a tbw fixture");
  std::vector<std::pair<std::string, size_t>> index;
  while (std::getline(f, line) && line != "end") {
    std::istringstream is(line);
    std::string tensor;
    size_t count = 0;
    if (!(is >> tensor >> count)) throw std::runtime_error(path + ": bad header line '" + line + "'");
    index.emplace_back(tensor, count);
  }
  Fixture out;
  for (auto& [tensor, count] : index) {
    std::vector<float> v(count);
    if (!f.read(reinterpret_cast<char*>(v.data()), count * sizeof(float)))
      throw std::runtime_error(path + ": truncated at tensor " + tensor);
    out[tensor] = std::move(v);
  }
  return out;
}

// Declared tolerance for fixture comparisons: max |got - want| <= rel * max |want| + 1e-6.
// The absolute floor covers gradients that are analytically zero (the key bias: softmax
// is shift-invariant), where fp32 leaves ~1e-7 of rounding.
inline bool scale_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& want, double rel) {
  if (got.size() != want.size()) {
    std::printf("    FAIL %s: %zu values, fixture has %zu\n", what.c_str(), got.size(), want.size());
    return false;
  }
  double worst = 0, scale = 0;
  size_t at = 0;
  for (size_t i = 0; i < want.size(); i++) {
    scale = std::max(scale, (double)std::fabs(want[i]));
    const double d = std::fabs((double)got[i] - want[i]);
    if (!(d <= worst)) worst = d, at = i;
  }
  if (worst <= rel * scale + 1e-6) return true;
  std::printf("    FAIL %s: |diff| %.3g at %zu (got %.7g, want %.7g) > %.0e x max|want| %.4g + 1e-6\n", what.c_str(), worst, at, got[at],
              want[at], rel, scale);
  return false;
}

}  // namespace th
