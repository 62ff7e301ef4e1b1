// invf_forecaster and invf_forecast: fitting every series and reading results.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "boundary.hpp"
#include "core/parallel.hpp"
#include "handles.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "methods/forecaster.hpp"
#include "model_forecaster.hpp"

namespace invforecast::capi {
namespace {

// Forecasts every series of `data` (see parallel_for: results do not depend
// on the thread count; the first failing series in dataset order is raised).
std::vector<SeriesForecast> forecast_every_series(const Forecaster& method, const Options& options,
                                                  const Dataset& data, size_t horizon) {
  std::vector<SeriesForecast> results(data.series.size());
  const SeriesInputs inputs(data);
  parallel_for(results.size(), options.forecast.threads, options.progress, "forecast",
               [&](size_t i) {
                 results[i] = forecast_series(method, options.forecast, data.series[i].id,
                                              inputs.latest(i), horizon);
               });
  return results;
}

// Forecasts every series from its last context_length days with the encoder,
// in chunks so that the buffers stay small and progress is reported.  A
// series shorter than the context is left-padded with zeros (no sales before
// its first date) with a warning, or refused under strict.
std::vector<SeriesForecast> forecast_with_model(const ModelRuntime& runtime,
                                                const Options& options, const Dataset& data,
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
    if (options.forecast.strict)
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
  report_progress(options.progress, stage, 0, count);
  for (size_t first = 0; first < count; first += chunk) {
    const size_t n = std::min(chunk, count - first);
    for (size_t i = 0; i < n; ++i)
      fill_context(data.series[first + i].values,
                         std::span<float>(context.data() + i * context_length, context_length));
    runtime.forecast(options.forecast.threads, context.data(),
                     static_cast<int64_t>(n), out.data());
    for (size_t i = 0; i < n; ++i)
      set_model_forecast(out.data() + i * model_horizon * levels, horizon, levels,
                         results[first + i]);
    report_progress(options.progress, stage, first + n, count);
  }
  return results;
}

const invf_forecast& forecast_ref(const invf_forecast* forecast) {
  require(forecast, "forecast");
  return *forecast;
}

size_t series_index(const invf_forecast& forecast, size_t series) {
  require_index(series, forecast.series.size(), "series");
  return series;
}

// series_id,date,mean,q<level>,... as invf_forecast_load_csv reads it back.
void write_csv(const invf_forecast& forecast, const char* path) {
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
  char date[INVF_DATE_BUFFER];
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

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_forecaster_create(const char* method, const invf_options* options,
                                    invf_forecaster** out) {
  return guarded([&] {
    require(method, "method");
    require(out, "out");
    auto forecaster = std::make_unique<invf_forecaster>();
    forecaster->method = method;
    forecaster->options = options_or_defaults(options);
    forecaster->impl = make_forecaster(method, forecaster->options.forecast);
    *out = forecaster.release();
  });
}

invf_status* invf_forecaster_create_model(const invf_model* model, const invf_options* options,
                                          invf_forecaster** out) {
  return guarded([&] {
    require(model, "model");
    require(out, "out");
    require_forecasting_model(*model->runtime);
    auto forecaster = std::make_unique<invf_forecaster>();
    forecaster->method = "model";
    forecaster->options = options_or_defaults(options);
    // A model runs on the backend its weights were prepared by: another backend asked for
    // here gets its own preparation of the same file.
    const kernels::BackendKind backend = forecaster->options.forecast.backend;
    forecaster->model = model->runtime->model().backend().kind() == backend
                            ? model->runtime
                            : std::make_shared<const ModelRuntime>(model->runtime->model().file(),
                                                                   kernels::backend_of(backend));
    *out = forecaster.release();
  });
}

void invf_forecaster_release(invf_forecaster* forecaster) { delete forecaster; }

invf_status* invf_forecaster_forecast(const invf_forecaster* forecaster,
                                      const invf_dataset* dataset, size_t horizon,
                                      invf_forecast** out) {
  return guarded([&] {
    require(forecaster, "forecaster");
    require(dataset, "dataset");
    require(out, "out");
    require_horizon(horizon);
    const Dataset& data = built_dataset(*dataset);
    auto result = std::make_unique<invf_forecast>();
    result->horizon = horizon;
    if (forecaster->model) {
      result->levels = forecaster->model->model().config().quantiles;
      result->series = forecast_with_model(*forecaster->model, forecaster->options, data, horizon);
    } else {
      result->levels = forecaster->options.forecast.quantiles;
      result->series =
          forecast_every_series(*forecaster->impl, forecaster->options, data, horizon);
    }
    result->series_ids.reserve(data.series.size());
    result->start_days.reserve(data.series.size());
    for (size_t s = 0; s < data.series.size(); ++s) {
      result->series_ids.push_back(data.series[s].id);
      result->start_days.push_back(data.series[s].end_day() + 1);
      if (!result->series[s].warning.empty()) result->warnings.push_back(result->series[s].warning);
    }
    *out = result.release();
  });
}

void invf_forecast_release(invf_forecast* forecast) { delete forecast; }

invf_status* invf_forecast_series_count(const invf_forecast* forecast, size_t* out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    *out = f.series.size();
  });
}

invf_status* invf_forecast_horizon(const invf_forecast* forecast, size_t* out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    *out = f.horizon;
  });
}

