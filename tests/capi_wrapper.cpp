// The header-only C++ wrapper (invforecast.hpp) over the C ABI.
#include <atomic>
#include <cmath>

#include "capi_support.hpp"
#include "invforecast.hpp"

TEST_CASE("wrapper: a dataset from vectors forecasts like the C calls", "[capi]") {
  invf::Dataset dataset;
  dataset.add_series("w", {"2024-01-01", "2024-01-02", "2024-01-03"}, {4, 5, 6});
  dataset.add_numeric("w", "price", {"2024-01-01"}, {1.5});
  REQUIRE(dataset.series_count() == 1);
  REQUIRE(dataset.series_id(0) == "w");
  REQUIRE(dataset.series_start_date(0) == "2024-01-01");
  REQUIRE(dataset.series_values(0) == std::vector<double>{4, 5, 6});
  REQUIRE(dataset.series_stat(0, "total") == 15);
  REQUIRE(dataset.columns().size() == 1);
  REQUIRE(dataset.columns()[0].numeric);

  const invf::Forecaster naive("naive");
  const invf::Forecast forecast = naive.forecast(dataset, 4);
  REQUIRE(forecast.series_count() == 1);
  REQUIRE(forecast.horizon() == 4);
  REQUIRE(forecast.start_date(0) == "2024-01-04");
  REQUIRE(forecast.mean(0) == std::vector<double>(4, 6.0));
  REQUIRE(forecast.quantile_levels().size() == 9);
  REQUIRE(forecast.quantiles(0).size() == 36);
  REQUIRE(forecast.method(0).first == "naive");
}

TEST_CASE("wrapper: failures throw invf::Error with the C code", "[capi]") {
  try {
    invf::Forecaster bad("arima");
    FAIL("no exception");
  } catch (const invf::Error& e) {
    REQUIRE(e.code() == INVF_ERR_INVALID_ARGUMENT);
    REQUIRE_THAT(std::string(e.what()), Catch::Contains("arima"));
  }
  invf::Options options;
  REQUIRE_THROWS_MATCHES(options.set("no_such_key", "1"), invf::Error,
                         Catch::Predicate<invf::Error>([](const invf::Error& e) {
                           return e.code() == INVF_ERR_INVALID_ARGUMENT;
                         }));
  REQUIRE_THROWS_MATCHES(invf::Dataset::load_csv("/missing.csv"), invf::Error,
                         Catch::Predicate<invf::Error>(
                             [](const invf::Error& e) { return e.code() == INVF_ERR_IO; }));
  invf::Dataset dataset;
  REQUIRE_THROWS_AS(dataset.add_series("x", {"2024-01-01"}, {1, 2}), invf::Error);
}

TEST_CASE("wrapper: progress functions report and cancel", "[capi]") {
  const invf::Dataset dataset = invf::Dataset::load_csv(fixture("capi_small.csv"));
  std::atomic<size_t> calls{0};
  size_t last_done = 0;
  invf::Options options;
  options.set("threads", "2").set_progress([&](std::string_view stage, size_t done, size_t total) {
    ++calls;
    last_done = done;
    return stage == "forecast" && total == 3;
  });
  const invf::Forecaster forecaster("snaive", &options);
  (void)forecaster.forecast(dataset, 7);
  REQUIRE(calls >= 2);
  REQUIRE(last_done == 3);

  // A throwing function cancels instead of unwinding through C frames.
  options.set_progress([](std::string_view, size_t, size_t) -> bool { throw std::runtime_error("x"); });
  const invf::Forecaster throwing("snaive", &options);
  try {
    (void)throwing.forecast(dataset, 7);
    FAIL("no exception");
  } catch (const invf::Error& e) {
    REQUIRE(e.code() == INVF_ERR_CANCELLED);
  }
}

TEST_CASE("wrapper: backtest metrics and JSON", "[capi]") {
  const invf::Dataset dataset = invf::Dataset::load_csv(fixture("capi_small.csv"));
  const invf::Backtest backtest = invf::Backtest::run(dataset, {"naive", "snaive"}, 7, 1);
  REQUIRE(backtest.method_count() == 2);
  REQUIRE(backtest.method_name(0) == "naive");
  REQUIRE(backtest.series_metric(1, 0, "rmsse") == Approx(0.0).margin(1e-12));  // exact up to rounding
  REQUIRE(std::isfinite(backtest.metric(0, "wql")));
  const std::string json = backtest.to_json();
  REQUIRE(json.front() == '{');
  REQUIRE(json.back() == '}');
  REQUIRE(json.find('\0') == std::string::npos);
}

TEST_CASE("wrapper: version", "[capi]") {
  REQUIRE(invf::version().abi == INVF_ABI_VERSION);
  REQUIRE(invf::version().library == "0.3.0");
}

TEST_CASE("wrapper: add_columns gives the dataset add_series gives", "[capi]") {
  invf::Dataset rows, columns;
  rows.add_series("b", january_days(3, 2), {7, 8});
  rows.add_numeric("b", "price", january_days(3, 2), {1.5, 2});
  rows.add_series("a", january_days(1, 3), {1, 0, 2});
  rows.add_numeric("a", "price", january_days(1, 3), {1, 1, 3});
  const int64_t january_1 = 19723;  // 2024-01-01, days since 1970-01-01
  columns.add_columns({"b", "a"}, {january_1 + 2, january_1}, {2, 3}, {7, 8, 1, 0, 2},
                      {{"price", {1.5, 2, 1, 1, 3}}});
  REQUIRE(columns.series_count() == rows.series_count());
  for (size_t s = 0; s < rows.series_count(); ++s) {
    CHECK(columns.series_id(s) == rows.series_id(s));
    CHECK(columns.series_start_date(s) == rows.series_start_date(s));
    CHECK(columns.series_values(s) == rows.series_values(s));
  }
  CHECK(columns.columns().size() == 1);
  REQUIRE_THROWS_MATCHES(columns.add_columns({"c"}, {january_1}, {2}, {1, 2}, {{"price", {1}}}),
                         invf::Error,
                         Catch::Predicate<invf::Error>([](const invf::Error& e) {
                           return e.code() == INVF_ERR_INVALID_ARGUMENT;
                         }));
}
