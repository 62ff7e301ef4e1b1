#include "methods/closed_days.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "error.hpp"

namespace invforecast {
namespace {

const CovariateView* find_covariate(const std::vector<CovariateView>& views, std::string_view name) {
  const auto it = std::find_if(views.begin(), views.end(),
                               [&](const CovariateView& v) { return v.name == name; });
  return it == views.end() ? nullptr : &*it;
}

std::string covariate_names(const SeriesInput& input) {
  std::string names;
  for (const auto* views : {&input.known, &input.past, &input.statics})
    for (const CovariateView& v : *views) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", v.name);
  return names.empty() ? "the data has no covariate columns" : "its columns: " + names;
}

// The position of `date` in a season of `season` days.
size_t position(Day date, size_t season) {
  const auto m = static_cast<int64_t>(season);
  return static_cast<size_t>(((date % m) + m) % m);
}

// The open-day season and the steps of the horizon (closed_days.hpp).
void set_open_cycle(OpenCalendar& calendar, Day start, size_t season) {
  std::vector<size_t> days(season, 0), closed(season, 0);
  for (size_t t = 0; t < calendar.history.size(); ++t) {
    const size_t at = position(start + static_cast<Day>(t), season);
    ++days[at];
    closed[at] += calendar.history[t] == 0;
  }
  std::vector<uint8_t> regularly_closed(season);
  for (size_t at = 0; at < season; ++at) regularly_closed[at] = 2 * closed[at] > days[at];
  calendar.season = season;
  calendar.open_season = std::max<size_t>(
      1, season - static_cast<size_t>(std::count(regularly_closed.begin(), regularly_closed.end(), 1)));
  const Day first = start + static_cast<Day>(calendar.history.size());
  calendar.horizon_step.assign(calendar.horizon.size(), 0);
  for (size_t d = 0; d < calendar.horizon.size(); ++d) {
    if (calendar.horizon[d] != 0)
      calendar.horizon_step[d] = calendar.steps++;
    else if (regularly_closed[position(first + static_cast<Day>(d), season)] == 0)
      ++calendar.steps;  // a holiday keeps its step
  }
}

void append_warning(std::string& warning, const std::string& text) {
  warning += (warning.empty() ? "" : "; ") + text;
}

}  // namespace

std::vector<double> OpenCalendar::open_values(std::span<const double> target) const {
  std::vector<double> values;
  values.reserve(target.size());
  for (size_t t = 0; t < target.size(); ++t)
    if (history[t] != 0) values.push_back(target[t]);
  return values;
}

OpenCalendar open_calendar(const SeriesInput& input, std::string_view column,
                           size_t season_length, size_t horizon) {
  const CovariateView* known = find_covariate(input.known, column);
  // A static column: one value for every day.
  const CovariateView* constant = known != nullptr ? nullptr : find_covariate(input.statics, column);
  const CovariateView* view = known != nullptr ? known : constant;
  if (view == nullptr) {
    if (find_covariate(input.past, column) != nullptr)
      fail(ErrorCode::InvalidArgument,
           "open column '{}' is past-only: a trading calendar must be known in advance", column);
    fail(ErrorCode::InvalidArgument, "open column '{}' is not a column of the data ({})", column,
         covariate_names(input));
  }
  if (!view->numeric)
    fail(ErrorCode::InvalidArgument,
         "open column '{}' is categorical: it must be numeric, 1 on open days and 0 on closed days",
         column);
  const size_t n = input.target.size();
  const size_t covered =
      constant != nullptr ? n + horizon : std::min(view->values.size(), n + horizon);
  OpenCalendar calendar;
  calendar.history.resize(n);
  calendar.horizon.resize(horizon);
  for (size_t t = 0; t < n + horizon; ++t) {
    const Day date = input.start + static_cast<Day>(t);
    bool open = true;
    if (t < covered) {
      const double value = view->values[constant != nullptr ? 0 : t];
      if (std::isnan(value))
        fail(ErrorCode::Data,
             "series '{}': open column '{}' has no value on {} (an empty cell, or a day absent "
             "from the data): expected 1 (open) or 0 (closed)",
             input.id, column, format_iso_date(date));
      if (value != 0.0 && value != 1.0)
        fail(ErrorCode::Data, "series '{}': open column '{}' is {} on {}: expected 1 (open) or 0 (closed)",
             input.id, column, value, format_iso_date(date));
      open = value == 1.0;
    } else if (calendar.unknown_days++ == 0) {
      calendar.first_unknown = date;
    }
    if (t >= n) {
      calendar.horizon[t - n] = open;
      continue;
    }
    calendar.history[t] = open;
    if (!open && input.target[t] > 0.0 && calendar.closed_sales_days++ == 0)
      calendar.first_closed_sale = date;
  }
  set_open_cycle(calendar, input.start, season_length);
  return calendar;
}

ForecastOptions open_day_options(const ForecastOptions& options, const OpenCalendar& calendar) {
  ForecastOptions open = options;
  open.season_length = static_cast<int>(calendar.open_season);
  open.ma_window = std::max(1, static_cast<int>(std::lround(
                                   options.ma_window * static_cast<double>(calendar.open_season) /
                                   static_cast<double>(calendar.season))));
  return open;
}

SeriesForecast spread_over_horizon(SeriesForecast open_days, const OpenCalendar& calendar,
                                   size_t levels) {
  const size_t horizon = calendar.horizon.size();
  const size_t steps = calendar.steps;
  if (open_days.mean.size() != steps || open_days.quantiles.size() != steps * levels)
    fail(ErrorCode::Internal, "method '{}' returned {} means and {} quantiles for {} open-day steps",
         open_days.method, open_days.mean.size(), open_days.quantiles.size(), steps);
  std::vector<double> mean(horizon, 0.0), quantiles(horizon * levels, 0.0);
  for (size_t d = 0; d < horizon; ++d) {
    if (calendar.horizon[d] == 0) continue;
    const size_t step = calendar.horizon_step[d];
    mean[d] = open_days.mean[step];
    std::copy_n(open_days.quantiles.begin() + static_cast<ptrdiff_t>(step * levels), levels,
                quantiles.begin() + static_cast<ptrdiff_t>(d * levels));
  }
  open_days.mean = std::move(mean);
  open_days.quantiles = std::move(quantiles);
  return open_days;
}

void close_days(const OpenCalendar& calendar, std::string_view column,
                std::string_view series_id, SeriesForecast& forecast) {
  const size_t horizon = calendar.horizon.size();
  if (forecast.mean.size() != horizon || (horizon > 0 && forecast.quantiles.size() % horizon != 0))
    fail(ErrorCode::Internal, "a forecast of {} days and {} quantiles for a horizon of {} days",
         forecast.mean.size(), forecast.quantiles.size(), horizon);
  const size_t levels = horizon > 0 ? forecast.quantiles.size() / horizon : 0;
  for (size_t d = 0; d < horizon; ++d) {
    if (calendar.horizon[d] != 0) continue;
    forecast.mean[d] = 0.0;
    std::fill_n(forecast.quantiles.begin() + static_cast<ptrdiff_t>(d * levels), levels, 0.0);
  }
  if (calendar.unknown_days > 0)
    append_warning(forecast.warning,
                   fmt::format("series '{}': open column '{}' has no value for {} of the {} "
                               "horizon days (from {}): forecast as open days",
                               series_id, column, calendar.unknown_days, horizon,
                               format_iso_date(calendar.first_unknown)));
  if (calendar.closed_sales_days > 0)
    append_warning(forecast.warning,
                   fmt::format("series '{}': {} days closed by open column '{}' have sales "
                               "(first {}): methods fitted on open days leave them out",
                               series_id, calendar.closed_sales_days, column,
                               format_iso_date(calendar.first_closed_sale)));
}

}  // namespace invforecast
