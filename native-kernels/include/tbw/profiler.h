// The kernels' profiler: when enabled, each op of a model step records its name, thread,
// start, duration, shape and FLOPs, and each pool thread records the span it worked on that
// op, into one buffer that the engine turns into Chrome trace events (DESIGN.md section 4).
// Disabled, a scope costs one relaxed atomic load.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace tbw {

struct ProfileEvent {
  std::string name;  // "layer0.query matmul"
  const char* op;    // op kind: matmul, lora, attention, layernorm, gelu, ... ("pool" for a worker's span)
  int64_t start_ns, dur_ns;
  int thread;        // 0: the calling thread; 1..: pool worker
  double flops;      // 0 when not counted
  int dims[4];       // the op's shape (N, C, OC or B, NH, T, HS), 0 when unused
};

extern std::atomic<bool> g_profiling;
inline bool profiling() { return g_profiling.load(std::memory_order_relaxed); }
int64_t profiler_now_ns();
void profiler_enable(bool on);
void profiler_record(ProfileEvent e);
std::vector<ProfileEvent> profiler_take();  // the events so far, in record order; the buffer is emptied
const char* profiler_current_op();          // the name of the op the caller is in (pool workers name their spans after it)

// Records the enclosing block as one event when profiling is on.
class ProfileScope {
 public:
  ProfileScope(const char* op, std::string name, double flops = 0, int d0 = 0, int d1 = 0, int d2 = 0, int d3 = 0);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  bool on_;
  ProfileEvent e_;
  const char* outer_;
};

}  // namespace tbw
