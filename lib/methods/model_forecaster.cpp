#include "methods/model_forecaster.hpp"

#include <algorithm>

#include "error.hpp"

namespace invforecast {

void require_model_horizon(const ModelConfig& config, size_t horizon) {
  const auto model_horizon = static_cast<size_t>(config.horizon);
  if (horizon > model_horizon)
    fail(ErrorCode::InvalidArgument,
         "horizon {} exceeds the model's horizon of {} days (the model forecasts no further)",
         horizon, model_horizon);
}

std::vector<float> model_mean_buffer(const ModelConfig& config, size_t series) {
  return config.head == HeadKind::Quantile
             ? std::vector<float>{}
             : std::vector<float>(series * static_cast<size_t>(config.horizon));
}

std::string short_history_warning(std::string_view series_id, size_t days, size_t context_length,
                                  bool strict) {
  if (days >= context_length) return {};
  if (strict)
    fail(ErrorCode::SeriesTooShort,
         "series '{}' has {} days of history; the model reads the last {} (strict mode)",
         series_id, days, context_length);
  return fmt::format(
      "series '{}': {} days of history, fewer than the model's context of {}; left-padded with "
      "{} days of zero sales",
      series_id, days, context_length, context_length - days);
}

void set_model_forecast(const float* out, const float* mean, size_t horizon, size_t levels,
                        SeriesForecast& result) {
  result.method = "model";
  result.interval_method = mean ? "encoder distribution quantiles" : "encoder quantiles";
  result.mean.resize(horizon);
  result.quantiles.resize(horizon * levels);
  for (size_t d = 0; d < horizon; ++d) {
    double sum = 0.0;
    for (size_t q = 0; q < levels; ++q) {
      const double value = out[d * levels + q];
      result.quantiles[d * levels + q] = value;
      sum += value;
    }
    result.mean[d] = mean ? mean[d] : sum / static_cast<double>(levels);
  }
}

SeriesForecast ModelForecaster::forecast(const SeriesInput& input, size_t horizon) const {
  const ModelConfig& config = runtime_->model().config();
  require_model_horizon(config, horizon);
  const auto levels = static_cast<size_t>(config.num_quantiles());
  std::vector<float> context(static_cast<size_t>(config.context_length));
  fill_context(input.target, context);
  std::vector<float> out(static_cast<size_t>(config.horizon) * levels);
  CovariateArrays arrays;
  const bool with_covariates = runtime_->model().has_covariates();
  if (with_covariates) {
    const FeatureEncoder& features = runtime_->features();
    arrays.resize(features.sizes(), 1);
    features.encode(input, 0, arrays, static_cast<int64_t>(horizon));
  }
  const layers::CovariateBatch<float> batch = arrays.batch();
  std::vector<float> mean = model_mean_buffer(config, 1);
  float* mean_out = mean.empty() ? nullptr : mean.data();
  runtime_->forecast(1, context.data(), 1, out.data(), with_covariates ? &batch : nullptr,
                     {.mean = mean_out});
  SeriesForecast result;
  set_model_forecast(out.data(), mean_out, horizon, levels, result);
  return result;
}

}  // namespace invforecast
