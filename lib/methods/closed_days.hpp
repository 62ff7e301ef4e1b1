// Closed days.  A known-future trading-calendar column (ForecastOptions::
// open_column: 1 on days the shop trades, 0 on days it is closed) makes every
// method forecast 0 units, the mean and every quantile, on the closed days of
// the horizon, and the methods that do not read the calendar (the classical
// ones) are fitted on the open days alone: a closed day is not a day without
// demand.  forecast_series() applies it (forecaster.hpp), and the batched
// model forecast masks its output the same way.
//
// Values.  The column comes from the series input record: a known-future
// covariate over the history and the horizon days the record covers, or a
// static one (a column constant within every series, one value for all its
// days).  It must be numeric, and each of those values 0 or 1: an empty cell
// (NaN; also a day absent from the input and filled by the data layer) is an
// error naming the series and the date.  A horizon day past what the record
// covers (no future values given for it) is taken as open, and the forecast
// carries a warning counting such days.
//
// Fitting on open days.  The method gets the target of the open days, oldest
// first, forecasts the open-day steps of the horizon (below), and the result
// is spread back over the horizon with zeros on the closed days; quantiles made from
// residuals thus come from open days only.  The method's calendar lengths
// become open-day lengths.  A position of the season (a weekday for
// season_length 7: the date's day number modulo season_length) is regularly
// closed when more than half of the history's days there are closed; the
// open-day season p is the count of the other positions (at least 1): 6 for
// a weekly season of a shop closed on Saturdays.  The moving-average window
// is scaled by p / season_length (28 days -> 24 open days).  A closure at a
// regularly open position (a holiday) is a step of the open-day cycle
// without a value: in the horizon it takes its step, so the days after it
// keep their place in the cycle (a closed Monday does not move Tuesday's
// forecast onto Monday's); in the history it is left out like any closed
// day, so the cycle before it is one day out of step with the cycle after
// it: ETS's seasonal states adapt, seasonal naive is in step again once p
// open days follow it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/series_input.hpp"
#include "methods/forecaster.hpp"

namespace invforecast {

// The open and closed days of one series' history and horizon, and the
// open-day cycle they give.
struct OpenCalendar {
  size_t season = 0;                // the calendar season (season_length)
  size_t open_season = 0;           // p: its regularly open positions
  std::vector<uint8_t> history;     // [target days] 1 open, 0 closed
  std::vector<uint8_t> horizon;     // [horizon days] 1 open (or unknown), 0 closed
  std::vector<size_t> horizon_step;  // [horizon days] open days: their open-day step
  size_t steps = 0;                 // open-day steps the method forecasts
  size_t unknown_days = 0;          // horizon days without a value, taken as open
  Day first_unknown = 0;            // the date of the first of them
  size_t closed_sales_days = 0;     // closed history days with sales > 0 (left out of the fit)
  Day first_closed_sale = 0;        // the date of the first of them

  // The values of `target` (aligned with history) on the open days.
  std::vector<double> open_values(std::span<const double> target) const;
};

// Reads `column` of `input` over its history and `horizon` days after it,
// with the open-day cycle of a season of `season_length` days (see above).
// Error(InvalidArgument) when the record has no covariate of that name, or
// it is categorical or past-only; Error(Data) for a value other than 0 or 1
// or an empty one, naming the series and the date.
OpenCalendar open_calendar(const SeriesInput& input, std::string_view column,
                           size_t season_length, size_t horizon);

// `options` for a method fitted on the open days: season_length and
// ma_window in open days (see above).
ForecastOptions open_day_options(const ForecastOptions& options, const OpenCalendar& calendar);

// A forecast of the calendar's open-day steps (`levels` quantiles a step)
// spread over the whole horizon, 0 on the closed days.
SeriesForecast spread_over_horizon(SeriesForecast open_days, const OpenCalendar& calendar,
                                   size_t levels);

// Sets the mean and every quantile of the closed horizon days of `forecast`
// to 0, and adds the calendar's warnings (horizon days taken as open, closed
// days with sales) for `column` of `series_id` to forecast.warning.
void close_days(const OpenCalendar& calendar, std::string_view column,
                std::string_view series_id, SeriesForecast& forecast);

}  // namespace invforecast
