// The shared pool: persistent workers woken per parallel_for, tasks handed
// out with an atomic counter, the caller participates and waits. Workers and
// the caller spin briefly before sleeping: a training step issues thousands of
// parallel regions, and a futex wake-up costs ~30 µs on these VMs.
#include "tbw/threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "tbw/profiler.h"
#include "tbw_kernels.h"

namespace tbw {
namespace {

thread_local bool t_in_pool = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() or about SPIN_US microseconds have passed; true if done().
constexpr int SPIN_US = 200;
template <class F>
bool spin_until(F&& done) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_US);
  for (int i = 0;; i++) {
    if (done()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > limit) return done();
  }
}

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return n_threads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> run(run_mu_);
    stop();
    start(n);
  }

  void run(int n_tasks, const TaskFn& fn) {
    if (n_tasks <= 0) return;
    if (n_threads_ == 1 || n_tasks == 1 || t_in_pool) {
      for (int t = 0; t < n_tasks; t++) fn(t, 0);
      return;
    }
    std::lock_guard<std::mutex> run(run_mu_);  // one parallel region at a time
    bool wake;
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      n_tasks_ = n_tasks;
      next_.store(0);
      active_.store(n_threads_ - 1);
      generation_.fetch_add(1, std::memory_order_release);
      wake = sleepers_ > 0;
    }
    if (wake) cv_.notify_all();
    t_in_pool = true;
    work(0);
    t_in_pool = false;
    if (!spin_until([&] { return active_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, [&] { return active_.load() == 0; });
    }
    fn_ = nullptr;
  }

 private:
  void start(int n) {
    n_threads_ = n < 1 ? 1 : n;
    quit_ = false;
    const unsigned long first = generation_.load();  // regions after this one are the new workers'
    for (int i = 1; i < n_threads_; i++) workers_.emplace_back([this, i, first] { loop(i, first); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  // A pool worker's share of a parallel region is one "pool" event on its own track when
  // profiling (the caller's share lies inside the op's own event).
  void work(int thread) {
    const bool prof = thread > 0 && profiling();
    const int64_t t0 = prof ? profiler_now_ns() : 0;
    int done = 0;
    for (int t; (t = next_.fetch_add(1)) < n_tasks_; done++) (*fn_)(t, thread);
    if (prof && done) profiler_record({profiler_current_op(), "pool", t0, profiler_now_ns() - t0, thread, 0, {done, 0, 0, 0}});
  }

  void loop(int thread, unsigned long seen) {
    t_in_pool = true;
    for (;;) {
      if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_++;
        cv_.wait(lk, [&] { return generation_.load() != seen; });
        sleepers_--;
      }
      {
        std::lock_guard<std::mutex> lk(mu_);  // the region's fields and quit_ are written under mu_
        seen = generation_.load();
        if (quit_) return;
      }
      work(thread);
      if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);  // a caller that gave up spinning waits on done_cv_
        done_cv_.notify_one();
      }
    }
  }

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  std::atomic<unsigned long> generation_{0};
  bool quit_ = false;
  int sleepers_ = 0;
  const TaskFn* fn_ = nullptr;
  int n_tasks_ = 0;
  std::atomic<int> active_{0};
  std::atomic<int> next_{0};
};

Pool& pool() {
  static Pool p(configured_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }
void parallel_for(int n_tasks, const TaskFn& fn) { pool().run(n_tasks, fn); }
bool in_parallel_region() { return t_in_pool; }

}  // namespace tbw
