// One parallel loop for the engine's per-series work (forecasts, backtests,
// simulations), on the shared thread pool: items are handed out one at a
// time, each writes only its own result slot, so results never depend on the
// thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <string_view>

#include "core/options.hpp"
#include "core/thread_pool.hpp"

namespace invforecast {

// Workers to use for `items` work items: `requested`, or the whole pool when
// it is 0, never more than the pool, the items nor fewer than one.
inline size_t worker_count(int requested, size_t items) {
  const size_t pool = ThreadPool::shared().size();
  const size_t wanted = requested > 0 ? static_cast<size_t>(requested) : pool;
  return std::clamp<size_t>(std::min(wanted, pool), 1, std::max<size_t>(items, 1));
}

// Runs work(i) for i in [0, count) on `threads` workers of the pool (see
// worker_count), the calling thread included; only the calling thread
// reports progress (the C API promises the callback runs there).  After a
// failure no new item starts; once every worker has stopped, the failure of
// the lowest index is rethrown (ThreadPool::run).  A cancelled progress
// callback stops the loop the same way.
template <typename Work>
void parallel_for(size_t count, int threads, const ProgressFn& progress, std::string_view stage,
                  Work work) {
  std::atomic<size_t> done{0};
  size_t reported = 0;
  report_progress(progress, stage, 0, count);
  ThreadPool::shared().run(
      count,
      [&](size_t i, size_t worker) {
        work(i);
        const size_t now = done.fetch_add(1) + 1;
        if (worker != 0 || now == reported) return;
        report_progress(progress, stage, now, count);
        reported = now;
      },
      worker_count(threads, count));
  if (reported != count) report_progress(progress, stage, count, count);
}

}  // namespace invforecast
