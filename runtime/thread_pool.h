// Rekindle runtime: the one pool of worker threads. A run (runtime/session.h) makes one pool and
// every parallel step of it (the evaluator's chunks, a diff's chunks) runs its tasks there; the
// work is cut into tasks independently of the number of threads, so results never depend on it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rk {

// Threads for a requested count: `requested` when above 0, else one per core.
int thread_count(int requested);

// A fixed set of threads that run a function over task indices [0, n), the calling thread being
// one of them. One run() at a time: a pool belongs to one run.
class WorkerPool {
 public:
  // `threads` in all, the caller included (thread_count(0) when 0 or below).
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return threads_; }
  // Runs fn(i) for every i in [0, n), on the workers and the calling thread, and returns when
  // every call has returned.
  void run(int64_t n, const std::function<void(int64_t)>& fn);

 private:
  void work();
  void loop();
  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t total_ = 0, next_ = 0, done_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace rk
