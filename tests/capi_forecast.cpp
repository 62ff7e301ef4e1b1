// Forecasters and forecasts through the C ABI.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "capi_support.hpp"

namespace {

struct SeriesResult {
  std::string id, start, method;
  std::vector<double> mean, quantiles;
  bool operator==(const SeriesResult&) const = default;
};

// Everything a forecast holds, read through the API.
std::vector<SeriesResult> read_all(const invf_forecast* forecast) {
  size_t count = 0, horizon = 0, levels = 0;
  REQUIRE_OK(invf_forecast_series_count(forecast, &count));
  REQUIRE_OK(invf_forecast_horizon(forecast, &horizon));
  REQUIRE_OK(invf_forecast_quantile_count(forecast, &levels));
  std::vector<SeriesResult> results(count);
  for (size_t s = 0; s < count; ++s) {
    SeriesResult& r = results[s];
    const char *id = nullptr, *method = nullptr, *interval = nullptr;
    char start[INVF_DATE_BUFFER];
    REQUIRE_OK(invf_forecast_series_id(forecast, s, &id));
    REQUIRE_OK(invf_forecast_start_date(forecast, s, start));
    REQUIRE_OK(invf_forecast_method(forecast, s, &method, &interval));
    r.id = id;
    r.start = start;
    r.method = method;
    r.mean.resize(horizon);
    r.quantiles.resize(horizon * levels);
    REQUIRE_OK(invf_forecast_mean(forecast, s, r.mean.data(), r.mean.size()));
    REQUIRE_OK(invf_forecast_quantiles(forecast, s, r.quantiles.data(), r.quantiles.size()));
  }
  return results;
}

invf_forecaster* make(const char* method, const invf_options* options = nullptr) {
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create(method, options, &forecaster));
  return forecaster;
}

invf_forecast* run(const invf_forecaster* forecaster, const invf_dataset* dataset, size_t horizon) {
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, horizon, &forecast));
  return forecast;
}

invf_options* options_with(std::initializer_list<std::pair<const char*, const char*>> settings) {
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  for (const auto& [key, value] : settings) REQUIRE_OK(invf_options_set(options, key, value));
  return options;
}

invf_dataset* load_bundled() {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_load_csv(INVF_BUNDLED_DATA, nullptr, &dataset));
  return dataset;
}

// ISO date `days` after `iso`.
std::string add_days(const char* iso, size_t days) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0, d = 0;
  REQUIRE(std::sscanf(iso, "%d-%u-%u", &y, &m, &d) == 3);
  const year_month_day date{sys_days{year{y} / month{m} / day{d}} + std::chrono::days{days}};
  char text[INVF_DATE_BUFFER];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", int(date.year()), unsigned(date.month()),
                unsigned(date.day()));
  return text;
}

// Every `stride`-th series of the bundled M5 data, copied through the arrays
// path: real series, but few enough for repeated ETS fits to stay quick.
invf_dataset* bundled_sample(size_t stride) {
  invf_dataset* bundled = load_bundled();
  invf_dataset* sample = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &sample));
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(bundled, &count));
  for (size_t s = 0; s < count; s += stride) {
    const char* id = nullptr;
    char start[INVF_DATE_BUFFER];
    size_t length = 0;
    REQUIRE_OK(invf_dataset_series_id(bundled, s, &id));
    REQUIRE_OK(invf_dataset_series_start_date(bundled, s, start));
    REQUIRE_OK(invf_dataset_series_length(bundled, s, &length));
    std::vector<double> values(length);
    REQUIRE_OK(invf_dataset_series_values(bundled, s, values.data(), length));
    std::vector<std::string> dates;
    for (size_t d = 0; d < length; ++d) dates.push_back(add_days(start, d));
    REQUIRE_OK(invf_dataset_add_series(sample, id, pointers(dates).data(), values.data(), length));
  }
  invf_dataset_release(bundled);
  return sample;
}

}  // namespace

