// Method "auto": per series, a rolling-origin backtest on the series' own
// history chooses among ForecastOptions::auto_methods by mean absolute error.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "data/series_input.hpp"

namespace invforecast {

struct AutoSelection {
  // Origins used: window k (1-based) trains on history[0, n - k*H) and is
  // scored on the next H days.  Only windows whose training part is at
  // least one season long (what snaive needs) are used.
  size_t windows = 0;
  std::vector<std::string> candidates;
  // Mean absolute error over all scored days, per candidate; +inf for a
  // candidate too demanding for the shortest training part (left out).
  std::vector<double> mean_absolute_error;
  std::string chosen;  // lowest error; the first listed wins ties
};

// With no usable window (history shorter than a season plus H) the choice
// is "snaive" without scores.
AutoSelection select_auto_method(const SeriesInput& input, size_t horizon,
                                 const ForecastOptions& options);

}  // namespace invforecast
