// Device copies of the host arrays a bertStep call passes, for a backend whose memory is not
// host memory (CUDA): inputs are uploaded before the step, gradients (which accumulate) are
// uploaded and downloaded after it. Buffers are kept per host array between calls, and those
// a call no longer uses are freed at its end, so a changing model does not leak device memory.
#pragma once
#include <cstring>
#include <functional>
#include <unordered_map>
#include <vector>

#include "tbw/backend.h"

namespace tbwnapi {

class DeviceMirror {
 public:
  // Whether a backend needs the mirror: its memory is not host memory.
  static bool needed(const tbw::Backend& be) { return std::strncmp(be.name(), "cuda", 4) == 0; }

  void begin(tbw::Backend& be) {
    if (be_ != &be) clear();
    be_ = &be;
    for (auto& [key, buf] : bufs_) buf.used = false;
    outputs_.clear();
  }
  // The device copy of `bytes` at host (null stays null), uploaded now.
  template <class T>
  T* in(const T* host, size_t bytes) {
    if (!host) return nullptr;
    return static_cast<T*>(copy(host, bytes));
  }
  // The same for an array the step writes (gradients): downloaded again by finish().
  template <class T>
  T* inout(T* host, size_t bytes) {
    if (!host) return nullptr;
    void* dev = copy(host, bytes);
    outputs_.push_back({host, dev, bytes});
    return static_cast<T*>(dev);
  }
  // Downloads the outputs and frees the buffers this call did not use.
  void finish() {
    for (const Output& o : outputs_) be_->download(o.host, o.dev, o.bytes);
    outputs_.clear();
    for (auto it = bufs_.begin(); it != bufs_.end();) {
      if (it->second.used) ++it;
      else be_->release(it->second.dev), it = bufs_.erase(it);
    }
  }
  ~DeviceMirror() { clear(); }

 private:
  struct Buf {
    void* dev = nullptr;
    bool used = false;
  };
  // By address and size: two views starting at one address get two buffers.
  struct Key {
    const void* host;
    size_t bytes;
    bool operator==(const Key& o) const { return host == o.host && bytes == o.bytes; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<const void*>()(k.host) ^ (k.bytes * 0x9E3779B97F4A7C15ull); }
  };
  struct Output {
    void* host;
    const void* dev;
    size_t bytes;
  };
  void* copy(const void* host, size_t bytes) {
    Buf& b = bufs_[Key{host, bytes}];
    if (!b.dev) b.dev = be_->alloc(bytes);
    b.used = true;
    be_->upload(b.dev, host, bytes);
    return b.dev;
  }
  void clear() {
    if (be_)
      for (auto& [key, buf] : bufs_) be_->release(buf.dev);
    bufs_.clear();
  }

  tbw::Backend* be_ = nullptr;
  std::unordered_map<Key, Buf, KeyHash> bufs_;
  std::vector<Output> outputs_;
};

}  // namespace tbwnapi
