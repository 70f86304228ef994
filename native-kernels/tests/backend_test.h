// Backend-neutral test support: buffers that live on a backend (host memory on
// CPU, device memory on CUDA) and the loop over fast backends with printed skips.
// Test bodies written against these run unchanged on any Backend.
#pragma once
#include <cstdlib>
#include <string>
#include <vector>

#include "harness.h"
#include "tbw/backend.h"
#include "tbw/cuda.h"

namespace th {

template <class T>
class DevBuf {
 public:
  DevBuf(tbw::Backend& be, const std::vector<T>& host) : be_(be), n_(host.size()) {
    ptr_ = static_cast<T*>(be_.alloc(bytes()));
    be_.upload(ptr_, host.data(), bytes());
  }
  DevBuf(tbw::Backend& be, size_t n, T fill = T(0)) : DevBuf(be, std::vector<T>(n, fill)) {}
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  ~DevBuf() { be_.release(ptr_); }
  T* get() const { return ptr_; }
  operator T*() const { return ptr_; }
  std::vector<T> host() const {
    std::vector<T> out(n_);
    be_.download(out.data(), ptr_, bytes());
    return out;
  }

 private:
  size_t bytes() const { return n_ * sizeof(T) + (n_ == 0); }
  tbw::Backend& be_;
  size_t n_;
  T* ptr_;
};

// Both results downloaded and compared with a declared tolerance.
template <class T>
bool same(const char* what, const DevBuf<T>& got, const DevBuf<T>& want, double rtol, double atol) {
  auto g = got.host(), w = want.host();
  return allclose(what, g.data(), w.data(), g.size(), rtol, atol);
}

// The CUDA backend of every GPU ($TBW_TEST_GPUS=0 limits it to cuda:0), or one printed skip
// saying why there is none (not compiled, no driver, no GPU).
inline std::vector<tbw::Backend*> cuda_backends_or_skip(const std::string& test,
                                                       tbw::CudaPrecision precision = tbw::CudaPrecision::Fp32) {
  std::vector<tbw::Backend*> out;
  const tbw::CudaStatus& st = tbw::cuda_status();
  for (const tbw::GpuInfo& g : st.gpus) {
    std::string why;
    if (tbw::Backend* be = tbw::cuda_backend(g.index, &why, precision)) out.push_back(be);
    else skip(test + "[cuda:" + std::to_string(g.index) + "]", why);
    if (const char* only = std::getenv("TBW_TEST_GPUS"); only && std::string(only) == "0") break;
  }
  if (st.gpus.empty()) skip(test + "[cuda]", st.reason);
  return out;
}

// The fast CPU backends and the CUDA backends; those this CPU, build or machine lacks are
// reported as skips.
inline std::vector<tbw::Backend*> fast_backends_or_skip(const std::string& test) {
  std::vector<tbw::Backend*> out;
  for (const char* name : {"scalar", "avx2", "avx512"}) {
    if (tbw::Backend* be = tbw::cpu_backend(name)) out.push_back(be);
    else skip(test + "[" + name + "]", std::string("this CPU or build has no ") + name + " backend");
  }
  for (tbw::Backend* be : cuda_backends_or_skip(test)) out.push_back(be);
  return out;
}

inline tbw::Backend& ref_backend() { return *tbw::cpu_backend("ref"); }

// The reference backend first, then fast_backends_or_skip(test).
inline std::vector<tbw::Backend*> all_backends_or_skip(const std::string& test) {
  std::vector<tbw::Backend*> out = {&ref_backend()};
  for (tbw::Backend* be : fast_backends_or_skip(test)) out.push_back(be);
  return out;
}

}  // namespace th
