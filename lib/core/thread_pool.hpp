// The engine's one thread pool: workers started once and reused by every
// parallel loop (per-series forecasts, backtests, simulations, CSV slices,
// training shares), so a call pays no thread start-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace invforecast {

// A fixed team of `size()` workers: size() - 1 threads and, during run(), the
// calling thread as worker 0.  Workers cap oneDNN's OpenMP team to one
// thread each (kernels::cpu::ScopedGemmThreads), the caller for the duration
// of run(): the pool's size is the whole thread budget.
class ThreadPool {
 public:
  // `threads` workers in all (0 = the hardware's thread count).
  // Neither copyable nor movable: its workers point at it.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();

  // The process-wide pool every engine loop uses, of the hardware's thread
  // count until resized (invf_set_thread_pool_size).
  static ThreadPool& shared();

  size_t size() const { return size_.load(); }
  // Stops the workers and starts `threads` (0 = the hardware's count); waits
  // for a run in progress.  Error(InvalidArgument) from inside a task or for
  // more than kMaxThreads; Error(OutOfMemory) when the system refuses a
  // thread (the pool then keeps the workers it could start).
  void resize(size_t threads);
  static constexpr size_t kMaxThreads = 4096;

  // Runs fn(task, worker) for every task in [0, tasks) and returns when all
  // are done.  Tasks are handed out in index order to at most `max_workers`
  // workers (0 = every worker; never more than the tasks); worker is the
  // index (below that count) of the worker running the task, 0 being the
  // calling thread, so per-worker scratch space can be indexed by it.  No
  // allocation in steady state.  After a task throws no new task starts, and
  // once all have stopped the exception of the lowest failed index is
  // rethrown (every lower index was handed out before it, so it ran).
  // Called from inside a task, or while another thread's run() holds the
  // pool, the tasks run inline on the calling thread as worker 0: nested use
  // never deadlocks.
  template <typename Fn>
  void run(size_t tasks, Fn&& fn, size_t max_workers = 0) {
    using F = std::remove_reference_t<Fn>;
    run_erased(tasks, max_workers, const_cast<void*>(static_cast<const void*>(std::addressof(fn))),
               [](void* f, size_t task, size_t worker) { (*static_cast<F*>(f))(task, worker); });
  }

  // Splits [0, count) into one contiguous share per item, share w being
  // [w * count / n, (w + 1) * count / n) for n items (a share may be empty),
  // and runs work(items[w], begin, end) for each on the pool.  The split
  // depends on the items alone, never on the pool's size or the thread that
  // runs a share.
  template <typename Item, typename Work>
  void run_shares(std::vector<Item>& items, int64_t count, Work&& work) {
    const auto shares = static_cast<int64_t>(items.size());
    run(items.size(), [&](size_t w, size_t) {
      const auto share = static_cast<int64_t>(w);
      work(items[w], share * count / shares, (share + 1) * count / shares);
    });
  }

 private:
  using Invoke = void (*)(void*, size_t, size_t);
  void run_erased(size_t tasks, size_t max_workers, void* fn, Invoke invoke);
  void run_inline(size_t tasks, void* fn, Invoke invoke);
  void work(size_t worker);  // claims and runs tasks until none is left
  void loop(size_t worker, uint64_t seen);  // `seen`: the last generation before it started
  void start(size_t threads);
  void stop();

  std::mutex run_mutex_;  // held by the run in progress
  std::atomic<size_t> size_{1};
  std::vector<std::thread> threads_;

  std::mutex mutex_;  // guards what follows up to errors
  std::condition_variable start_, done_;
  std::atomic<uint64_t> generation_{0};  // written under mutex_, read while spinning
  size_t active_ = 0;   // workers taking part in the current run
  size_t pending_ = 0;  // of them, threads not yet finished
  bool stopping_ = false;

  // The current run.
  void* fn_ = nullptr;
  Invoke invoke_ = nullptr;
  size_t tasks_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
  size_t error_task_ = 0;
};

}  // namespace invforecast
