// The CUDA backend, seen from the host: whether it was compiled, which GPUs the
// driver sees, whether cuBLAS was found, and the backend of one GPU. Every answer
// comes with a reason and none of this crashes without CUDA (see cuda/abi.h).
#pragma once
#include <string>
#include <vector>

#include "tbw/backend.h"

namespace tbw {

struct GpuInfo {
  int index = 0;
  std::string name;
  size_t total_bytes = 0;
  int cc_major = 0, cc_minor = 0, multiprocessors = 0;
};

struct CudaStatus {
  bool compiled = false;   // libtbw_cuda.so was found and loaded
  std::string library;     // its path
  std::string reason;      // why CUDA cannot be used ("" when at least one GPU is usable)
  int runtime_version = 0, driver_version = 0;
  std::vector<GpuInfo> gpus;
  std::string cublas;      // the loaded cuBLAS, or "" (then the backend's own SIMT GEMM runs)
  std::string cublas_error;
};

// Looked up once: $TBW_CUDA_LIB, else libtbw_cuda.so beside the module that holds this code
// (the addon's build/Release, or the CMake build folder of the standalone tests).
const CudaStatus& cuda_status();

// GEMM inputs of a CUDA backend; accumulation, activations and master weights stay fp32.
enum class CudaPrecision { Fp32 = 0, Bf16 = 1, Fp16 = 2 };

// Free memory of GPU `device`, or -1 when unknown. Creates that GPU's CUDA context (hundreds
// of MB), so only for the GPU a job will use, or when a person asks (tbw doctor).
long long cuda_free_bytes(int device);

// The backend of GPU `device` (one per device and precision, kept for the process), or null
// with *why set.
Backend* cuda_backend(int device, std::string* why, CudaPrecision precision = CudaPrecision::Fp32);

}  // namespace tbw
