// A grow-only, 64-byte aligned scratch buffer. Kernels keep these alive and
// reuse them: on these VMs first-touch memory is ~30x slower than reused memory.
#pragma once
#include <cstdlib>
#include <new>

namespace tbw {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(ptr_); }

  float* get(size_t n_floats) {
    if (n_floats > cap_) {
      std::free(ptr_);
      size_t bytes = ((n_floats * sizeof(float) + 63) / 64) * 64;
      ptr_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!ptr_) throw std::bad_alloc();
      cap_ = bytes / sizeof(float);
    }
    return ptr_;
  }

 private:
  float* ptr_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace tbw
