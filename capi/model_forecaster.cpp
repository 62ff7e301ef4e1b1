#include "model_forecaster.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace invforecast::capi {

SeriesForecast ModelForecaster::forecast(std::span<const double> history, size_t horizon) const {
  const ModelConfig& config = runtime_->model().config();
  const auto model_horizon = static_cast<size_t>(config.horizon);
  if (horizon > model_horizon)
    fail(ErrorCode::InvalidArgument,
         "horizon {} exceeds the model's horizon of {} days (the model forecasts no further)",
         horizon, model_horizon);
  const auto context_length = static_cast<size_t>(config.context_length);
  const auto levels = static_cast<size_t>(config.num_quantiles());

  std::vector<float> context(context_length, 0.0f);
  const size_t kept = std::min(history.size(), context_length);
  std::transform(history.end() - static_cast<ptrdiff_t>(kept), history.end(),
                 context.end() - static_cast<ptrdiff_t>(kept),
                 [](double v) { return static_cast<float>(v); });
  std::vector<float> out(model_horizon * levels);
  runtime_->forecast(backend_, 1, context.data(), 1, out.data());

  SeriesForecast result;
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
  return result;
}

}  // namespace invforecast::capi
