// Rolling-origin backtests and forecast accuracy metrics.
//
// Windows.  With `windows` = k and `horizon` = H, window w (0 = earliest) of a
// series with n days has its origin at index o_w = n - (k - w) * H: the model
// is given values[0, o_w) only (a span into the dataset, nothing is copied)
// and scored on values[o_w, o_w + H).  The last window thus ends on each
// series' own last day and origins are H days apart.  A window whose origin
// leaves no history (o_w < 1) is skipped for that series and counted in the
// method's warnings; a history too short for the method is handled by
// forecast_series' fallback (its warning is kept, prefixed with the window).
//
// Per-series metrics (metrics.hpp has each formula):
//   mase, rmsse  mean over the series' windows of the window's value, each
//                window scaled by its own training part (MASE's season is
//                ForecastOptions::season_length); windows whose scale is zero
//                or undefined are left out (NaN if all are).
//   wrmsse       the series' share of the aggregate: w_i * rmsse_i / W, with W
//                the weight sum of the series that have a finite rmsse.
//   smape, coverage80, bias   over all the series' scored days (sMAPE in
//                percent, 0..200).
//   wql          pooled over the series' scored days: 2 * sum pinball /
//                (levels * sum |y|).
// Aggregates:
//   mase, rmsse  mean of the finite per-series values (M5 style).
//   wrmsse       sum_i w_i * rmsse_i / W (zero-scale series excluded, weights
//                renormalised).  Weights w_i: revenue (price x units, NaN
//                price = 0) over the last 28 days before the LAST window's
//                origin, divided by the total; equal weights when there is no
//                numeric "price" column or no revenue at all (weight_basis says
//                which).  Only the given series are weighed: M5's aggregation
//                levels (store, state, ...) are not added.
//   smape, coverage80, bias   over all scored days of all series.
//   wql          pooled over all scored days of all series.
// Threads: series are split over ForecastOptions::threads workers (0 =
// hardware concurrency); each series' result depends only on that series, and
// aggregation runs in series order, so the report does not depend on the
// thread count.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.hpp"
#include "data/dataset.hpp"
#include "eval/metrics.hpp"
#include "methods/forecaster.hpp"

namespace invforecast {

// Metric names, in report order.
inline const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {"mase", "rmsse", "wrmsse", "smape",
                                                 "wql",  "coverage80", "bias"};
  return names;
}

struct MethodReport {
  std::string method;
  // [metric] aggregate over series and windows.
  std::vector<double> aggregate;
  // [series][metric]; NaN where undefined.
  std::vector<std::vector<double>> per_series;
  std::vector<std::string> warnings;
  // [series] windows actually scored (less than `windows` when some were skipped).
  std::vector<size_t> scored_windows;
};

struct BacktestReport {
  size_t horizon = 0;
  size_t windows = 0;
  std::vector<std::string> series_ids;
  std::vector<double> weights;  // WRMSSE weights per series (sum 1)
  std::string weight_basis;     // "revenue over last 28 days" or "equal"
  // Quantile levels of the coverage80 interval (see coverage_interval);
  // NaN when fewer than two levels were forecast.
  double coverage_lower_level = 0.0;
  double coverage_upper_level = 0.0;
  std::vector<MethodReport> methods;

  int metric_index(std::string_view name) const;  // -1 if unknown
  // {"horizon", "windows", "weight_basis", "coverage_interval": [lower, upper],
  //  "methods": [{"method", "metrics": {name: value}, "per_series": [{"series_id",
  //  "weight", "scored_windows", name: value...}], "warnings": [...]}]};
  // NaN and infinities are written as null.
  std::string to_json() const;
};

// One rolling-origin forecast of one series.
struct WindowForecast {
  size_t window = 0;  // 0 = earliest
  size_t origin = 0;  // index of the first forecast day in the series' values
  SeriesForecast forecast;
};

// Forecasts one series at each rolling origin (see above), fitting on
// values[0, origin) only.  Skipped windows are absent from the result.
std::vector<WindowForecast> rolling_forecasts(const Forecaster& method,
                                              const ForecastOptions& options,
                                              std::string_view series_id,
                                              const SeriesInput& input, size_t horizon,
                                              size_t windows);

// Throws Error(InvalidArgument) for horizon or windows of 0, no methods or an
// unknown method; Error(Cancelled) when progress asks to stop; a method's
// Error(SeriesTooShort) in strict mode.
BacktestReport run_backtest(const Dataset& dataset, const std::vector<std::string>& methods,
                            size_t horizon, size_t windows, const Options& options);
// The same with forecasters the caller made (e.g. a neural model), reported
// under `methods` (one name each).  Their quantile levels must be
// options.forecast.quantiles, on which the metrics are computed.
BacktestReport run_backtest(const Dataset& dataset, std::span<const Forecaster* const> forecasters,
                            std::span<const std::string> methods, size_t horizon, size_t windows,
                            const Options& options);

}  // namespace invforecast
