// Training-step speed through the public C API only (invf_train), as a
// vendor would call it.  benchmarks/train_vs_pytorch.sh runs it beside
// benchmarks/train_peers.py (PyTorch 1.13, the same model and loss).
//
//   train_bench step DATA.csv[.gz] THREADS STEPS
//       trains the default configuration (ModelConfig defaults: context 336,
//       patch 16, stride 8, d_model 128, 8 heads, ffn 256, 3 layers, horizon
//       28, 9 quantiles, RevIN with affine, pinball loss) for one epoch of
//       STEPS steps at batch 256 with no validation pass, and times the steps
//       through the progress callback (called every 10 steps): the first 10
//       steps are warm-up; each later 10-step interval gives a time per step
//       (all printed, seconds_per_step is their median), with the process's
//       CPU time per step and the cores it kept busy.  Loading the dataset and
//       setting training up (sampler, workers, optimiser) lie outside the
//       timed steps; drawing and copying each batch's windows is inside.
//   train_bench windows DATA.csv[.gz] COUNT OUT.f32
//       COUNT training windows (context 336 + horizon 28 floats each) drawn
//       uniformly among the windows invf_train samples from (origin at least
//       28 days after the series' first sale, context days before the series'
//       start read as 0), for the PyTorch side to train on the same data.
//   train_bench forward DATA.csv[.gz] THREADS
//       the forward pass alone, through invf_model_forecast at batch 256 on a
//       model trained for 10 steps (median of 5 calls after a warm-up): what
//       share of a training step the forward pass is.
//
// Each measurement is one line "MEASURE engine=invforecast key=value ...".
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "invforecast.h"

namespace {

using namespace invf_bench;

constexpr size_t kBatch = 256;
constexpr size_t kContext = 336;  // ModelConfig's default context_length
constexpr size_t kHorizon = 28;   // and horizon
constexpr size_t kMinHistory = 28;
constexpr size_t kReportEvery = 10;  // invf_train's progress interval with a callback

size_t parse_count(const char* text, const char* what) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1) die(std::string(what) + " must be an integer >= 1");
  return static_cast<size_t>(value);
}

invf_dataset* load_dataset(const char* path) {
  invf_dataset* dataset = nullptr;
  check(invf_dataset_load_csv(path, nullptr, &dataset), "load the dataset");
  return dataset;
}

// Training options of the benchmark: the model's defaults, one epoch, no hold-out, the target
// alone (the peers train the encoder without covariates).
invf_options* train_options(size_t threads, size_t steps) {
  invf_options* options = nullptr;
  check(invf_options_create(&options), "options");
  const std::string threads_text = std::to_string(threads), steps_text = std::to_string(steps),
                    batch_text = std::to_string(kBatch);
  check(invf_options_set(options, "threads", threads_text.c_str()), "threads");
  check(invf_options_set(options, "epochs", "1"), "epochs");
  check(invf_options_set(options, "steps_per_epoch", steps_text.c_str()), "steps_per_epoch");
  check(invf_options_set(options, "batch_size", batch_text.c_str()), "batch_size");
  check(invf_options_set(options, "holdout_days", "0"), "holdout_days");
  check(invf_options_set(options, "covariates", "none"), "covariates");
  return options;
}

// Wall-clock and CPU time at every in-epoch progress report, by step.
struct StepClock {
  std::vector<size_t> steps;
  std::vector<Clock::time_point> times;
  std::vector<double> cpu_seconds;
  double library_samples_per_second = 0.0;
  double last_loss = 0.0;
};

int record_step(void* user_data, const invf_train_progress* progress) {
  const auto now = Clock::now();
  const double cpu = process_cpu_seconds();
  auto& clock = *static_cast<StepClock*>(user_data);
  if (progress->epoch_end) return 0;
  clock.steps.push_back(progress->step);
  clock.times.push_back(now);
  clock.cpu_seconds.push_back(cpu);
  clock.library_samples_per_second = progress->samples_per_second;
  clock.last_loss = progress->train_loss;
  return 0;
}

int run_step(const char* data_path, size_t threads, size_t steps) {
  if (steps < 3 * kReportEvery || steps % kReportEvery != 0)
    die("STEPS must be a multiple of 10, at least 30 (10 warm-up steps, then 10-step intervals)");
  invf_dataset* dataset = load_dataset(data_path);
  invf_options* options = train_options(threads, steps);
  StepClock clock;
  invf_model* model = nullptr;
  check(invf_train(dataset, nullptr, options, record_step, &clock, &model), "invf_train");
  if (clock.steps.size() != steps / kReportEvery) die("unexpected progress reports");

  // Interval i covers steps (10 (i+1), 10 (i+2)]; the first report (step 10) ends the warm-up.
  std::vector<double> per_step;
  for (size_t i = 1; i < clock.times.size(); ++i)
    per_step.push_back(std::chrono::duration<double>(clock.times[i] - clock.times[i - 1]).count() /
                       static_cast<double>(clock.steps[i] - clock.steps[i - 1]));
  const double timed_seconds =
      std::chrono::duration<double>(clock.times.back() - clock.times.front()).count();
  const double mean = timed_seconds / static_cast<double>(steps - kReportEvery);
  const double cpu_seconds = clock.cpu_seconds.back() - clock.cpu_seconds.front();
  const double med = median(per_step);
  std::string intervals;
  for (double s : per_step) intervals += (intervals.empty() ? "" : ",") + std::to_string(s);
  std::printf(
      "MEASURE engine=invforecast kind=train_step threads=%zu batch=%zu timed_steps=%zu "
      "seconds_per_step=%.5f mean_seconds_per_step=%.5f samples_per_s=%.1f "
      "library_samples_per_s=%.1f cpu_seconds_per_step=%.5f cores_busy=%.2f final_loss=%.4f "
      "interval_seconds_per_step=%s\n",
      threads, kBatch, steps - kReportEvery, med, mean, static_cast<double>(kBatch) / med,
      clock.library_samples_per_second, cpu_seconds / static_cast<double>(steps - kReportEvery),
      cpu_seconds / timed_seconds, clock.last_loss, intervals.c_str());
  invf_model_release(model);
  invf_options_release(options);
  invf_dataset_release(dataset);
  return 0;
}

