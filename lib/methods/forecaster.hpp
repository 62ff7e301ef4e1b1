// Built-in forecasting methods.  Each is local (fitted per series) and gives a
// mean path and quantiles for days 1..H after the end of the history.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.hpp"
#include "data/series_input.hpp"

namespace invforecast {

struct OpenCalendar;  // closed_days.hpp

struct SeriesForecast {
  std::string method;            // the method that produced it (after fallback)
  std::string interval_method;   // how quantiles were made
  std::vector<double> mean;      // [horizon]
  std::vector<double> quantiles; // [horizon * levels], day-major, non-crossing, >= 0
  std::string warning;           // non-empty when a fallback happened
};

class Forecaster {
 public:
  virtual ~Forecaster() = default;
  virtual std::string_view name() const = 0;
  // Fewest days of history (after the series' launch) the method needs.
  virtual size_t min_history() const = 0;
  // `input` is the series from its launch (first sale) on: its target never
  // empty and at least min_history() long when called by forecast_series().
  // The built-in methods read the target alone.
  virtual SeriesForecast forecast(const SeriesInput& input, size_t horizon) const = 0;
  // With an open column (ForecastOptions::open_column) forecast_series gives
  // a method the open days alone, the series with its closed days removed
  // (closed_days.hpp), unless it reads the calendar: then it gets the whole
  // record, closed days, dates and covariates included (the model; a method
  // combining others should give them to forecast_series one by one).
  // Either way the closed days of the horizon are forecast 0.
  virtual bool reads_calendar() const { return false; }
  // The method to fit on the open days of `calendar`: itself made again
  // with its calendar lengths (season, window) in open days; nullptr when
  // it has none (it is then given the open days as it is).
  virtual std::unique_ptr<Forecaster> on_open_days(const OpenCalendar& /*calendar*/) const {
    return nullptr;
  }
};

// Throws Error(InvalidArgument) for an unknown method name.
std::unique_ptr<Forecaster> make_forecaster(std::string_view method, const ForecastOptions& options);

// Forecasts one series (full calendar, may start with zeros before launch; the
// method sees it from its launch on),
// applying the short-series rule: falls back through simpler methods with a
// warning, or throws Error(SeriesTooShort) when options.strict.  A series that
// never sold is forecast as zero by "naive" with a warning.  With
// options.open_column, closed days are forecast 0 and a method that does not
// read the calendar is fitted on the open days alone (closed_days.hpp; the
// lengths, the fallback and the launch then count open days).
SeriesForecast forecast_series(const Forecaster& method, const ForecastOptions& options,
                               std::string_view series_id, const SeriesInput& input,
                               size_t horizon);

}  // namespace invforecast
