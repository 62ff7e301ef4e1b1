// Method registry and the per-series driver with the short-series rule.
#include "methods/forecaster.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "error.hpp"
#include "methods/builtin.hpp"
#include "methods/closed_days.hpp"

namespace invforecast {
namespace {

using Factory = std::unique_ptr<Forecaster> (*)(const ForecastOptions&);

struct MethodEntry {
  std::string_view name;
  Factory factory;
  // The simpler method used when a series is too short; empty for none.
  std::string_view fallback;
};

constexpr std::array<MethodEntry, 9> kMethods = {{
    {"naive", make_naive, ""},
    {"snaive", make_seasonal_naive, "naive"},
    {"ma", make_moving_average, "naive"},
    {"croston", make_croston, "naive"},
    {"sba", make_sba, "naive"},
    {"tsb", make_tsb, "naive"},
    {"ets", make_ets, "snaive"},
    {"auto", make_auto, "snaive"},
    {"ensemble", make_ensemble, "naive"},
}};

const MethodEntry* find_method(std::string_view name) {
  for (const auto& entry : kMethods)
    if (entry.name == name) return &entry;
  return nullptr;
}

std::string method_list() {
  std::string list;
  for (const auto& entry : kMethods) {
    if (!list.empty()) list += ", ";
    list += entry.name;
  }
  return list;
}

SeriesForecast zero_forecast(size_t horizon, size_t levels) {
  SeriesForecast out;
  out.method = "naive";
  out.interval_method = "analytic normal";
  out.mean.assign(horizon, 0.0);
  out.quantiles.assign(horizon * levels, 0.0);
  return out;
}

}  // namespace

std::unique_ptr<Forecaster> make_forecaster(std::string_view method, const ForecastOptions& options) {
  const MethodEntry* entry = find_method(method);
  if (entry == nullptr)
    fail(ErrorCode::InvalidArgument, "unknown forecasting method '{}' (known: {})", method,
         method_list());
  return entry->factory(options);
}

namespace {

// forecast_series() on the days it is given, without an open column.
SeriesForecast forecast_from_launch(const Forecaster& method, const ForecastOptions& options,
                                    std::string_view series_id, const SeriesInput& input,
                                    size_t horizon) {
  const std::span<const double> values = input.target;
  const auto launch = std::find_if(values.begin(), values.end(), [](double v) { return v > 0.0; });
  if (launch == values.end()) {
    SeriesForecast out = zero_forecast(horizon, options.quantiles.size());
    out.warning = values.empty()
                      ? fmt::format("series '{}' has no history (a new product): forecast is zero",
                                    series_id)
                      : fmt::format("series '{}' never sold: forecast is zero", series_id);
    return out;
  }
  const SeriesInput history = input.from(static_cast<size_t>(launch - values.begin()));
  if (history.target.size() >= method.min_history()) return method.forecast(history, horizon);

  const std::string_view requested = method.name();
  if (options.strict)
    fail(ErrorCode::SeriesTooShort,
         "series '{}' has {} days after its first sale, too short for method '{}' (needs {})",
         series_id, history.target.size(), requested, method.min_history());
  // Walk down the chain of simpler methods until one fits; "naive" needs one day.
  const MethodEntry* entry = find_method(requested);
  std::string_view next = entry != nullptr ? entry->fallback : "naive";
  while (true) {
    const auto fallback = make_forecaster(next, options);
    if (history.target.size() >= fallback->min_history() || find_method(next)->fallback.empty()) {
      SeriesForecast out = fallback->forecast(history, horizon);
      out.warning = fmt::format(
          "series '{}' has {} days after its first sale, too short for method '{}' (needs {}): "
          "forecast with '{}' instead",
          series_id, history.target.size(), requested, method.min_history(), out.method);
      return out;
    }
    next = find_method(next)->fallback;
  }
}

}  // namespace

SeriesForecast forecast_series(const Forecaster& method, const ForecastOptions& options,
                               std::string_view series_id, const SeriesInput& input,
                               size_t horizon) {
  if (options.open_column.empty())
    return forecast_from_launch(method, options, series_id, input, horizon);
  const OpenCalendar calendar = open_calendar(
      input, options.open_column, static_cast<size_t>(options.season_length), horizon);
  SeriesForecast out;
  if (method.reads_calendar()) {
    out = forecast_from_launch(method, options, series_id, input, horizon);
  } else {
    const std::unique_ptr<Forecaster> rebuilt = method.on_open_days(calendar);
    // The fallbacks' lengths in open days too.
    const ForecastOptions open_options = open_day_options(options, calendar);
    const std::vector<double> open_target = calendar.open_values(input.target);
    SeriesInput open_days(open_target);
    open_days.id = input.id;
    open_days.start = input.start;
    out = spread_over_horizon(forecast_from_launch(rebuilt ? *rebuilt : method, open_options,
                                                   series_id, open_days, calendar.steps),
                              calendar, options.quantiles.size());
  }
  close_days(calendar, options.open_column, series_id, out);
  return out;
}

}  // namespace invforecast