invf_status* invf_forecast_quantile_count(const invf_forecast* forecast, size_t* out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    *out = f.levels.size();
  });
}

invf_status* invf_forecast_quantile_levels(const invf_forecast* forecast, double* buffer,
                                           size_t capacity) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(buffer, "buffer");
    require_capacity(capacity, f.levels.size(), "the quantile levels");
    std::copy(f.levels.begin(), f.levels.end(), buffer);
  });
}

invf_status* invf_forecast_series_id(const invf_forecast* forecast, size_t series,
                                     const char** out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    *out = f.series_ids[series_index(f, series)].c_str();
  });
}

invf_status* invf_forecast_start_date(const invf_forecast* forecast, size_t series,
                                      char out[INVF_DATE_BUFFER]) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    format_iso_date(f.start_days[series_index(f, series)], out);
  });
}

invf_status* invf_forecast_method(const invf_forecast* forecast, size_t series,
                                  const char** method, const char** interval_method) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(method, "method");
    require(interval_method, "interval_method");
    const SeriesForecast& result = f.series[series_index(f, series)];
    *method = result.method.c_str();
    *interval_method = result.interval_method.c_str();
  });
}

invf_status* invf_forecast_mean(const invf_forecast* forecast, size_t series, double* buffer,
                                size_t capacity) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(buffer, "buffer");
    const SeriesForecast& result = f.series[series_index(f, series)];
    require_capacity(capacity, result.mean.size(), "the mean forecast (horizon)");
    std::copy(result.mean.begin(), result.mean.end(), buffer);
  });
}

invf_status* invf_forecast_quantiles(const invf_forecast* forecast, size_t series,
                                     double* buffer, size_t capacity) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(buffer, "buffer");
    const SeriesForecast& result = f.series[series_index(f, series)];
    require_capacity(capacity, result.quantiles.size(),
                     "the quantiles (horizon * quantile count)");
    std::copy(result.quantiles.begin(), result.quantiles.end(), buffer);
  });
}

invf_status* invf_forecast_write_csv(const invf_forecast* forecast, const char* path) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(path, "path");
    write_csv(f, path);
  });
}

invf_status* invf_forecast_warning_count(const invf_forecast* forecast, size_t* out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    *out = f.warnings.size();
  });
}

invf_status* invf_forecast_warning(const invf_forecast* forecast, size_t index,
                                   const char** out) {
  return guarded([&] {
    const invf_forecast& f = forecast_ref(forecast);
    require(out, "out");
    require_index(index, f.warnings.size(), "warning");
    *out = f.warnings[index].c_str();
  });
}

}  // extern "C"