TEST_CASE("naive and seasonal naive give the hand-computed means", "[capi]") {
  invf_dataset* dataset = load_small();
  invf_forecaster* naive = make("naive");
  invf_forecast* forecast = run(naive, dataset, 10);
  std::vector<SeriesResult> results = read_all(forecast);
  REQUIRE(results.size() == 3);
  REQUIRE(results[0].id == "A");
  REQUIRE(results[0].mean == std::vector<double>(10, 7.0));  // A ends on a 7
  REQUIRE(results[1].mean == std::vector<double>(10, 3.0));
  REQUIRE(results[2].mean == std::vector<double>(10, 0.0));  // C's last day sold nothing
  invf_forecast_release(forecast);

  invf_forecaster* snaive = make("snaive");
  forecast = run(snaive, dataset, 10);
  results = read_all(forecast);
  REQUIRE(results[0].method == "snaive");
  const std::vector<double> weekly = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3};
  REQUIRE(results[0].mean == weekly);
  invf_forecast_release(forecast);
  invf_forecaster_release(snaive);
  invf_forecaster_release(naive);
  invf_dataset_release(dataset);
}

TEST_CASE("forecast dates continue each series' calendar", "[capi]") {
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = make("ma");
  invf_forecast* forecast = run(forecaster, dataset, 5);
  const std::vector<SeriesResult> results = read_all(forecast);
  REQUIRE(results[0].start == "2024-01-22");
  REQUIRE(results[1].start == "2024-01-22");
  REQUIRE(results[2].start == "2024-01-29");
  REQUIRE_FAILS(invf_forecast_start_date(forecast, 3, nullptr), INVF_ERR_NULL_POINTER, "out");
  char date[INVF_DATE_BUFFER] = "";
  REQUIRE_FAILS(invf_forecast_start_date(forecast, 3, date), INVF_ERR_INVALID_ARGUMENT,
                "series index 3");
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
}

TEST_CASE("quantiles follow the requested levels, non-negative and non-crossing",
          "[capi]") {
  invf_options* options = options_with({{"quantiles", "0.05,0.5,0.95"}});
  invf_dataset* dataset = load_small();
  for (const char* method : {"naive", "snaive", "ma", "ets", "croston", "sba", "tsb"}) {
    INFO(method);
    invf_forecaster* forecaster = make(method, options);
    invf_forecast* forecast = run(forecaster, dataset, 14);
    double levels[3] = {0, 0, 0};
    REQUIRE_OK(invf_forecast_quantile_levels(forecast, levels, 3));
    REQUIRE(levels[0] == 0.05);
    REQUIRE(levels[2] == 0.95);
    for (const SeriesResult& r : read_all(forecast)) {
      REQUIRE(r.quantiles.size() == 14 * 3);
      for (size_t d = 0; d < 14; ++d) {
        REQUIRE(r.quantiles[d * 3] >= 0.0);
        REQUIRE(r.quantiles[d * 3] <= r.quantiles[d * 3 + 1]);
        REQUIRE(r.quantiles[d * 3 + 1] <= r.quantiles[d * 3 + 2]);
      }
    }
    invf_forecast_release(forecast);
    invf_forecaster_release(forecaster);
  }
  invf_dataset_release(dataset);
  invf_options_release(options);
}

TEST_CASE("buffers too small are refused with the size needed", "[capi]") {
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = make("naive");
  invf_forecast* forecast = run(forecaster, dataset, 6);
  double buffer[64];
  REQUIRE_FAILS(invf_forecast_mean(forecast, 0, buffer, 5), INVF_ERR_BUFFER_TOO_SMALL, "needs 6");
  REQUIRE_FAILS(invf_forecast_quantiles(forecast, 0, buffer, 53), INVF_ERR_BUFFER_TOO_SMALL,
                "needs 54");
  REQUIRE_FAILS(invf_forecast_quantile_levels(forecast, buffer, 8), INVF_ERR_BUFFER_TOO_SMALL,
                "needs 9");
  REQUIRE_FAILS(invf_forecast_mean(forecast, 3, buffer, 64), INVF_ERR_INVALID_ARGUMENT,
                "series index 3");
  REQUIRE_OK(invf_forecast_quantiles(forecast, 0, buffer, 54));
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
}

TEST_CASE("bad methods and absurd horizons are refused", "[capi]") {
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = nullptr;
  REQUIRE_FAILS(invf_forecaster_create("arima", nullptr, &forecaster), INVF_ERR_INVALID_ARGUMENT,
                "arima");
  REQUIRE(forecaster == nullptr);
  forecaster = make("naive");
  invf_forecast* forecast = nullptr;
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 0, &forecast),
                INVF_ERR_INVALID_ARGUMENT, "horizon 0");
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 3661, &forecast),
                INVF_ERR_INVALID_ARGUMENT, "3660");
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, SIZE_MAX, &forecast),
                INVF_ERR_INVALID_ARGUMENT, "horizon");
  REQUIRE(forecast == nullptr);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
}

