// Rolling-origin backtests and forecast accuracy metrics.
#pragma once

#include <string>
#include <vector>

#include "core/options.hpp"
#include "data/dataset.hpp"

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
};

struct BacktestReport {
  size_t horizon = 0;
  size_t windows = 0;
  std::vector<std::string> series_ids;
  std::vector<double> weights;  // WRMSSE weights per series (sum 1)
  std::string weight_basis;     // "revenue over last 28 days" or "equal"
  std::vector<MethodReport> methods;

  int metric_index(std::string_view name) const;  // -1 if unknown
  std::string to_json() const;
};

BacktestReport run_backtest(const Dataset& dataset, const std::vector<std::string>& methods,
                            size_t horizon, size_t windows, const Options& options);

}  // namespace invforecast
