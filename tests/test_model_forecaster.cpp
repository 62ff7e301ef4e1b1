// A model as a forecaster at the lib level: the shared runtime, the padding
// rule, whole-dataset forecasts against the one-series adapter,
// forecast_dataset for built-in methods and the forecast CSV.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/model_forecaster.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using invforecast::testing::fails_with;
using invforecast::train::testing::make_series;

namespace {

// Context 12 days, horizon 2, one (median) quantile.
std::shared_ptr<const ModelRuntime> tiny_runtime() {
  return std::make_shared<const ModelRuntime>(
      ModelFile::open(std::string(INVF_TEST_FIXTURES) + "/model/v1_tiny_meanabs.invfm"),
      kernels::backend_of(kernels::BackendKind::Cpu));
}

Dataset two_series() {
  Dataset data;
  std::vector<double> long_values, short_values = {3, 0, 2, 4, 1};
  for (int t = 0; t < 20; ++t) long_values.push_back((t * 7) % 5 + 1.0);
  data.series.push_back(make_series("long", long_values));
  data.series.push_back(make_series("short", short_values));
  data.series[0].start_day = 100;
  data.series[1].start_day = 110;
  return data;
}

}  // namespace

TEST_CASE("raw contexts are checked before the model runs", "[model]") {
  const std::vector<float> fine = {0, 1, 2, 3, 4, 5};
  REQUIRE_NOTHROW(check_model_context(fine.data(), 2, 3));
  const std::vector<float> negative = {0, 1, 2, 3, 4, -5};
  REQUIRE_THROWS_MATCHES(check_model_context(negative.data(), 2, 3), Error,
                         fails_with(ErrorCode::Data, "context of series 1 holds -5 at day 2"));
  const std::vector<float> nan = {0, NAN, 2};
  REQUIRE_THROWS_MATCHES(check_model_context(nan.data(), 1, 3), Error,
                         fails_with(ErrorCode::Data, "sales must be finite"));
}

TEST_CASE("a dataset forecast by the model equals the one-series adapter's", "[model]") {
  const auto runtime = tiny_runtime();
  const Dataset data = two_series();
  ForecastOptions options;
  options.threads = 2;
  std::vector<size_t> reported;
  const ProgressFn progress = [&](std::string_view stage, size_t done, size_t) {
    CHECK(stage == "forecast");
    reported.push_back(done);
    return true;
  };
  const DatasetForecast result = forecast_dataset_with_model(*runtime, options, progress, data, 2);
  CHECK(result.levels == runtime->model().config().quantiles);
  CHECK(result.series_ids == std::vector<std::string>{"long", "short"});
  CHECK(result.start_days == std::vector<Day>{120, 115});
  CHECK(reported == std::vector<size_t>{0, 2});
  // The short series is padded, and says so.
  REQUIRE(result.warnings.size() == 1);
  CHECK_THAT(result.warnings[0],
             Catch::Contains("'short': 5 days") && Catch::Contains("left-padded with 7 days"));
  // Batched and one at a time give the same numbers, bit for bit (tiles
  // and threads never change a series' result).
  const ModelForecaster adapter(runtime);
  for (size_t s = 0; s < 2; ++s) {
    const SeriesForecast one = adapter.forecast(data.series[s].values, 2);
    CHECK(result.series[s].quantiles == one.quantiles);
    CHECK(result.series[s].mean == one.mean);
    CHECK(one.method == "model");
  }
  // A shorter horizon keeps the model's first days.
  const DatasetForecast first_day = forecast_dataset_with_model(*runtime, options, {}, data, 1);
  CHECK(first_day.series[0].quantiles[0] == result.series[0].quantiles[0]);
  CHECK(first_day.series[0].quantiles.size() == 1);

  options.strict = true;
  REQUIRE_THROWS_MATCHES((forecast_dataset_with_model(*runtime, options, {}, data, 2)), Error,
                         fails_with(ErrorCode::SeriesTooShort, "'short' has 5 days"));
  REQUIRE_THROWS_MATCHES(adapter.forecast(data.series[0].values, 3), Error,
                         fails_with(ErrorCode::InvalidArgument, "horizon 3 exceeds"));
}

TEST_CASE("forecast_dataset runs a built-in method over every series", "[methods]") {
  const Dataset data = two_series();
  ForecastOptions options;
  options.quantiles = {0.5};
  const auto naive = make_forecaster("naive", options);
  const DatasetForecast result = forecast_dataset(*naive, options, {}, data, 3);
  CHECK(result.levels == std::vector<double>{0.5});
  CHECK(result.horizon == 3);
  REQUIRE(result.series.size() == 2);
  // Naive repeats the last day.
  CHECK(result.series[1].mean == std::vector<double>{1, 1, 1});
  CHECK(result.series[0].mean[0] == data.series[0].values.back());
}

TEST_CASE("a dataset forecast survives its CSV, numbers and ids as they were", "[methods]") {
  DatasetForecast forecast;
  forecast.horizon = 2;
  forecast.levels = {0.1, 0.9};
  forecast.series_ids = {"plain", "with, comma \"quoted\""};
  forecast.start_days = {19723, 19730};
  forecast.series.resize(2);
  forecast.series[0].mean = {1.0 / 3.0, 2.5};
  forecast.series[0].quantiles = {0.1, 0.7, 1e-17, 5.0};
  forecast.series[1].mean = {0.0, 1e9};
  forecast.series[1].quantiles = {0.0, 0.0, 3.25, 2e9};
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("invf_dataset_forecast_" + std::to_string(::getpid()) + ".csv"))
                               .string();
  write_forecast_csv(forecast, path);
  const DatasetForecast read = read_forecast_csv(path);
  CHECK(read.horizon == 2);
  CHECK(read.levels == forecast.levels);
  CHECK(read.series_ids == forecast.series_ids);
  CHECK(read.start_days == forecast.start_days);
  for (size_t s = 0; s < 2; ++s) {
    CHECK(read.series[s].mean == forecast.series[s].mean);  // bit for bit
    CHECK(read.series[s].quantiles == forecast.series[s].quantiles);
    CHECK(read.series[s].method == "csv");
  }
  std::filesystem::remove(path);
  REQUIRE_THROWS_MATCHES(read_forecast_csv(path + ".missing"), Error,
                         fails_with(ErrorCode::Io, "cannot open"));
}
