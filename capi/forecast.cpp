// invf_forecaster and invf_forecast: fitting every series and reading results.
#include <algorithm>

#include "boundary.hpp"
#include "handles.hpp"
#include "methods/ensemble.hpp"
#include "methods/forecaster.hpp"

namespace invforecast::capi {
namespace {

const invf_forecast& forecast_ref(const invf_forecast* forecast) {
  require(forecast, "forecast");
  return *forecast;
}

size_t series_index(const invf_forecast& forecast, size_t series) {
  require_index(series, forecast.series.size(), "series");
  return series;
}

}  // namespace

std::shared_ptr<const ModelRuntime> runtime_on(const invf_model& model,
                                               kernels::BackendKind backend) {
  require_forecasting_model(*model.runtime);
  return model.runtime->model().backend().kind() == backend
             ? model.runtime
             : std::make_shared<const ModelRuntime>(model.runtime->model().file(),
                                                    kernels::backend_of(backend));
}

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
    forecaster->options = options_for(options, "invf_forecaster_create", kForecastDomain);
    forecaster->impl = make_forecaster(method, forecaster->options.forecast);
    *out = forecaster.release();
  });
}

invf_status* invf_forecaster_create_model(const invf_model* model, const invf_options* options,
                                          invf_forecaster** out) {
  return guarded([&] {
    require(model, "model");
    require(out, "out");
    auto forecaster = std::make_unique<invf_forecaster>();
    forecaster->method = "model";
    forecaster->options = options_for(options, "invf_forecaster_create_model", kForecastDomain);
    forecaster->model = runtime_on(*model, forecaster->options.forecast.backend);
    *out = forecaster.release();
  });
}

invf_status* invf_forecaster_create_ensemble(const invf_model* model, const invf_options* options,
                                             invf_forecaster** out) {
  return guarded([&] {
    require(out, "out");
    auto forecaster = std::make_unique<invf_forecaster>();
    forecaster->method = "ensemble";
    forecaster->options = options_for(options, "invf_forecaster_create_ensemble", kForecastDomain);
    ForecastOptions& settings = forecaster->options.forecast;
    std::shared_ptr<const ModelRuntime> runtime;
    if (model != nullptr) {
      runtime = runtime_on(*model, settings.backend);
      // Every member forecasts the model's levels; levels asked for explicitly must be those.
      const std::vector<std::string>& keys = forecaster->options.keys_set();
      if (std::find(keys.begin(), keys.end(), "quantiles") == keys.end())
        settings.quantiles = runtime->model().config().quantiles;
    }
    forecaster->impl = make_ensemble(settings, std::move(runtime));
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
    const Options& settings = forecaster->options;
    *out = new invf_forecast{
        forecaster->model ? forecast_dataset_with_model(*forecaster->model, settings.forecast,
                                                        settings.progress, data, horizon)
                          : forecast_dataset(*forecaster->impl, settings.forecast,
                                             settings.progress, data, horizon)};
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
    write_forecast_csv(f, path);
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
