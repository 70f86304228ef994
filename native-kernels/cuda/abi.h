// The C entry points of libtbw_cuda.so, the CUDA backend. The addon and the standalone
// tests load it with dlopen (tbw/cuda.h), so nothing links against CUDA and a machine
// without a GPU, driver or the library itself still runs the CPU backends.
#pragma once
#include <cstddef>
#include <cstdint>

#define TBW_CUDA_ABI 2
#define TBW_CUDA_EXPORT __attribute__((visibility("default")))  // the library hides everything else
#define TBW_CUDA_MAX_GPUS 16

namespace tbw {
class Backend;
}

extern "C" {

struct TbwGpuInfo {
  char name[256];
  uint64_t total_bytes;
  int cc_major, cc_minor, multiprocessors;
};

struct TbwCudaInfo {
  int runtime_version;  // e.g. 13000; 0 when unknown
  int driver_version;   // 0: no NVIDIA driver
  int device_count;
  char error[512];      // why no GPU can be used, or empty
  char cublas[512];     // the cuBLAS library that was loaded, or empty
  char cublas_error[512];
  TbwGpuInfo gpus[TBW_CUDA_MAX_GPUS];
};

typedef int (*tbw_cuda_abi_version_fn)();
// The GPUs and their properties; creates no CUDA context (free memory needs one: see below).
typedef void (*tbw_cuda_query_fn)(TbwCudaInfo* out);
// Free memory of one GPU; creates that GPU's context (hundreds of MB), so only for the GPU a
// job is about to use, or when a person asks (tbw doctor). Returns 0 on success.
typedef int (*tbw_cuda_free_bytes_fn)(int device, uint64_t* free_bytes);
// A backend on GPU `device` (owned by the library), or null with the reason in err.
// precision: 0 fp32, 1 bf16 GEMM inputs, 2 fp16 GEMM inputs (fp32 accumulation and master weights).
typedef tbw::Backend* (*tbw_cuda_backend_fn)(int device, int precision, char* err, size_t errlen);

TBW_CUDA_EXPORT int tbw_cuda_abi_version();
TBW_CUDA_EXPORT void tbw_cuda_query(TbwCudaInfo* out);
TBW_CUDA_EXPORT int tbw_cuda_free_bytes(int device, uint64_t* free_bytes);
TBW_CUDA_EXPORT tbw::Backend* tbw_cuda_backend(int device, int precision, char* err, size_t errlen);
}
