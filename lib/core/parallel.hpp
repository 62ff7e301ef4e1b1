// One parallel loop for the engine's per-series work (forecasts, backtests,
// simulations): items are handed out one at a time, each writes only its own
// result slot, so results never depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <string_view>
#include <thread>
#include <vector>

#include "core/options.hpp"

namespace invforecast {

// Threads to use for `items` work items: `requested`, or every hardware
// thread when it is 0, never more than the items nor fewer than one.
inline size_t worker_count(int requested, size_t items) {
  const size_t wanted = requested > 0 ? static_cast<size_t>(requested)
                                      : std::max<unsigned>(1, std::thread::hardware_concurrency());
  return std::clamp<size_t>(wanted, 1, std::max<size_t>(items, 1));
}

// Runs work(i) for i in [0, count) on `threads` threads, the calling thread
// included; only the calling thread reports progress (the C API promises the
// callback runs there).  After a failure no new item starts; once every
// thread has stopped, the failure of the lowest index is rethrown (every
// lower index was claimed earlier, so it ran).  A cancelled progress
// callback stops the helpers before its error propagates.
template <typename Work>
void parallel_for(size_t count, int threads, const ProgressFn& progress, std::string_view stage,
                  Work work) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::exception_ptr> errors(count);
  auto run_one = [&]() -> bool {
    if (stop.load()) return false;
    const size_t i = next.fetch_add(1);
    if (i >= count) return false;
    try {
      work(i);
    } catch (...) {
      errors[i] = std::current_exception();
      stop.store(true);
    }
    done.fetch_add(1);
    return true;
  };
  std::vector<std::thread> helpers;
  size_t reported = 0;
  try {
    for (size_t t = 1; t < worker_count(threads, count); ++t)
      helpers.emplace_back([&] { while (run_one()) {} });
    report_progress(progress, stage, 0, count);
    while (run_one()) {
      const size_t now = done.load();
      if (now == reported) continue;
      report_progress(progress, stage, now, count);
      reported = now;
    }
  } catch (...) {  // cancelled, or out of threads: stop the helpers first
    stop.store(true);
    for (auto& helper : helpers) helper.join();
    throw;
  }
  for (auto& helper : helpers) helper.join();
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  if (reported != count) report_progress(progress, stage, count, count);
}

}  // namespace invforecast
