// Small helpers the benchmark drivers share: failing loudly on a C API
// status, medians of repeated timings, wall and CPU clocks.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "invforecast.h"

namespace invf_bench {

// Prints "<program>: message" to stderr and exits with status 1.
[[noreturn]] inline void die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

// Dies with the status's message when a C API call failed.
inline void check(invf_status* status, const char* what) {
  if (status == nullptr) return;
  const std::string message = invf_status_message(status);
  invf_status_release(status);
  die(std::string(what) + ": " + message);
}

// Options with "threads" set (the caller releases them).
inline invf_options* threads_options(int threads) {
  invf_options* options = nullptr;
  check(invf_options_create(&options), "invf_options_create");
  check(invf_options_set(options, "threads", std::to_string(threads).c_str()), "threads");
  return options;
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of every thread of the process: over wall time, the cores a run kept busy.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace invf_bench
