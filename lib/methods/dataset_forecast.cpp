#include "methods/dataset_forecast.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "error.hpp"
#include "core/parallel.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "io/csv_file.hpp"
#include "methods/closed_days.hpp"
#include "methods/cold_start.hpp"
#include "methods/model_forecaster.hpp"

namespace invforecast {

void require_horizon(size_t horizon) {
  if (horizon == 0 || horizon > kMaxHorizon)
    fail(ErrorCode::InvalidArgument, "horizon {} is out of range: expected 1 to {} days", horizon,
         kMaxHorizon);
}

namespace {

// The ids, start days and warnings of a forecast of `data`.
DatasetForecast describe(const Dataset& data, size_t horizon, std::vector<double> levels,
                         std::vector<SeriesForecast> series) {
  DatasetForecast result;
  result.horizon = horizon;
  result.levels = std::move(levels);
  result.series = std::move(series);
  result.series_ids.reserve(data.series.size());
  result.start_days.reserve(data.series.size());
  for (size_t s = 0; s < data.series.size(); ++s) {
    result.series_ids.push_back(data.series[s].id);
    result.start_days.push_back(data.series[s].end_day() + 1);
    if (!result.series[s].warning.empty()) result.warnings.push_back(result.series[s].warning);
  }
  return result;
}

// A new product's warning: what it was forecast from, then the method's own.
void note_cold_start(const ColdStart& cold, size_t series, SeriesForecast& result) {
  if (!cold.is_new(series)) return;
  result.warning = result.warning.empty() ? cold.note(series) : cold.note(series) + "; " + result.warning;
}

}  // namespace

DatasetForecast forecast_dataset(const Forecaster& method, const ForecastOptions& options,
                                 const ProgressFn& progress, const Dataset& data, size_t horizon) {
  std::vector<SeriesForecast> results(data.series.size());
  const SeriesInputs inputs(data);
  const ColdStart cold(inputs);  // the whole span: the methods fit all of it
  parallel_for(results.size(), options.threads, progress, "forecast", [&](size_t i) {
    results[i] = forecast_series(method, options, data.series[i].id, cold.input(i, horizon), horizon);
    note_cold_start(cold, i, results[i]);
  });
  return describe(data, horizon, options.quantiles, std::move(results));
}

DatasetForecast forecast_dataset_with_model(const ModelRuntime& runtime,
                                            const ForecastOptions& options,
                                            const ProgressFn& progress, const Dataset& data,
                                            size_t horizon) {
  const ModelConfig& config = runtime.model().config();
  require_model_horizon(config, horizon);
  const auto model_horizon = static_cast<size_t>(config.horizon);
  const auto context_length = static_cast<size_t>(config.context_length);
  const auto levels = static_cast<size_t>(config.num_quantiles());
  const size_t count = data.series.size();

  std::vector<SeriesForecast> results(count);
  const SeriesInputs inputs(data);
  const ColdStart cold(inputs, context_length);
  // Read (and checked) before the model runs; its output is masked on the closed days.
  std::vector<OpenCalendar> calendars;
  if (!options.open_column.empty())
    for (size_t s = 0; s < count; ++s)
      calendars.push_back(open_calendar(cold.input(s, horizon), options.open_column,
                                        static_cast<size_t>(options.season_length), horizon));
  for (size_t s = 0; s < count; ++s)
    if (!cold.is_new(s))
      results[s].warning = short_history_warning(data.series[s].id, data.series[s].values.size(),
                                                 context_length, options.strict);

  constexpr size_t chunk = 1024;
  const size_t rows = std::min(chunk, count);
  std::vector<float> context(rows * context_length);
  std::vector<float> out(rows * model_horizon * levels);
  std::vector<float> mean = model_mean_buffer(config, rows);
  float* mean_out = mean.empty() ? nullptr : mean.data();
  const bool with_covariates = runtime.model().has_covariates();
  const FeatureEncoder& features = runtime.features();
  CovariateArrays arrays;
  constexpr std::string_view stage = "forecast";
  report_progress(progress, stage, 0, count);
  for (size_t first = 0; first < count; first += chunk) {
    const size_t n = std::min(chunk, count - first);
    if (with_covariates) arrays.resize(features.sizes(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) {
      const SeriesInput input = cold.input(first + i, horizon);
      fill_context(input.target, std::span<float>(context.data() + i * context_length, context_length));
      if (with_covariates)
        features.encode(input, static_cast<int64_t>(i), arrays, static_cast<int64_t>(horizon));
    }
    const layers::CovariateBatch<float> batch = arrays.batch();
    runtime.forecast(options.threads, context.data(), static_cast<int64_t>(n), out.data(),
                     with_covariates ? &batch : nullptr, {.mean = mean_out});
    for (size_t i = 0; i < n; ++i) {
      SeriesForecast& result = results[first + i];
      set_model_forecast(out.data() + i * model_horizon * levels,
                         mean_out ? mean_out + i * model_horizon : nullptr, horizon, levels, result);
      note_cold_start(cold, first + i, result);
      if (!calendars.empty())
        close_days(calendars[first + i], options.open_column, data.series[first + i].id, result);
    }
    report_progress(progress, stage, first + n, count);
  }
  return describe(data, horizon, config.quantiles, std::move(results));
}

void write_forecast_csv(const DatasetForecast& forecast, const std::string& path) {
  io::AtomicFile file(path, "forecast CSV");
  fmt::memory_buffer text;
  auto flush = [&] {
    file.write(std::string_view(text.data(), text.size()));
    text.clear();
  };
  fmt::format_to(std::back_inserter(text), "series_id,date,mean");
  for (double level : forecast.levels) fmt::format_to(std::back_inserter(text), ",q{}", level);
  text.push_back('\n');
  const size_t levels = forecast.levels.size();
  char date[11];
  for (size_t s = 0; s < forecast.series.size(); ++s) {
    const SeriesForecast& result = forecast.series[s];
    const std::string id = csv::quoted(forecast.series_ids[s]);
    for (size_t d = 0; d < forecast.horizon; ++d) {
      format_iso_date(forecast.start_days[s] + static_cast<Day>(d), date);
      // Shortest round-trip form: the file holds exactly what the API returns.
      fmt::format_to(std::back_inserter(text), "{},{},{}", id, date,
                     result.mean[d]);
      for (size_t q = 0; q < levels; ++q)
        fmt::format_to(std::back_inserter(text), ",{}", result.quantiles[d * levels + q]);
      text.push_back('\n');
    }
    if (text.size() > (1u << 20)) flush();
  }
  flush();
  file.commit();
}

namespace {

// Quantile levels from the header cells "q0.1", "q0.5", ...
std::vector<double> levels_from_header(const io::CsvFile& csv, const std::vector<std::string>& header) {
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

}  // namespace

DatasetForecast read_forecast_csv(const std::string& path) {
  io::CsvFile csv(path, "forecast CSV");
  std::vector<std::string> fields;
  if (!csv.next(fields)) fail(ErrorCode::Data, "{}: the file is empty", path);
  const std::vector<std::string> header = fields;
  DatasetForecast result;
  DatasetForecast* forecast = &result;
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
  return result;
}

}  // namespace invforecast
