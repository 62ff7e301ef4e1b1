// invf_forecast_load_csv: an invf_forecast rebuilt from the CSV that
// invf_forecast_write_csv writes (series_id,date,mean,q<level>,...).
#include <charconv>
#include <memory>
#include <optional>
#include <unordered_set>

#include "boundary.hpp"
#include "data/csv_text.hpp"
#include "handles.hpp"

namespace invforecast::capi {
namespace {

// Quantile levels from the header cells "q0.1", "q0.5", ...
std::vector<double> levels_from_header(const CsvText& csv, const std::vector<std::string>& header) {
  if (header.size() < 4 || header[0] != "series_id" || header[1] != "date" || header[2] != "mean")
    fail(ErrorCode::Parse,
         "{}:1: expected the header series_id,date,mean,q<level>,... (as written by "
         "invforecast forecast)",
         csv.path());
  std::vector<double> levels;
  for (size_t c = 3; c < header.size(); ++c) {
    const std::string& name = header[c];
    double level = 0.0;
    const char* last = name.data() + name.size();
    const auto [ptr, ec] =
        name.size() > 1 && name[0] == 'q' ? std::from_chars(name.data() + 1, last, level)
                                          : std::from_chars_result{name.data(), std::errc::invalid_argument};
    if (ec != std::errc{} || ptr != last || !(level > 0.0 && level < 1.0))
      fail(ErrorCode::Parse, "{}:1: column '{}' is not a quantile level q<p> with p in (0, 1)",
           csv.path(), name);
    if (!levels.empty() && level <= levels.back())
      fail(ErrorCode::Parse, "{}:1: quantile levels are not strictly ascending at '{}'",
           csv.path(), name);
    levels.push_back(level);
  }
  return levels;
}

std::unique_ptr<invf_forecast> load_forecast_csv(const char* path) {
  CsvText csv(path);
  std::vector<std::string> fields;
  if (!csv.next(fields)) fail(ErrorCode::Data, "{}: the file is empty", path);
  const std::vector<std::string> header = fields;
  auto forecast = std::make_unique<invf_forecast>();
  forecast->levels = levels_from_header(csv, header);
  const size_t level_count = forecast->levels.size();
  const size_t columns = 3 + level_count;

  std::unordered_set<std::string> finished;  // series whose rows have ended
  Day previous_day = 0;
  while (csv.next(fields)) {
    if (fields.size() != columns)
      fail(ErrorCode::Parse, "{}:{}: {} fields, expected {}", path, csv.line(), fields.size(),
           columns);
    const std::optional<Day> day = parse_iso_date(fields[1]);
    if (!day)
      fail(ErrorCode::Parse, "{}:{}: column 'date': '{}' is not a YYYY-MM-DD date", path,
           csv.line(), fields[1]);
    const bool same_series = !forecast->series_ids.empty() && forecast->series_ids.back() == fields[0];
    if (same_series) {
      if (*day != previous_day + 1)
        fail(ErrorCode::Data, "{}:{}: series '{}': date {} does not follow {} (days must be consecutive)",
             path, csv.line(), fields[0], fields[1], format_iso_date(previous_day));
    } else {
      if (fields[0].empty()) fail(ErrorCode::Data, "{}:{}: empty series_id", path, csv.line());
      if (!forecast->series_ids.empty()) finished.insert(forecast->series_ids.back());
      if (finished.count(fields[0]) != 0)
        fail(ErrorCode::Data, "{}:{}: series '{}' appears again after other series (its rows must be contiguous)",
             path, csv.line(), fields[0]);
      forecast->series_ids.push_back(fields[0]);
      forecast->start_days.push_back(*day);
      forecast->series.emplace_back();
      forecast->series.back().method = "csv";
      forecast->series.back().interval_method = "read from a forecast CSV";
    }
    previous_day = *day;

    SeriesForecast& series = forecast->series.back();
    const double mean = csv.number(fields[2], "mean");
    if (mean < 0.0) fail(ErrorCode::Data, "{}:{}: column 'mean': negative value {}", path, csv.line(), mean);
    series.mean.push_back(mean);
    for (size_t q = 0; q < level_count; ++q) {
      const std::string& column = header[3 + q];
      const double value = csv.number(fields[3 + q], column);
      if (value < 0.0)
        fail(ErrorCode::Data, "{}:{}: column '{}': negative value {}", path, csv.line(), column, value);
      if (q > 0 && value < series.quantiles.back())
        fail(ErrorCode::Data, "{}:{}: quantiles cross: {} = {} is below the previous level's {}",
             path, csv.line(), column, value, series.quantiles.back());
      series.quantiles.push_back(value);
    }
  }
  if (forecast->series.empty()) fail(ErrorCode::Data, "{}: no forecast rows after the header", path);
  forecast->horizon = forecast->series.front().mean.size();
  for (size_t s = 0; s < forecast->series.size(); ++s)
    if (forecast->series[s].mean.size() != forecast->horizon)
      fail(ErrorCode::Data, "{}: series '{}' has {} days but series '{}' has {} (every series needs the same horizon)",
           path, forecast->series_ids[s], forecast->series[s].mean.size(), forecast->series_ids[0],
           forecast->horizon);
  require_horizon(forecast->horizon);
  return forecast;
}

}  // namespace
}  // namespace invforecast::capi

extern "C" {

invf_status* invf_forecast_load_csv(const char* path, invf_forecast** out) {
  return invforecast::capi::guarded([&] {
    invforecast::capi::require(path, "path");
    invforecast::capi::require(out, "out");
    *out = invforecast::capi::load_forecast_csv(path).release();
  });
}

}  // extern "C"
