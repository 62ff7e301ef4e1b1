// The persistent thread pool (lib/core/thread_pool.hpp) and parallel_for on it.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "error.hpp"
#include "core/parallel.hpp"
#include "core/thread_pool.hpp"
#include "test_kernels_util.hpp"

using namespace invforecast;

namespace {

// Threads that ever ran a task: each new thread constructs its thread_local
// marker once, so the count grows only when a thread is started.
std::atomic<int> threads_seen{0};
struct ThreadMarker {
  ThreadMarker() { ++threads_seen; }
};
void mark_thread() { thread_local ThreadMarker marker; }

struct TaskFailed : std::runtime_error {
  size_t task;
  explicit TaskFailed(size_t t) : std::runtime_error("task failed"), task(t) {}
};

}  // namespace

TEST_CASE("thread pool runs every task once and reuses its workers", "[thread_pool]") {
  ThreadPool pool(3);
  REQUIRE(pool.size() == 3);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::atomic<int>> runs(1000);
  const int before = threads_seen.load();
  mark_thread();
  for (int call = 0; call < 50; ++call) {
    std::atomic<bool> worker_ok{true};
    pool.run(runs.size(), [&](size_t task, size_t worker) {
      mark_thread();
      ++runs[task];
      if (worker >= 3 || ((worker == 0) != (std::this_thread::get_id() == caller)))
        worker_ok = false;
      if (task % 100 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    });
    REQUIRE(worker_ok.load());
  }
  for (const auto& r : runs) REQUIRE(r.load() == 50);
  // 50 calls on per-call threads would start 100 threads; the pool started 2
  // (and this thread's marker may be new as well).
  CHECK(threads_seen.load() - before <= 3);

  // A worker limit: indices stay below it.
  std::atomic<size_t> highest{0};
  pool.run(
      200,
      [&](size_t, size_t worker) {
        size_t seen = highest.load();
        while (worker > seen && !highest.compare_exchange_weak(seen, worker)) {
        }
      },
      2);
  CHECK(highest.load() <= 1);
  pool.run(0, [&](size_t, size_t) { FAIL("no task to run"); });
}

TEST_CASE("thread pool rethrows the lowest failed task and stays usable", "[thread_pool]") {
  ThreadPool pool(4);
  for (int round = 0; round < 20; ++round) {
    std::atomic<size_t> ran{0};
    try {
      pool.run(64, [&](size_t task, size_t) {
        ++ran;
        // Task 3 fails late, task 9 at once: the lowest index must still win.
        if (task == 3) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          throw TaskFailed(3);
        }
        if (task == 9) throw TaskFailed(9);
      });
      FAIL("expected a failure");
    } catch (const TaskFailed& e) {
      CHECK(e.task == 3);
    }
    CHECK(ran.load() < 64 + 4);
  }
  std::atomic<int> after{0};
  pool.run(10, [&](size_t, size_t) { ++after; });
  CHECK(after.load() == 10);
}

TEST_CASE("thread pool nested and concurrent runs do not deadlock", "[thread_pool]") {
  ThreadPool pool(3);
  std::atomic<int> inner_total{0};
  std::atomic<bool> inline_ok{true};
  pool.run(6, [&](size_t, size_t) {
    const std::thread::id outer = std::this_thread::get_id();
    pool.run(5, [&](size_t, size_t worker) {
      if (worker != 0 || std::this_thread::get_id() != outer) inline_ok = false;
      ++inner_total;
    });
  });
  CHECK(inner_total.load() == 30);
  CHECK(inline_ok.load());

  // Two host threads at once: one holds the pool, the other runs inline.
  std::atomic<int> total{0};
  auto host = [&] {
    for (int call = 0; call < 20; ++call) pool.run(50, [&](size_t, size_t) { ++total; });
  };
  std::thread a(host), b(host);
  a.join();
  b.join();
  CHECK(total.load() == 2 * 20 * 50);
}

TEST_CASE("thread pool can be resized, not from inside a task", "[thread_pool]") {
  ThreadPool pool(1);
  CHECK(pool.size() == 1);
  for (size_t size : {4u, 2u, 2u, 1u, 3u}) {
    pool.resize(size);
    CHECK(pool.size() == size);
    std::atomic<size_t> highest{0};
    std::vector<std::atomic<int>> runs(300);
    pool.run(runs.size(), [&](size_t task, size_t worker) {
      ++runs[task];
      size_t seen = highest.load();
      while (worker > seen && !highest.compare_exchange_weak(seen, worker)) {
      }
    });
    for (const auto& r : runs) REQUIRE(r.load() == 1);
    CHECK(highest.load() < size);
  }
  pool.resize(0);
  CHECK(pool.size() == std::max<size_t>(1, std::thread::hardware_concurrency()));
  CHECK_THROWS_MATCHES(pool.resize(ThreadPool::kMaxThreads + 1), Error,
                       Catch::Matchers::Predicate<Error>(
                           [](const Error& e) { return e.code() == ErrorCode::InvalidArgument; }));
  std::atomic<int> refused{0};
  pool.run(4, [&](size_t, size_t) {
    try {
      pool.resize(2);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::InvalidArgument) ++refused;
    }
  });
  CHECK(refused.load() == 4);
}

TEST_CASE("thread pool runs allocate nothing once warm", "[thread_pool]") {
  ThreadPool pool(3);
  std::vector<double> out(256);
  auto work = [&] {
    pool.run(out.size(), [&](size_t task, size_t) { out[task] = static_cast<double>(task) * 0.5; });
  };
  work();  // warm: thread-local state and OpenMP's per-thread settings
  CHECK(kernels::testing::count_allocations(work) == 0);
  CHECK(out[255] == 127.5);
}

TEST_CASE("parallel_for on the shared pool: progress on the calling thread only", "[thread_pool]") {
  ThreadPool& pool = ThreadPool::shared();
  const size_t saved = pool.size();
  pool.resize(4);
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mutex;
  std::vector<size_t> reports;
  bool other_thread = false;
  ProgressFn progress = [&](std::string_view stage, size_t done, size_t total) {
    std::lock_guard<std::mutex> lock(mutex);
    other_thread = other_thread || std::this_thread::get_id() != caller;
    CHECK(stage == "test");
    CHECK(total == 500);
    reports.push_back(done);
    return true;
  };
  std::vector<size_t> out(500, 0);
  parallel_for(out.size(), 0, progress, "test", [&](size_t i) {
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    out[i] = i * i;
  });
  for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == i * i);
  CHECK_FALSE(other_thread);
  REQUIRE(reports.size() >= 2);
  CHECK(reports.front() == 0);
  CHECK(reports.back() == 500);
  CHECK(std::is_sorted(reports.begin(), reports.end()));
  CHECK(worker_count(0, 1000) == 4);
  CHECK(worker_count(9, 1000) == 4);  // the pool caps a larger request
  CHECK(worker_count(2, 1000) == 2);
  CHECK(worker_count(0, 1) == 1);
  pool.resize(saved);
}
