#include "core/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <utility>

#include "error.hpp"
#include "gemm.hpp"

namespace invforecast {

namespace {

// Whether this thread is running a pool task (a worker, or a caller inside
// run()): a run() from here runs inline.
thread_local bool inside_task = false;

size_t resolved(size_t threads) {
  if (threads > ThreadPool::kMaxThreads)
    fail(ErrorCode::InvalidArgument, "thread pool: {} threads is more than the {} allowed", threads,
         ThreadPool::kMaxThreads);
  return threads > 0 ? threads : std::max<size_t>(1, std::thread::hardware_concurrency());
}

struct InsideTask {
  bool previous = std::exchange(inside_task, true);
  ~InsideTask() { inside_task = previous; }
};

}  // namespace

ThreadPool::ThreadPool(size_t threads) { start(resolved(threads)); }

ThreadPool::~ThreadPool() { stop(); }

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool(0);
  return pool;
}

void ThreadPool::start(size_t threads) {
  threads_.reserve(threads - 1);
  size_ = 1;
  // A new worker waits for the next run, not one that ended before it started.
  const uint64_t current = generation_;
  try {
    for (size_t w = 1; w < threads; ++w) {
      threads_.emplace_back([this, w, current] { loop(w, current); });
      size_ = w + 1;
    }
  } catch (const std::system_error& e) {
    fail(ErrorCode::OutOfMemory, "thread pool: cannot start worker {} of {}: {} ({} running)",
         size_.load(), threads, e.what(), size_.load());
  }
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  stopping_ = false;
  size_ = 1;
}

void ThreadPool::resize(size_t threads) {
  const size_t wanted = resolved(threads);
  if (inside_task)
    fail(ErrorCode::InvalidArgument, "thread pool: cannot be resized from inside one of its tasks");
  std::lock_guard<std::mutex> running(run_mutex_);
  if (wanted == size()) return;
  stop();
  start(wanted);
}

void ThreadPool::loop(size_t worker, uint64_t seen) {
  kernels::cpu::ScopedGemmThreads one_gemm_thread(1);
  inside_task = true;
  for (;;) {
    // Stay runnable (yielding) for 20 ms before sleeping: the next run of a loop of parallel
    // calls (forecast batches call after call) then finds this worker running on its own
    // core.  A sleeping worker woken by the caller was often placed on the caller's core
    // first, the two sharing it until the scheduler moved one: 2-thread batch-256 forecasts
    // measured 54-70 GFLOP/s in some runs against 92-106 with the spin (1-thread: ~50).
    // OpenMP runtimes spin for the same reason (KMP_BLOCKTIME, 200 ms by default).
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    while (generation_.load(std::memory_order_acquire) == seen &&
           std::chrono::steady_clock::now() < spin_until)
      std::this_thread::yield();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (worker >= active_) continue;
    }
    work(worker);
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --pending_ == 0;
    }
    if (last) done_.notify_one();
  }
}

void ThreadPool::work(size_t worker) {
  while (!failed_.load(std::memory_order_relaxed)) {
    const size_t task = next_.fetch_add(1);
    if (task >= tasks_) return;
    try {
      invoke_(fn_, task, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_ || task < error_task_) {
        error_ = std::current_exception();
        error_task_ = task;
      }
      failed_ = true;
    }
  }
}

void ThreadPool::run_inline(size_t tasks, void* fn, Invoke invoke) {
  kernels::cpu::ScopedGemmThreads one_gemm_thread(1);
  InsideTask inside;
  for (size_t task = 0; task < tasks; ++task) invoke(fn, task, 0);
}

void ThreadPool::run_erased(size_t tasks, size_t max_workers, void* fn, Invoke invoke) {
  if (tasks == 0) return;
  if (inside_task) return run_inline(tasks, fn, invoke);
  std::unique_lock<std::mutex> running(run_mutex_, std::try_to_lock);
  if (!running.owns_lock()) return run_inline(tasks, fn, invoke);
  const size_t workers = std::min({size(), tasks, max_workers > 0 ? max_workers : size()});
  fn_ = fn;
  invoke_ = invoke;
  tasks_ = tasks;
  next_ = 0;
  failed_ = false;
  if (workers > 1) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = workers;
      pending_ = workers - 1;
      ++generation_;
    }
    start_.notify_all();
  }
  {
    kernels::cpu::ScopedGemmThreads one_gemm_thread(1);
    InsideTask inside;
    work(0);
  }
  if (workers > 1) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }
  if (error_) {
    std::exception_ptr error = std::exchange(error_, nullptr);
    std::rethrow_exception(error);
  }
}

}  // namespace invforecast
