// Method "auto": selection by rolling-origin mean absolute error on the
// series' own history, checked against the backtest's scores on slices of the
// bundled M5 data, on a series that snaive forecasts exactly, and by
// hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "error.hpp"
#include "data/dataset.hpp"
#include "eval/backtest.hpp"
#include "methods/auto_select.hpp"
#include "methods/forecaster.hpp"

using namespace invforecast;

TEST_CASE("auto picks the candidate with the lowest backtest error (M5 slices)", "[auto]") {
  // With one window, auto's score of a candidate is its MAE over the last H days, and the
  // backtest (a separate implementation: rolling_forecasts and metrics.cpp) scores the same
  // forecast by MASE = MAE / scale, the scale depending on the training days only, so the same
  // for every candidate: the lowest MASE must be auto's pick.
  const Dataset m5 = read_csv(INVF_BUNDLED_DATA, IngestOptions{});
  Options options;
  options.forecast.auto_windows = 1;
  const size_t horizon = 28;
  Dataset slices;
  for (size_t i = 0; i < m5.series.size(); i += 10) {
    const std::vector<double>& values = m5.series[i].values;
    // The last 400 days from the first sale on, long enough for every candidate.
    const auto from = values.end() - 400;
    const auto launch = std::find_if(from, values.end(), [](double v) { return v > 0.0; });
    if (values.end() - launch < 120) continue;
    Series s;
    s.id = m5.series[i].id;
    s.values.assign(launch, values.end());
    s.observed.assign(s.values.size(), 1);
    s.stats = compute_stats(s.values, s.observed);
    slices.series.push_back(std::move(s));
  }
  REQUIRE(slices.series.size() >= 20);
  const std::vector<std::string>& candidates = options.forecast.auto_methods;
  const BacktestReport report = run_backtest(slices, candidates, horizon, 1, options);
  const int mase = report.metric_index("mase");
  REQUIRE(mase >= 0);
  size_t compared = 0, picked_other = 0;
  for (size_t i = 0; i < slices.series.size(); ++i) {
    const AutoSelection selection = select_auto_method(slices.series[i].values, horizon, options.forecast);
    REQUIRE(selection.windows == 1);
    double lowest = std::numeric_limits<double>::infinity(), chosen = lowest;
    for (size_t c = 0; c < candidates.size(); ++c) {
      REQUIRE(report.methods[c].warnings.empty());
      const double value = report.methods[c].per_series[i][static_cast<size_t>(mase)];
      lowest = std::min(lowest, value);
      if (candidates[c] == selection.chosen) chosen = value;
    }
    if (!std::isfinite(lowest)) continue;  // a constant training part: MASE undefined
    INFO("series " << slices.series[i].id << " chose " << selection.chosen);
    // The two sum the same 28 doubles in other orders: a relative difference of a few 1e-16.
    CHECK(chosen == Approx(lowest).epsilon(1e-12));
    picked_other += selection.chosen != "snaive";
    ++compared;
  }
  CHECK(compared >= 20);
  // On real data the choice is not always snaive (smoothing usually wins).
  CHECK(picked_other > compared / 2);
}

TEST_CASE("auto picks snaive for an exact weekly pattern and forecasts its next weeks", "[auto]") {
  // Snaive repeats the pattern without error; no other candidate can do better than zero, and a
  // tie goes to snaive, listed first.
  const std::vector<double> week = {3, 0, 8, 1, 5, 0, 2};
  std::vector<double> history;
  for (int w = 0; w < 20; ++w) history.insert(history.end(), week.begin(), week.end());
  ForecastOptions options;
  const AutoSelection selection = select_auto_method(history, 14, options);
  REQUIRE(selection.windows == 3);
  CHECK(selection.chosen == "snaive");
  CHECK(selection.mean_absolute_error[0] == 0.0);
  const SeriesForecast f = make_forecaster("auto", options)->forecast(history, 14);
  CHECK(f.method == "auto:snaive");
  for (size_t h = 0; h < 14; ++h) CHECK(f.mean[h] == week[h % 7]);
}

TEST_CASE("auto's windows: MAE by hand and fewer windows for short series", "[auto]") {
  ForecastOptions options;
  options.season_length = 2;
  options.auto_methods = {"snaive", "naive"};
  options.auto_windows = 2;
  // Windows of H = 2: origin 4 (train 1,3,1,3 / test 5,5), origin 2 (train 1,3 / test 1,3).
  const std::vector<double> history = {1, 3, 1, 3, 5, 5};
  const AutoSelection selection = select_auto_method(history, 2, options);
  REQUIRE(selection.windows == 2);
  // snaive: |5-1| + |5-3| + |1-1| + |3-3| = 6 over 4 days; naive: |5-3|*2 + |1-3| + 0 = 6.
  CHECK(selection.mean_absolute_error[0] == Approx(1.5));
  CHECK(selection.mean_absolute_error[1] == Approx(1.5));
  CHECK(selection.chosen == "snaive");  // ties go to the first listed
  // Three days: no window fits one season plus H, so snaive without scores.
  const AutoSelection none = select_auto_method(std::vector<double>{1, 2, 3}, 2, options);
  CHECK(none.windows == 0);
  CHECK(none.chosen == "snaive");
  CHECK(std::isinf(none.mean_absolute_error[0]));
}
