// A caching allocator for the CPU backends. Activation blocks are freed and
// re-made whenever the batch shape changes (dynamic padding makes that every
// few steps); first-touching fresh pages costs more than the step itself on
// these machines, so released blocks are kept and handed out again to any
// request that fits (best fit, at most 4x larger). Blocks smaller than a
// request that fits nothing are given back to the system then.
#pragma once
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace tbw {

class BlockCache {
 public:
  ~BlockCache() {
    for (auto& [size, p] : free_) std::free(p);
  }

  void* alloc(size_t bytes) {
    const size_t need = ((bytes + 63) / 64) * 64 + 64;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.lower_bound(need);
    if (it != free_.end() && it->first <= 4 * need) {
      void* p = it->second;
      size_of_[p] = it->first;
      cached_ -= it->first;
      free_.erase(it);
      return p;
    }
    for (auto i = free_.begin(); i != free_.end() && i->first < need;) {
      cached_ -= i->first;
      std::free(i->second);
      i = free_.erase(i);
    }
    void* p = std::aligned_alloc(64, need);
    if (p) size_of_[p] = need;
    return p;
  }

  void release(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = size_of_.find(p);
    const size_t size = it == size_of_.end() ? 0 : it->second;
    if (it != size_of_.end()) size_of_.erase(it);
    if (size == 0 || cached_ + size > kMaxCachedBytes) {
      std::free(p);
      return;
    }
    free_.emplace(size, p);
    cached_ += size;
  }

 private:
  static constexpr size_t kMaxCachedBytes = size_t(4) << 30;
  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::unordered_map<void*, size_t> size_of_;
  size_t cached_ = 0;
};

}  // namespace tbw
