#include "methods/model_forecaster.hpp"

#include <algorithm>

#include "core/error.hpp"

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

}  // namespace invforecast