TEST_CASE("short series fall back with a warning, or fail in strict mode", "[capi]") {
  invf_dataset* dataset = january_dataset("short", {2, 1, 3});

  invf_forecaster* lenient = make("snaive");
  invf_forecast* forecast = run(lenient, dataset, 4);
  const char *method = nullptr, *interval = nullptr;
  REQUIRE_OK(invf_forecast_method(forecast, 0, &method, &interval));
  REQUIRE(std::string(method) != "snaive");
  size_t warnings = 0;
  REQUIRE_OK(invf_forecast_warning_count(forecast, &warnings));
  REQUIRE(warnings == 1);
  const char* warning = nullptr;
  REQUIRE_OK(invf_forecast_warning(forecast, 0, &warning));
  REQUIRE_THAT(std::string(warning), Catch::Contains("short"));
  REQUIRE_FAILS(invf_forecast_warning(forecast, 1, &warning), INVF_ERR_INVALID_ARGUMENT,
                "warning index 1");
  invf_forecast_release(forecast);

  invf_options* options = options_with({{"strict", "true"}});
  invf_forecaster* strict = make("snaive", options);
  forecast = nullptr;
  REQUIRE_FAILS(invf_forecaster_forecast(strict, dataset, 4, &forecast),
                INVF_ERR_SERIES_TOO_SHORT, "short");
  REQUIRE(forecast == nullptr);
  invf_forecaster_release(strict);
  invf_forecaster_release(lenient);
  invf_options_release(options);
  invf_dataset_release(dataset);
}

TEST_CASE("write_csv writes one row per series per day", "[capi]") {
  invf_dataset* dataset = load_small();
  invf_options* options = options_with({{"quantiles", "0.25,0.5,0.75"}});
  invf_forecaster* forecaster = make("naive", options);
  invf_forecast* forecast = run(forecaster, dataset, 3);
  const auto path = std::filesystem::temp_directory_path() /
                    ("invf_capi_forecast_" + std::to_string(::getpid()) + ".csv");
  REQUIRE_OK(invf_forecast_write_csv(forecast, path.c_str()));
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::filesystem::remove(path);
  REQUIRE(lines.size() == 1 + 3 * 3);
  REQUIRE(lines[0] == "series_id,date,mean,q0.25,q0.5,q0.75");
  REQUIRE(lines[1].rfind("A,2024-01-22,7,", 0) == 0);
  REQUIRE(lines[3].rfind("A,2024-01-24,7,", 0) == 0);
  REQUIRE(lines[4].rfind("B,2024-01-22,3,", 0) == 0);
  REQUIRE(lines[9].rfind("C,2024-01-31,0,", 0) == 0);

  REQUIRE_FAILS(invf_forecast_write_csv(forecast, "/nonexistent-dir/out.csv"), INVF_ERR_IO,
                "/nonexistent-dir/out.csv");
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_options_release(options);
  invf_dataset_release(dataset);
}

TEST_CASE("write_csv quotes series ids that hold commas or quotes", "[capi]") {
  invf_dataset* dataset = january_dataset("shop 1, \"north\"", {1, 2});
  invf_forecaster* forecaster = make("naive");
  invf_forecast* forecast = run(forecaster, dataset, 1);
  const auto path = std::filesystem::temp_directory_path() /
                    ("invf_capi_quoted_" + std::to_string(::getpid()) + ".csv");
  REQUIRE_OK(invf_forecast_write_csv(forecast, path.c_str()));
  std::ifstream in(path);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  std::filesystem::remove(path);
  REQUIRE(row.rfind("\"shop 1, \"\"north\"\"\",2024-01-03,2,", 0) == 0);
  invf_forecast_release(forecast);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
}

