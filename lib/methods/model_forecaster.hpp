// A neural model as a forecaster: the model-as-Forecaster adapter for code
// that forecasts a series at a time (the backtest, the policy simulator),
// and the pieces it shares with the batched whole-dataset forecast
// (dataset_forecast.hpp).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.hpp"
#include "methods/forecaster.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

// Error(InvalidArgument) when `horizon` exceeds the model's horizon.
void require_model_horizon(const ModelConfig& config, size_t horizon);
// The warning for a series of `days` days of history, fewer than the
// model's context, which is left-padded with zeros; empty when the history
// covers the context.  Under `strict`, Error(SeriesTooShort) instead.
std::string short_history_warning(std::string_view series_id, size_t days, size_t context_length,
                                  bool strict);
// A SeriesForecast from the model's output [model horizon, levels] of one
// series: its first `horizon` days; the mean is the model's own, mean [model
// horizon] (a negbin head's), or with mean null the average of the day's
// quantiles.  result.warning is left as it is.
void set_model_forecast(const float* out, const float* mean, size_t horizon, size_t levels,
                        SeriesForecast& result);
// A buffer for the model's own mean of `series` series (negbin head), or
// empty when the model has none: pass data() (null when empty) on.
std::vector<float> model_mean_buffer(const ModelConfig& config, size_t series);

// Forecasts one series with the encoder from the last context_length days of
// the history it is given, left-padded with zeros (no sales) when shorter.
// Quantile levels are the model's; the mean is the model's own or the
// average of the day's quantiles (as forecast_dataset_with_model).  One thread per call: callers
// parallelise over series.
class ModelForecaster : public Forecaster {
 public:
  explicit ModelForecaster(std::shared_ptr<const ModelRuntime> runtime)
      : runtime_(std::move(runtime)) {}

  std::string_view name() const override { return "model"; }
  size_t min_history() const override { return 1; }
  // Error(InvalidArgument) when horizon exceeds the model's horizon.
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override;
  // The model reads its context on the calendar: closed days stay in it.
  bool reads_calendar() const override { return true; }
  const std::vector<double>& quantile_levels() const { return runtime_->model().config().quantiles; }

 private:
  std::shared_ptr<const ModelRuntime> runtime_;
};

}  // namespace invforecast
