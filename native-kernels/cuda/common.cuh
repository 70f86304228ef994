// Shared by the CUDA kernels: error checks that throw (the addon turns them into JS
// errors, the tests into failures), launch sizes and warp reductions.
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace tbw::cuda {

[[noreturn]] inline void fail(cudaError_t e, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                           "): " + cudaGetErrorString(e));
}

#define TBW_CUDA_CHECK(expr)                                        \
  do {                                                              \
    cudaError_t tbw_err_ = (expr);                                  \
    if (tbw_err_ != cudaSuccess) ::tbw::cuda::fail(tbw_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After a launch: configuration errors show up here, faults at the next synchronization.
#define TBW_CUDA_LAUNCHED(name) TBW_CUDA_CHECK(cudaGetLastError())

inline unsigned blocks_for(long n, int threads) { return (unsigned)((n + threads - 1) / threads); }
// Grid-stride loops cap the grid; 65535·4 blocks cover any tensor here.
inline unsigned grid_for(long n, int threads) {
  const long b = (n + threads - 1) / threads;
  return (unsigned)(b < 262140 ? (b > 0 ? b : 1) : 262140);
}

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over a block of blockDim.x (a multiple of 32, at most 1024) threads; every thread gets it.
__device__ inline float block_sum(float v) {
  __shared__ float part[32];
  __syncthreads();  // part may still be read by a previous call
  v = warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = lane < warps ? part[lane] : 0.f;
  return warp_sum(v);
}
__device__ inline float block_max(float v) {
  __shared__ float part[32];
  __syncthreads();
  v = warp_max(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = lane < warps ? part[lane] : -INFINITY;
  return warp_max(v);
}
__device__ inline double block_sum_d(double v) {
  __shared__ double part[32];
  __syncthreads();
  v = warp_sum_d(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = lane < warps ? part[lane] : 0.0;
  return warp_sum_d(v);
}

}  // namespace tbw::cuda