TEST_CASE("one forecaster used by many threads gives the single-threaded result",
          "[capi]") {
  invf_dataset* dataset = bundled_sample(10);
  size_t sample_size = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &sample_size));
  REQUIRE(sample_size == 28);
  for (const char* method : {"ets", "croston"}) {
    INFO(method);
    invf_options* one = options_with({{"threads", "1"}});
    invf_forecaster* reference_forecaster = make(method, one);
    invf_forecast* reference_forecast = run(reference_forecaster, dataset, 28);
    const std::vector<SeriesResult> reference = read_all(reference_forecast);
    REQUIRE(reference.size() == sample_size);

    // The engine's own workers: the result must not depend on their number.
    invf_options* four = options_with({{"threads", "4"}});
    invf_forecaster* pooled = make(method, four);
    invf_forecast* pooled_forecast = run(pooled, dataset, 28);
    REQUIRE(read_all(pooled_forecast) == reference);

    // Caller threads sharing one forecaster and one dataset.
    constexpr int kCallers = 4;
    std::vector<invf_forecast*> forecasts(kCallers, nullptr);
    std::vector<invf_code> codes(kCallers, INVF_OK);
    std::vector<std::thread> callers;
    for (int t = 0; t < kCallers; ++t)
      callers.emplace_back([&, t] {
        codes[t] = take(invf_forecaster_forecast(pooled, dataset, 28, &forecasts[t])).code;
      });
    for (std::thread& caller : callers) caller.join();
    for (int t = 0; t < kCallers; ++t) {
      REQUIRE(codes[t] == INVF_OK);
      REQUIRE(read_all(forecasts[t]) == reference);
      invf_forecast_release(forecasts[t]);
    }
    invf_forecast_release(pooled_forecast);
    invf_forecaster_release(pooled);
    invf_forecast_release(reference_forecast);
    invf_forecaster_release(reference_forecaster);
    invf_options_release(four);
    invf_options_release(one);
  }
  invf_dataset_release(dataset);
}

namespace {

struct ProgressLog {
  std::thread::id caller = std::this_thread::get_id();
  bool other_thread = false;
  size_t calls = 0, last_done = 0, last_total = 0, cancel_after = SIZE_MAX;
  bool monotone = true;
  std::string stage;
};

int record_progress(void* user_data, const char* stage, size_t done, size_t total) {
  auto* log = static_cast<ProgressLog*>(user_data);
  if (std::this_thread::get_id() != log->caller) log->other_thread = true;
  if (log->calls > 0 && done < log->last_done) log->monotone = false;
  ++log->calls;
  log->last_done = done;
  log->last_total = total;
  log->stage = stage;
  return done >= log->cancel_after ? 1 : 0;
}

}  // namespace

TEST_CASE("progress is reported on the calling thread and can cancel", "[capi]") {
  invf_dataset* dataset = load_bundled();
  for (const char* threads : {"1", "4"}) {
    INFO("threads " << threads);
    ProgressLog log;
    invf_options* options = options_with({{"threads", threads}});
    REQUIRE_OK(invf_options_set_progress(options, &record_progress, &log));
    invf_forecaster* forecaster = make("snaive", options);
    invf_forecast* forecast = run(forecaster, dataset, 7);
    REQUIRE(log.calls >= 2);
    REQUIRE(log.last_done == 280);
    REQUIRE(log.last_total == 280);
    REQUIRE(log.monotone);
    REQUIRE_FALSE(log.other_thread);
    REQUIRE(log.stage == "forecast");
    invf_forecast_release(forecast);

    ProgressLog cancel;
    cancel.cancel_after = 1;
    REQUIRE_OK(invf_options_set_progress(options, &record_progress, &cancel));
    invf_forecaster* cancelling = make("snaive", options);
    forecast = nullptr;
    REQUIRE_FAILS(invf_forecaster_forecast(cancelling, dataset, 7, &forecast), INVF_ERR_CANCELLED,
                  "cancel");
    REQUIRE(forecast == nullptr);
    // One worker stops right after the first series; a pool may have done more.
    if (std::string(threads) == "1") REQUIRE(cancel.last_done == 1);
    invf_forecaster_release(cancelling);
    invf_forecaster_release(forecaster);
    invf_options_release(options);
  }
  invf_dataset_release(dataset);
}

