// The "auto" method.  Choosing by mean absolute error on the selection
// windows means the pick's error there is never above any candidate's, in
// particular snaive's (a default candidate): summed over series, auto is no
// worse than seasonal naive on what it was selected on.
#include "methods/auto_select.hpp"

#include <cmath>
#include <limits>

#include "error.hpp"
#include "methods/builtin.hpp"
#include "methods/closed_days.hpp"

namespace invforecast {

AutoSelection select_auto_method(const SeriesInput& input, size_t horizon,
                                 const ForecastOptions& options) {
  const std::span<const double> history = input.target;
  AutoSelection selection;
  selection.candidates = options.auto_methods;
  selection.mean_absolute_error.assign(selection.candidates.size(),
                                       std::numeric_limits<double>::infinity());
  const size_t n = history.size();
  const size_t shortest_training = static_cast<size_t>(options.season_length);
  for (size_t k = 1; k <= static_cast<size_t>(options.auto_windows); ++k) {
    if (horizon == 0 || n < k * horizon + shortest_training) break;
    selection.windows = k;
  }
  selection.chosen = "snaive";
  if (selection.windows == 0) return selection;

  const size_t shortest = n - selection.windows * horizon;
  double best = std::numeric_limits<double>::infinity();
  for (size_t c = 0; c < selection.candidates.size(); ++c) {
    const auto candidate = make_forecaster(selection.candidates[c], options);
    if (candidate->min_history() > shortest) continue;
    double absolute_error = 0.0;
    for (size_t k = 1; k <= selection.windows; ++k) {
      const size_t origin = n - k * horizon;
      const SeriesForecast forecast = candidate->forecast(input.before(origin, horizon), horizon);
      for (size_t h = 0; h < horizon; ++h) absolute_error += std::abs(history[origin + h] - forecast.mean[h]);
    }
    const double mae = absolute_error / static_cast<double>(selection.windows * horizon);
    selection.mean_absolute_error[c] = mae;
    if (mae < best) {
      best = mae;
      selection.chosen = selection.candidates[c];
    }
  }
  return selection;
}

namespace {

class AutoMethod final : public Forecaster {
 public:
  explicit AutoMethod(const ForecastOptions& options) : options_(options) {
    if (options.auto_methods.empty())
      fail(ErrorCode::InvalidArgument, "method 'auto' needs at least one candidate in auto_methods");
    for (const std::string& name : options.auto_methods) {
      if (name == "auto" || name == "ensemble")
        fail(ErrorCode::InvalidArgument, "method 'auto' cannot choose '{}': it chooses among single methods", name);
      make_forecaster(name, options);  // rejects unknown names now, not per series
    }
  }
  std::string_view name() const override { return "auto"; }
  // Every candidate with its lengths in open days.
  std::unique_ptr<Forecaster> on_open_days(const OpenCalendar& calendar) const override {
    return make_auto(open_day_options(options_, calendar));
  }
  // Seasonal naive, the fallback choice, needs one season.
  size_t min_history() const override { return static_cast<size_t>(options_.season_length); }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const AutoSelection selection = select_auto_method(input, horizon, options_);
    SeriesForecast out = make_forecaster(selection.chosen, options_)->forecast(input, horizon);
    out.method = "auto:" + out.method;
    return out;
  }

 private:
  ForecastOptions options_;
};

}  // namespace

std::unique_ptr<Forecaster> make_auto(const ForecastOptions& options) {
  return std::make_unique<AutoMethod>(options);
}

}  // namespace invforecast
