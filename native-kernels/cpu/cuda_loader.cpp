// Finds and loads libtbw_cuda.so with dlopen (see cuda/abi.h). Host-only code: it is
// compiled into every build, CUDA or not, and reports why CUDA is unavailable.
#include <cstdlib>
#include <mutex>
#include <string>

#include "../cuda/abi.h"
#include "tbw/cuda.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <vector>
#define TBW_HAVE_DLOPEN 1
#endif

namespace tbw {
namespace {

struct Loaded {
  CudaStatus status;
  tbw_cuda_backend_fn create = nullptr;
  tbw_cuda_free_bytes_fn free_bytes = nullptr;
};

#if TBW_HAVE_DLOPEN
std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Where libtbw_cuda.so is looked for: beside the module holding this code (the addon), then
// beside the executable (the standalone tests).
std::vector<std::string> library_candidates() {
  std::vector<std::string> out;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&dir_of), &info) && info.dli_fname && std::strchr(info.dli_fname, '/'))
    out.push_back(dir_of(info.dli_fname) + "/libtbw_cuda.so");
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) out.push_back(dir_of(std::string(exe, n)) + "/libtbw_cuda.so");
  return out;
}
#endif

Loaded load() {
  Loaded out;
  CudaStatus& s = out.status;
#if !TBW_HAVE_DLOPEN
  s.reason = "the CUDA backend is not built for this platform";
  return out;
#else
  const char* env = std::getenv("TBW_CUDA_LIB");
  const std::vector<std::string> paths = env && *env ? std::vector<std::string>{env} : library_candidates();
  void* lib = nullptr;
  std::string errors;
  for (const std::string& path : paths) {
    if (!env && access(path.c_str(), F_OK) != 0) {
      errors += (errors.empty() ? "" : "; ") + path + " does not exist";
      continue;
    }
    lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      s.library = path;
      break;
    }
    const char* err = dlerror();
    errors += (errors.empty() ? "" : "; ") + std::string(err ? err : path + " could not be loaded");
  }
  if (!lib) {
    s.reason = "CUDA backend not compiled (" + errors + "); build the workbench on a machine with nvcc (CUDA 12+) to get it";
    return out;
  }
  auto abi = reinterpret_cast<tbw_cuda_abi_version_fn>(dlsym(lib, "tbw_cuda_abi_version"));
  auto query = reinterpret_cast<tbw_cuda_query_fn>(dlsym(lib, "tbw_cuda_query"));
  auto create = reinterpret_cast<tbw_cuda_backend_fn>(dlsym(lib, "tbw_cuda_backend"));
  auto free_bytes = reinterpret_cast<tbw_cuda_free_bytes_fn>(dlsym(lib, "tbw_cuda_free_bytes"));
  if (!abi || !query || !create || !free_bytes || abi() != TBW_CUDA_ABI) {
    s.reason = s.library + " is from another version of the workbench (rebuild the native kernels)";
    return out;
  }
  s.compiled = true;
  auto* info = new TbwCudaInfo();  // large; kept off the stack
  query(info);
  s.runtime_version = info->runtime_version;
  s.driver_version = info->driver_version;
  s.reason = info->error;
  s.cublas = info->cublas;
  s.cublas_error = info->cublas_error;
  for (int i = 0; i < info->device_count && i < TBW_CUDA_MAX_GPUS; i++) {
    const TbwGpuInfo& g = info->gpus[i];
    s.gpus.push_back({i, g.name, (size_t)g.total_bytes, g.cc_major, g.cc_minor, g.multiprocessors});
  }
  delete info;
  if (s.gpus.empty() && s.reason.empty()) s.reason = "no CUDA GPU found";
  out.create = create;
  out.free_bytes = free_bytes;
  return out;  // the library stays loaded for the life of the process
#endif
}

const Loaded& loaded() {
  static Loaded l = load();
  return l;
}

}  // namespace

const CudaStatus& cuda_status() { return loaded().status; }

long long cuda_free_bytes(int device) {
  const Loaded& l = loaded();
  uint64_t bytes = 0;
  if (!l.free_bytes || device < 0 || device >= (int)l.status.gpus.size() || l.free_bytes(device, &bytes) != 0) return -1;
  return (long long)bytes;
}

Backend* cuda_backend(int device, std::string* why, CudaPrecision precision) {
  const Loaded& l = loaded();
  if (!l.create || l.status.gpus.empty()) {
    *why = l.status.reason;
    return nullptr;
  }
  if (device < 0 || device >= (int)l.status.gpus.size()) {
    *why = "cuda:" + std::to_string(device) + " does not exist: this machine has " + std::to_string(l.status.gpus.size()) +
           " GPU(s), cuda:0 to cuda:" + std::to_string(l.status.gpus.size() - 1);
    return nullptr;
  }
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  char err[512] = {0};
  Backend* be = l.create(device, static_cast<int>(precision), err, sizeof err);
  if (!be) *why = err;
  return be;
}

}  // namespace tbw
