// The profiler's buffer: events from the calling thread and the pool workers, under one mutex
// (a few hundred events per step; the lock is taken only while profiling).
#include "tbw/profiler.h"

#include <chrono>
#include <mutex>

namespace tbw {

std::atomic<bool> g_profiling{false};

namespace {
std::mutex g_mu;
std::vector<ProfileEvent> g_events;
std::atomic<const char*> g_current_op{"idle"};  // the name of the op the caller is in
}  // namespace

int64_t profiler_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void profiler_enable(bool on) { g_profiling.store(on); }

void profiler_record(ProfileEvent e) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_events.push_back(std::move(e));
}

std::vector<ProfileEvent> profiler_take() {
  std::lock_guard<std::mutex> lk(g_mu);
  std::vector<ProfileEvent> out;
  out.swap(g_events);
  return out;
}

const char* profiler_current_op() { return g_current_op.load(std::memory_order_relaxed); }

ProfileScope::ProfileScope(const char* op, std::string name, double flops, int d0, int d1, int d2, int d3) : on_(profiling()) {
  if (!on_) return;
  e_.name = std::move(name);
  e_.op = op;
  e_.thread = 0;
  e_.flops = flops;
  e_.dims[0] = d0, e_.dims[1] = d1, e_.dims[2] = d2, e_.dims[3] = d3;
  outer_ = g_current_op.exchange(e_.name.c_str());
  e_.start_ns = profiler_now_ns();
}

ProfileScope::~ProfileScope() {
  if (!on_) return;
  e_.dur_ns = profiler_now_ns() - e_.start_ns;
  g_current_op.store(outer_);
  profiler_record(std::move(e_));
}

}  // namespace tbw
