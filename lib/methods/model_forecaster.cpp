#include "methods/model_forecaster.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace invforecast {

void require_model_horizon(const ModelConfig& config, size_t horizon) {
  const auto model_horizon = static_cast<size_t>(config.horizon);
  if (horizon > model_horizon)
    fail(ErrorCode::InvalidArgument,
         "horizon {} exceeds the model's horizon of {} days (the model forecasts no further)",
         horizon, model_horizon);
}

void fill_model_context(std::span<const double> history, std::span<float> row) {
  const size_t kept = std::min(history.size(), row.size());
  const size_t pad = row.size() - kept;
  std::fill(row.begin(), row.begin() + static_cast<ptrdiff_t>(pad), 0.0f);
  std::transform(history.end() - static_cast<ptrdiff_t>(kept), history.end(),
                 row.begin() + static_cast<ptrdiff_t>(pad),
                 [](double v) { return static_cast<float>(v); });
}

void set_model_forecast(const float* out, size_t horizon, size_t levels, SeriesForecast& result) {
  result.method = "model";
  result.interval_method = "encoder quantiles";
  result.mean.resize(horizon);
  result.quantiles.resize(horizon * levels);
  for (size_t d = 0; d < horizon; ++d) {
    double sum = 0.0;
    for (size_t q = 0; q < levels; ++q) {
      const double value = out[d * levels + q];
      result.quantiles[d * levels + q] = value;
      sum += value;
    }
    result.mean[d] = sum / static_cast<double>(levels);
  }
}

SeriesForecast ModelForecaster::forecast(std::span<const double> history, size_t horizon) const {
  const ModelConfig& config = runtime_->model().config();
  require_model_horizon(config, horizon);
  const auto levels = static_cast<size_t>(config.num_quantiles());
  std::vector<float> context(static_cast<size_t>(config.context_length));
  fill_model_context(history, context);
  std::vector<float> out(static_cast<size_t>(config.horizon) * levels);
  runtime_->forecast(backend_, 1, context.data(), 1, out.data());
  SeriesForecast result;
  set_model_forecast(out.data(), horizon, levels, result);
  return result;
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

}  // namespace

DatasetForecast forecast_dataset(const Forecaster& method, const ForecastOptions& options,
                                 const ProgressFn& progress, const Dataset& data, size_t horizon) {
  std::vector<SeriesForecast> results(data.series.size());
  parallel_for(results.size(), options.threads, progress, "forecast", [&](size_t i) {
    const Series& s = data.series[i];
    results[i] = forecast_series(method, options, s.id, s.values, horizon);
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
  for (size_t s = 0; s < count; ++s) {
    const Series& series = data.series[s];
    if (series.values.size() >= context_length) continue;
    if (options.strict)
      fail(ErrorCode::SeriesTooShort,
           "series '{}' has {} days of history; the model reads the last {} (strict mode)",
           series.id, series.values.size(), context_length);
    results[s].warning = fmt::format(
        "series '{}': {} days of history, fewer than the model's context of {}; left-padded "
        "with {} days of zero sales",
        series.id, series.values.size(), context_length, context_length - series.values.size());
  }

  constexpr size_t chunk = 1024;
  const size_t rows = std::min(chunk, count);
  std::vector<float> context(rows * context_length);
  std::vector<float> out(rows * model_horizon * levels);
  constexpr std::string_view stage = "forecast";
  report_progress(progress, stage, 0, count);
  for (size_t first = 0; first < count; first += chunk) {
    const size_t n = std::min(chunk, count - first);
    for (size_t i = 0; i < n; ++i)
      fill_model_context(data.series[first + i].values,
                         std::span<float>(context.data() + i * context_length, context_length));
    runtime.forecast(options.backend, options.threads, context.data(),
                     static_cast<int64_t>(n), out.data());
    for (size_t i = 0; i < n; ++i)
      set_model_forecast(out.data() + i * model_horizon * levels, horizon, levels,
                         results[first + i]);
    report_progress(progress, stage, first + n, count);
  }
  return describe(data, horizon, config.quantiles, std::move(results));
}

}  // namespace invforecast
