// One thread pool shared by every kernel, sized to the machine (TBW_THREADS
// overrides). The calling thread works too, so N threads = N-1 workers + caller.
// Nested parallel_for calls run serially on the calling worker: no oversubscription.
#pragma once
#include <functional>

namespace tbw {

// fn(task, thread) for task in [0, n_tasks); thread in [0, num_threads()).
using TaskFn = std::function<void(int task, int thread)>;

int num_threads();
void set_num_threads(int n);  // resizes the shared pool (tests, benchmarks)
void parallel_for(int n_tasks, const TaskFn& fn);
// True on a thread that is running a parallel_for task (nested calls run serially).
bool in_parallel_region();

}  // namespace tbw
