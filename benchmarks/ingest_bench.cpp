// Times loading a long CSV through the public C API only, as a vendor would:
//   ingest_bench FILE [RUNS]
// Prints each run and the median wall time, and the median CPU time of the
// process (all threads), which a busy shared host disturbs less.  The first
// load is a warm-up (page cache, allocator) and is not counted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "bench_util.hpp"
#include "invforecast.h"

using invf_bench::median;
using invf_bench::process_cpu_seconds;

struct Timing {
  double wall;
  double cpu;
};

static Timing load_once(const char* path, size_t* series, size_t* days) {
  const double cpu_start = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  invf_dataset* dataset = nullptr;
  invf_status* status = invf_dataset_load_csv(path, nullptr, &dataset);
  const auto stop = std::chrono::steady_clock::now();
  const double cpu = process_cpu_seconds() - cpu_start;
  if (status != nullptr) {
    std::fprintf(stderr, "ingest_bench: %s\n", invf_status_message(status));
    invf_status_release(status);
    std::exit(1);
  }
  *days = 0;
  invf_dataset_series_count(dataset, series);
  for (size_t s = 0; s < *series; ++s) {
    size_t length = 0;
    invf_dataset_series_length(dataset, s, &length);
    *days += length;
  }
  invf_dataset_release(dataset);
  return {std::chrono::duration<double>(stop - start).count(), cpu};
}


int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: ingest_bench FILE [RUNS]\n");
    return 2;
  }
  const int runs = argc == 3 ? std::atoi(argv[2]) : 5;
  if (runs < 1) {
    std::fprintf(stderr, "ingest_bench: RUNS must be a positive integer\n");
    return 2;
  }
  size_t series = 0, days = 0;
  load_once(argv[1], &series, &days);
  std::vector<double> walls, cpus;
  for (int r = 0; r < runs; ++r) {
    const Timing t = load_once(argv[1], &series, &days);
    walls.push_back(t.wall);
    cpus.push_back(t.cpu);
    std::printf("run %d: wall %.4f s, cpu %.4f s\n", r + 1, t.wall, t.cpu);
  }
  std::printf("file=%s series=%zu days=%zu runs=%d\n", argv[1], series, days, runs);
  std::printf("median_cpu_s=%.4f\n", median(cpus));
  std::printf("median_s=%.4f\n", median(walls));
  return 0;
}
