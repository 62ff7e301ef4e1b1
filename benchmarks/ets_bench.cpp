// ETS speed benchmark through the public C API only, as a vendor would call
// it: loads a long CSV, fits and forecasts every series with method "ets" on
// one thread, prints the time of the forecast call (not of the load) and
// writes the forecasts.
//   ets_bench DATA.csv[.gz] HORIZON OUT.csv
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "invforecast.h"

namespace {

bool check(invf_status* status, const char* what) {
  if (status == nullptr) return true;
  std::fprintf(stderr, "ets_bench: %s failed: %s\n", what, invf_status_message(status));
  invf_status_release(status);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ets_bench DATA.csv[.gz] HORIZON OUT.csv\n");
    return 2;
  }
  const size_t horizon = static_cast<size_t>(std::strtoul(argv[2], nullptr, 10));
  invf_options* options = nullptr;
  invf_dataset* dataset = nullptr;
  invf_forecaster* forecaster = nullptr;
  invf_forecast* forecast = nullptr;
  int rc = 1;
  if (check(invf_options_create(&options), "options") &&
      check(invf_options_set(options, "threads", "1"), "threads=1") &&
      check(invf_dataset_load_csv(argv[1], nullptr, &dataset), "load") &&
      check(invf_forecaster_create("ets", options, &forecaster), "create")) {
    const auto start = std::chrono::steady_clock::now();
    const bool ok = check(invf_forecaster_forecast(forecaster, dataset, horizon, &forecast), "forecast");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t series = 0;
    if (ok && check(invf_forecast_series_count(forecast, &series), "count") &&
        check(invf_forecast_write_csv(forecast, argv[3]), "write")) {
      std::printf("invforecast ets: %zu series, horizon %zu, 1 thread: %.3f s\n", series, horizon, seconds);
      rc = 0;
    }
  }
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
  invf_options_release(options);
  return rc;
}
