// Rekindle runtime: the worker pool (see thread_pool.h).
#include "runtime/thread_pool.h"

#include <algorithm>

namespace rk {

int thread_count(int requested) {
  return requested > 0 ? requested
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

WorkerPool::WorkerPool(int threads) : threads_(thread_count(threads)) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkerPool::run(int64_t n, const std::function<void(int64_t)>& fn) {
  if (workers_.empty() || n <= 1) {  // a pool of one, or one task: the caller runs it
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    total_ = n;
    next_ = 0;
    done_ = 0;
    ++generation_;
  }
  cv_.notify_all();
  work();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return done_ == total_; });
  fn_ = nullptr;
}

void WorkerPool::work() {
  for (;;) {
    int64_t i = 0;
    const std::function<void(int64_t)>* fn = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!fn_ || next_ >= total_) return;
      i = next_++;
      fn = fn_;
    }
    (*fn)(i);
    std::lock_guard<std::mutex> lock(mu_);
    if (++done_ == total_) done_cv_.notify_all();
  }
}

void WorkerPool::loop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || (generation_ != seen && fn_); });
      if (stop_) return;
      seen = generation_;
    }
    work();
  }
}

}  // namespace rk