namespace {

// "shop" from 2024-01-01 (a Monday) to Saturday 2024-01-27: 5 units a day,
// 0 on its Saturdays, which "is_open" closes.  Also a constant (static)
// "price" of 2.5, a "calendar" like is_open but empty on 2024-01-10, and a
// categorical "event".
invf_dataset* shop_closed_on_saturdays() {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const auto dates = january_days(1, 27);
  const auto days = pointers(dates);
  std::vector<double> sales, open, calendar, price(27, 2.5);
  std::vector<const char*> events;
  for (int d = 1; d <= 27; ++d) {
    const bool saturday = d % 7 == 6;
    sales.push_back(saturday ? 0.0 : 5.0);
    open.push_back(saturday ? 0.0 : 1.0);
    calendar.push_back(d == 10 ? std::numeric_limits<double>::quiet_NaN() : open.back());
    events.push_back(d == 11 ? "promo" : "");
  }
  REQUIRE_OK(invf_dataset_add_series(dataset, "shop", days.data(), sales.data(), 27));
  REQUIRE_OK(invf_dataset_add_numeric(dataset, "shop", "is_open", days.data(), open.data(), 27));
  REQUIRE_OK(invf_dataset_add_numeric(dataset, "shop", "calendar", days.data(), calendar.data(), 27));
  REQUIRE_OK(invf_dataset_add_numeric(dataset, "shop", "price", days.data(), price.data(), 27));
  REQUIRE_OK(invf_dataset_add_categorical(dataset, "shop", "event", days.data(), events.data(), 27));
  return dataset;
}

double naive_backtest_metric(const invf_dataset* dataset, const invf_options* options,
                             const char* metric) {
  const char* methods[] = {"naive"};
  invf_backtest* backtest = nullptr;
  REQUIRE_OK(invf_backtest_run(dataset, methods, 1, 7, 1, options, &backtest));
  double value = 0.0;
  REQUIRE_OK(invf_backtest_metric(backtest, 0, metric, &value));
  invf_backtest_release(backtest);
  return value;
}

}  // namespace

TEST_CASE("option open_column: closed days forecast 0, open days fitted alone, bad columns",
          "[capi]") {
  invf_dataset* dataset = shop_closed_on_saturdays();
  invf_options* closed = options_with({{"open_column", "is_open"}});

  // The history ends on a closed Saturday: naive on the open days repeats
  // Friday's 5.  The dataset holds no open values after it, so the week is
  // forecast as open days, with a warning.
  invf_forecaster* naive = make("naive", closed);
  invf_forecast* forecast = run(naive, dataset, 7);
  CHECK(read_all(forecast)[0].mean == std::vector<double>(7, 5.0));
  size_t warnings = 0;
  REQUIRE_OK(invf_forecast_warning_count(forecast, &warnings));
  REQUIRE(warnings == 1);
  const char* warning = nullptr;
  REQUIRE_OK(invf_forecast_warning(forecast, 0, &warning));
  CHECK_THAT(std::string(warning),
             Catch::Contains("open column 'is_open' has no value for 7 of the 7 horizon days "
                             "(from 2024-01-28): forecast as open days"));
  invf_forecaster* plain = make("naive");
  invf_forecast* plain_forecast = run(plain, dataset, 7);
  CHECK(read_all(plain_forecast)[0].mean == std::vector<double>(7, 0.0));

  // The last week (Sunday to the closed Saturday) from the history before
  // it: 5 on the open days, 0 on Saturday, exactly what was sold.  Without
  // the option naive repeats the Saturday before: 0 on six days of 5.
  CHECK(naive_backtest_metric(dataset, closed, "bias") == 0.0);
  CHECK(naive_backtest_metric(dataset, closed, "wql") == 0.0);
  CHECK(naive_backtest_metric(dataset, closed, "coverage80") == 1.0);
  CHECK(naive_backtest_metric(dataset, nullptr, "bias") == Approx(-30.0 / 7.0));

  struct Bad {
    const char* column;
    invf_code code;
    const char* fragment;
  };
  const Bad bad[] = {
      {"is_closed", INVF_ERR_INVALID_ARGUMENT, "open column 'is_closed' is not a column of the data"},
      {"event", INVF_ERR_INVALID_ARGUMENT, "open column 'event' is categorical"},
      {"price", INVF_ERR_DATA, "series 'shop': open column 'price' is 2.5 on 2024-01-01"},
      {"calendar", INVF_ERR_DATA, "series 'shop': open column 'calendar' has no value on 2024-01-10"},
  };
  for (const Bad& b : bad) {
    INFO(b.column);
    invf_options* options = options_with({{"open_column", b.column}});
    invf_forecaster* forecaster = make("ets", options);
    invf_forecast* refused = nullptr;
    REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 7, &refused), b.code, b.fragment);
    REQUIRE(refused == nullptr);
    invf_forecaster_release(forecaster);
    invf_options_release(options);
  }
  REQUIRE_FAILS(invf_options_set(closed, "open_column", ""), INVF_ERR_INVALID_ARGUMENT,
                "option 'open_column': empty column name");

  invf_forecast_release(plain_forecast);
  invf_forecaster_release(plain);
  invf_forecast_release(forecast);
  invf_forecaster_release(naive);
  invf_options_release(closed);
  invf_dataset_release(dataset);
}