// Every series' values, and the valid origins of each (the rule of invf_train's sampler).
struct Windows {
  std::vector<std::vector<double>> values;
  std::vector<size_t> first_origin, count;
};

Windows list_windows(const invf_dataset* dataset) {
  size_t series_count = 0;
  check(invf_dataset_series_count(dataset, &series_count), "series count");
  Windows w;
  for (size_t s = 0; s < series_count; ++s) {
    size_t length = 0;
    check(invf_dataset_series_length(dataset, s, &length), "series length");
    std::vector<double> values(length);
    check(invf_dataset_series_values(dataset, s, values.data(), length), "series values");
    double launch = 0.0;
    check(invf_dataset_series_stat(dataset, s, "launch_offset", &launch), "launch offset");
    size_t first = 0, count = 0;
    if (launch >= 0.0) {
      first = static_cast<size_t>(launch) + kMinHistory;
      if (first + kHorizon <= length) count = length - kHorizon - first + 1;
    }
    w.values.push_back(std::move(values));
    w.first_origin.push_back(first);
    w.count.push_back(count);
  }
  return w;
}

int run_windows(const char* data_path, size_t count, const char* out_path) {
  invf_dataset* dataset = load_dataset(data_path);
  const Windows w = list_windows(dataset);
  // Equal weight for every window: a series with probability proportional to its window count.
  std::discrete_distribution<size_t> pick_series(w.count.begin(), w.count.end());
  std::mt19937_64 random(20261128);
  std::vector<float> out;
  out.reserve(count * (kContext + kHorizon));
  for (size_t i = 0; i < count; ++i) {
    const size_t s = pick_series(random);
    const size_t origin =
        w.first_origin[s] + std::uniform_int_distribution<size_t>(0, w.count[s] - 1)(random);
    for (size_t t = 0; t < kContext + kHorizon; ++t) {
      const long day =
          static_cast<long>(origin) - static_cast<long>(kContext) + static_cast<long>(t);
      out.push_back(day < 0 ? 0.0f : static_cast<float>(w.values[s][static_cast<size_t>(day)]));
    }
  }
  std::ofstream file(out_path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(out.data()),
             static_cast<std::streamsize>(out.size() * sizeof(float)));
  if (!file) die(std::string("cannot write ") + out_path);
  std::printf("MEASURE engine=invforecast kind=windows count=%zu floats_per_window=%zu\n", count,
              kContext + kHorizon);
  invf_dataset_release(dataset);
  return 0;
}

int run_forward(const char* data_path, size_t threads) {
  invf_dataset* dataset = load_dataset(data_path);
  invf_options* options = train_options(threads, kReportEvery);
  invf_model* model = nullptr;
  check(invf_train(dataset, nullptr, options, nullptr, nullptr, &model), "invf_train");
  const Windows w = list_windows(dataset);
  // The last context of the first kBatch series with a window.
  std::vector<float> context;
  for (size_t s = 0; s < w.values.size() && context.size() < kBatch * kContext; ++s) {
    if (w.count[s] == 0 || w.values[s].size() < kContext) continue;
    context.insert(context.end(), w.values[s].end() - static_cast<long>(kContext),
                   w.values[s].end());
  }
  const size_t batch = context.size() / kContext;
  int64_t quantiles = 0;
  check(invf_model_config_int(model, "quantile_count", &quantiles), "quantile_count");
  std::vector<float> out(batch * kHorizon * static_cast<size_t>(quantiles));
  auto forecast = [&] {
    check(invf_model_forecast(model, context.data(), batch, kContext, out.data(), out.size()),
          "invf_model_forecast");
  };
  forecast();
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    forecast();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  // invf_train's "threads" also become the model's forecasting threads.
  std::printf("MEASURE engine=invforecast kind=forward threads=%zu batch=%zu seconds=%.5f\n",
              threads, batch, median(seconds));
  invf_model_release(model);
  invf_options_release(options);
  invf_dataset_release(dataset);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "step") == 0)
    return run_step(argv[2], parse_count(argv[3], "THREADS"), parse_count(argv[4], "STEPS"));
  if (argc == 5 && std::strcmp(argv[1], "windows") == 0)
    return run_windows(argv[2], parse_count(argv[3], "COUNT"), argv[4]);
  if (argc == 4 && std::strcmp(argv[1], "forward") == 0)
    return run_forward(argv[2], parse_count(argv[3], "THREADS"));
  std::fprintf(stderr,
               "usage: train_bench step DATA.csv[.gz] THREADS STEPS\n"
               "       train_bench windows DATA.csv[.gz] COUNT OUT.f32\n"
               "       train_bench forward DATA.csv[.gz] THREADS\n");
  return 2;
}
