// A fixed team of threads for one training run (trainer, pre-training).
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "gemm.hpp"

namespace invforecast::train {

// Threads that live as long as a training run: oneDNN caches its GEMM
// primitives per thread, so fresh threads every step would rebuild them.
// run() hands share w of a job to thread w (share 0 to the caller) and waits
// for all; the first error raised by any share is rethrown.
class SharePool {
 public:
  explicit SharePool(int threads) : errors_(static_cast<size_t>(threads)) {
    for (int i = 1; i < threads; ++i) pool_.emplace_back([this, i] { loop(i); });
  }
  ~SharePool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_all();
    for (std::thread& t : pool_) t.join();
  }
  int threads() const { return static_cast<int>(pool_.size()) + 1; }

  void run(const std::function<void(int)>& work) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      work_ = &work;
      pending_ = static_cast<int>(pool_.size());
      ++generation_;
    }
    start_.notify_all();
    {
      // Each share's GEMMs stay on its own thread: the share count is the
      // whole thread budget (with one share too, oneDNN's OpenMP team would
      // otherwise take every core).
      kernels::cpu::ScopedGemmThreads one_gemm_thread(1);
      guarded(0);
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    work_ = nullptr;
    for (std::exception_ptr& e : errors_)
      if (e) std::rethrow_exception(std::exchange(e, nullptr));
  }

 private:
  void guarded(int share) {
    try {
      (*work_)(share);
    } catch (...) {
      errors_[static_cast<size_t>(share)] = std::current_exception();
    }
  }
  void loop(int share) {
    kernels::cpu::ScopedGemmThreads one_gemm_thread(1);
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      guarded(share);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  std::vector<std::thread> pool_;
  std::vector<std::exception_ptr> errors_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int)>* work_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace invforecast::train
