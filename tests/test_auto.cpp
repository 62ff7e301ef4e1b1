// Method "auto": selection by rolling-origin mean absolute error on the
// series' own history, checked on slices of the bundled M5 data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "data/dataset.hpp"
#include "methods/auto_select.hpp"
#include "methods/forecaster.hpp"

using namespace invforecast;

TEST_CASE("auto is never worse than snaive on its selection windows (M5 slices)", "[auto]") {
  const Dataset dataset = read_csv(INVF_BUNDLED_DATA, IngestOptions{});
  ForecastOptions options;  // default candidates include snaive; 3 windows
  const size_t horizon = 28;
  const auto auto_method = make_forecaster("auto", options);
  double auto_error = 0.0, snaive_error = 0.0;
  size_t picked_other = 0, series_used = 0;
  for (size_t i = 0; i < dataset.series.size(); i += 10) {
    const std::vector<double>& values = dataset.series[i].values;
    // The last 400 days, launched or not, to keep the test quick.
    const std::span<const double> slice(values.data() + values.size() - 400, 400);
    const auto launch = std::find_if(slice.begin(), slice.end(), [](double v) { return v > 0.0; });
    if (launch == slice.end()) continue;
    const std::span<const double> history(&*launch, static_cast<size_t>(slice.end() - launch));
    const AutoSelection selection = select_auto_method(history, horizon, options);
    INFO("series " << dataset.series[i].id << " chose " << selection.chosen);
    REQUIRE(selection.windows == 3);
    const auto at = [&](const std::string& name) {
      return selection.mean_absolute_error[static_cast<size_t>(
          std::find(selection.candidates.begin(), selection.candidates.end(), name) - selection.candidates.begin())];
    };
    const double chosen = at(selection.chosen);
    for (double other : selection.mean_absolute_error) CHECK(chosen <= other);
    auto_error += chosen;
    snaive_error += at("snaive");
    picked_other += selection.chosen != "snaive";
    ++series_used;

    // The forecast is the winner's, on the whole history, under "auto:<name>".
    const SeriesForecast f = auto_method->forecast(history, horizon);
    const SeriesForecast winner = make_forecaster(selection.chosen, options)->forecast(history, horizon);
    CHECK(f.method == "auto:" + selection.chosen);
    CHECK(f.interval_method == winner.interval_method);
    CHECK(f.mean == winner.mean);
  }
  REQUIRE(series_used >= 20);
  CHECK(auto_error <= snaive_error);
  // On real data the choice is not always snaive (smoothing usually wins).
  CHECK(picked_other > series_used / 2);
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
