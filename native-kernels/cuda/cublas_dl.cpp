// Finds libcublas at run time (see cublas_dl.h).
#include "cublas_dl.h"

#include <dlfcn.h>
#include <glob.h>

#include <cstdlib>
#include <vector>

namespace tbw::cuda {
namespace {

std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("TBW_CUBLAS"); env && *env) out.push_back(env);
  const char* names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"};
  for (const char* n : names) out.push_back(n);  // LD_LIBRARY_PATH, ld.so.cache
  std::vector<std::string> dirs;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* d = std::getenv(var); d && *d) dirs.push_back(std::string(d) + "/lib64");
  dirs.push_back("/usr/local/cuda/lib64");
  dirs.push_back("/usr/lib/x86_64-linux-gnu");
  // pip's nvidia-cublas-cu12/13 wheels (system, user and virtualenv site-packages)
  std::vector<std::string> patterns = {"/usr/lib/python3*/*-packages/nvidia/cu*/lib", "/usr/local/lib/python3*/*-packages/nvidia/cu*/lib",
                                       "/usr/lib/python3*/*-packages/nvidia/cublas/lib", "/usr/local/lib/python3*/*-packages/nvidia/cublas/lib"};
  if (const char* home = std::getenv("HOME")) patterns.push_back(std::string(home) + "/.local/lib/python3*/site-packages/nvidia/cublas/lib");
  if (const char* venv = std::getenv("VIRTUAL_ENV")) patterns.push_back(std::string(venv) + "/lib/python3*/site-packages/nvidia/cublas/lib");
  if (const char* conda = std::getenv("CONDA_PREFIX")) {
    dirs.push_back(std::string(conda) + "/lib");
    patterns.push_back(std::string(conda) + "/lib/python3*/site-packages/nvidia/cublas/lib");
  }
  for (const std::string& p : patterns) {
    glob_t g;
    if (glob(p.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; i++) dirs.push_back(g.gl_pathv[i]);
    globfree(&g);
  }
  for (const std::string& d : dirs)
    for (const char* n : names) out.push_back(d + "/" + n);
  return out;
}

template <class F>
bool bind(void* lib, F*& fn, const char* symbol) {
  fn = reinterpret_cast<F*>(dlsym(lib, symbol));
  return fn != nullptr;
}

Cublas* load() {
  auto* c = new Cublas();
  std::string tried;
  for (const std::string& path : candidates()) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    if (bind(lib, c->create, "cublasCreate_v2") && bind(lib, c->destroy, "cublasDestroy_v2") &&
        bind(lib, c->set_stream, "cublasSetStream_v2") && bind(lib, c->sgemm, "cublasSgemm_v2") &&
        bind(lib, c->sgemm_strided_batched, "cublasSgemmStridedBatched") && bind(lib, c->gemm_ex, "cublasGemmEx")) {
      c->path = path;
      return c;
    }
    tried += (tried.empty() ? "" : ", ") + path;
    dlclose(lib);
  }
  c->error = tried.empty() ? "libcublas was not found (install the CUDA toolkit's cuBLAS or `pip install nvidia-cublas-cu12`, "
                             "or set TBW_CUBLAS=/path/to/libcublas.so)"
                           : "libcublas at " + tried + " lacks the entry points the workbench uses";
  return c;
}

const Cublas& loaded() {
  static Cublas* c = load();
  return *c;
}

}  // namespace

const Cublas* cublas() { return loaded().path.empty() ? nullptr : &loaded(); }
const std::string& cublas_error() { return loaded().error; }


}  // namespace tbw::cuda
