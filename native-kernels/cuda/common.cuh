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

// A reduction over a block of blockDim.x (a multiple of 32, at most 1024) threads; every
// thread gets the result. op is the warp-level reduction, idle the value of missing lanes.
template <class T, class WarpOp>
__device__ inline T block_reduce(T v, WarpOp op, T idle) {
  __shared__ T part[32];
  __syncthreads();  // part may still be read by a previous call
  v = op(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  if (lane == 0) part[warp] = v;
  __syncthreads();
  return op(lane < warps ? part[lane] : idle);
}
__device__ inline float block_sum(float v) { return block_reduce(v, [](float x) { return warp_sum(x); }, 0.f); }
__device__ inline float block_max(float v) { return block_reduce(v, [](float x) { return warp_max(x); }, -INFINITY); }
__device__ inline double block_sum_d(double v) { return block_reduce(v, [](double x) { return warp_sum_d(x); }, 0.0); }

}  // namespace tbw::cuda
