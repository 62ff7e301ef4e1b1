// invf_backtest: rolling-origin backtests and their metrics.

#include "boundary.hpp"
#include "eval/backtest.hpp"
#include "handles.hpp"
#include "methods/forecaster.hpp"

struct invf_backtest {
  invforecast::BacktestReport report;
  std::string json;  // rendered once, so concurrent readers share it
};

namespace invforecast::capi {
namespace {

// More origins than this would not fit in any real history of daily data.
constexpr size_t kMaxWindows = 1000;

const BacktestReport& report_of(const invf_backtest* backtest) {
  require(backtest, "backtest");
  return backtest->report;
}

size_t metric_index(const BacktestReport& report, const char* metric) {
  require(metric, "metric");
  const int index = report.metric_index(metric);
  if (index < 0)
    fail(ErrorCode::InvalidArgument, "unknown metric '{}' (expected one of {})", metric,
         fmt::join(metric_names(), ", "));
  return static_cast<size_t>(index);
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_backtest_run(const invf_dataset* dataset, const char* const* methods,
                               size_t method_count, size_t horizon, size_t windows,
                               const invf_options* options, invf_backtest** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(methods, "methods");
    require(out, "out");
    if (method_count == 0) fail(ErrorCode::InvalidArgument, "method_count is 0: name a method");
    require_horizon(horizon);
    if (windows == 0 || windows > kMaxWindows)
      fail(ErrorCode::InvalidArgument, "windows {} is out of range: expected 1 to {}", windows,
           kMaxWindows);
    const Options& settings = options_for(options, "invf_backtest_run", kForecastDomain);
    std::vector<std::string> names;
    names.reserve(method_count);
    for (size_t m = 0; m < method_count; ++m) {
      if (methods[m] == nullptr) fail(ErrorCode::NullPointer, "argument 'methods[{}]' is NULL", m);
      make_forecaster(methods[m], settings.forecast);  // rejects unknown names before any work
      names.emplace_back(methods[m]);
    }
    auto backtest = std::make_unique<invf_backtest>();
    backtest->report = run_backtest(built_dataset(*dataset), names, horizon, windows, settings);
    backtest->json = backtest->report.to_json();
    *out = backtest.release();
  });
}

invf_status* invf_backtest_run_forecasters(const invf_dataset* dataset,
                                           const invf_forecaster* const* forecasters,
                                           size_t count, size_t horizon, size_t windows,
                                           const invf_options* options, invf_backtest** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(forecasters, "forecasters");
    require(out, "out");
    if (count == 0) fail(ErrorCode::InvalidArgument, "count is 0: give a forecaster");
    require_horizon(horizon);
    if (windows == 0 || windows > kMaxWindows)
      fail(ErrorCode::InvalidArgument, "windows {} is out of range: expected 1 to {}", windows,
           kMaxWindows);
    const Options& settings =
        options_for(options, "invf_backtest_run_forecasters", kForecastDomain);
    std::vector<std::unique_ptr<ModelForecaster>> models;
    std::vector<const Forecaster*> methods;
    std::vector<std::string> names;
    for (size_t m = 0; m < count; ++m) {
      const invf_forecaster* forecaster = forecasters[m];
      if (forecaster == nullptr)
        fail(ErrorCode::NullPointer, "argument 'forecasters[{}]' is NULL", m);
      const std::vector<double>& levels = forecaster->model
                                              ? forecaster->model->model().config().quantiles
                                              : forecaster->options.forecast.quantiles;
      // Every method is scored on the same levels (WQL, coverage).
      if (levels != settings.forecast.quantiles)
        fail(ErrorCode::InvalidArgument,
             "forecaster {} ('{}') forecasts quantile levels {}, the backtest's options ask for "
             "{}: set option 'quantiles' to the model's levels",
             m, forecaster->method, fmt::join(levels, ","),
             fmt::join(settings.forecast.quantiles, ","));
      if (forecaster->model) {
        models.push_back(std::make_unique<ModelForecaster>(forecaster->model));
        methods.push_back(models.back().get());
      } else {
        methods.push_back(forecaster->impl.get());
      }
      names.push_back(forecaster->method);
    }
    auto backtest = std::make_unique<invf_backtest>();
    backtest->report =
        run_backtest(built_dataset(*dataset), methods, names, horizon, windows, settings);
    backtest->json = backtest->report.to_json();
    *out = backtest.release();
  });
}

void invf_backtest_release(invf_backtest* backtest) { delete backtest; }

invf_status* invf_backtest_method_count(const invf_backtest* backtest, size_t* out) {
  return guarded([&] {
    const BacktestReport& report = report_of(backtest);
    require(out, "out");
    *out = report.methods.size();
  });
}

invf_status* invf_backtest_method_name(const invf_backtest* backtest, size_t method,
                                       const char** out) {
  return guarded([&] {
    const BacktestReport& report = report_of(backtest);
    require(out, "out");
    require_index(method, report.methods.size(), "method");
    *out = report.methods[method].method.c_str();
  });
}

invf_status* invf_backtest_metric(const invf_backtest* backtest, size_t method,
                                  const char* metric, double* out) {
  return guarded([&] {
    const BacktestReport& report = report_of(backtest);
    require(out, "out");
    require_index(method, report.methods.size(), "method");
    *out = report.methods[method].aggregate[metric_index(report, metric)];
  });
}

invf_status* invf_backtest_series_metric(const invf_backtest* backtest, size_t method,
                                         size_t series, const char* metric, double* out) {
  return guarded([&] {
    const BacktestReport& report = report_of(backtest);
    require(out, "out");
    require_index(method, report.methods.size(), "method");
    const auto& per_series = report.methods[method].per_series;
    require_index(series, per_series.size(), "series");
    *out = per_series[series][metric_index(report, metric)];
  });
}

invf_status* invf_backtest_to_json(const invf_backtest* backtest, char* buffer, size_t capacity,
                                   size_t* needed) {
  return guarded([&] {
    require(backtest, "backtest");
    const std::string& json = backtest->json;  // with its NUL
    copy_to_caller(json.c_str(), json.size() + 1, buffer, capacity, needed, "the JSON report");
  });
}

}  // extern "C"
