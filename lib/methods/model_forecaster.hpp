// A neural model as a forecaster: the model-as-Forecaster adapter for code
// that forecasts a series at a time (the backtest, the policy simulator),
// and the pieces it shares with the batched whole-dataset forecast
// (dataset_forecast.hpp).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "methods/forecaster.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

// Error(InvalidArgument) when `horizon` exceeds the model's horizon.
void require_model_horizon(const ModelConfig& config, size_t horizon);
// The model's input row for a series: its last row.size() days, left-padded
// with zeros (no sales before its first date) when shorter.
void fill_model_context(std::span<const double> history, std::span<float> row);
// A SeriesForecast from the model's output [model horizon, levels] of one
// series: its first `horizon` days; the mean is the average of the day's
// quantiles.  result.warning is left as it is.
void set_model_forecast(const float* out, size_t horizon, size_t levels, SeriesForecast& result);

// Forecasts one series with the encoder from the last context_length days of
// the history it is given, left-padded with zeros (no sales) when shorter.
// Quantile levels are the model's; the mean is the average of the day's
// quantiles (as forecast_dataset_with_model).  One thread per call: callers
// parallelise over series.
class ModelForecaster : public Forecaster {
 public:
  ModelForecaster(std::shared_ptr<const ModelRuntime> runtime, ModelBackend backend)
      : runtime_(std::move(runtime)), backend_(backend) {}

  std::string_view name() const override { return "model"; }
  size_t min_history() const override { return 1; }
  // Error(InvalidArgument) when horizon exceeds the model's horizon.
  SeriesForecast forecast(std::span<const double> history, size_t horizon) const override;
  const std::vector<double>& quantile_levels() const { return runtime_->model().config().quantiles; }

 private:
  std::shared_ptr<const ModelRuntime> runtime_;
  ModelBackend backend_;
};

}  // namespace invforecast
