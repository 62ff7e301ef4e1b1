// Method "ensemble": per series, a weighted average of its members'
// forecasts, the weights set by each member's error in a rolling-origin
// backtest on the series' own history.
//
// Members.  The model, when one is given (make_ensemble with a runtime: the
// CLI's --model, invf_forecaster_create_ensemble), first; then the built-in
// methods of ForecastOptions::ensemble_methods (default ets, tsb, snaive).
// A member that cannot forecast a series drops out for that series: one
// whose min_history() exceeds the series' days after launch, and one whose
// forecast (in an inner window or the final one) holds a non-finite value,
// which is also named in the forecast's warning.
//
// Error.  The inner backtest uses only the history it is given, which is the
// days before the forecast origin (in an outer backtest, before the outer
// window's origin: the caller cuts it with SeriesInput::before).  With n
// days, horizon H and W = ForecastOptions::ensemble_windows (default 3),
// window k = 1..W has its origin at n - k*H; the windows used are the most,
// up to W, at which every member that can forecast the series can also be
// fitted (n - k*H >= its min_history()).  A member's error is its mean
// pinball loss over those windows' days and the forecast quantile levels:
// on one series every member is scored on the same actuals, so this is the
// member's WQL there up to a factor common to all members, and it stays
// defined when those days sold nothing.
//
// Weights.  The ensemble_top members with the lowest error (default 2, 0 =
// all; ties go to the member listed first) are kept and weighted by inverse
// error,
// w_i = (1/e_i) / sum_j (1/e_j); members with zero error (an exact fit)
// share the weight equally, the limit of inverse error.  With no usable
// window (n - H below the most demanding member's min_history), every
// member that can forecast the series gets the same weight.  A kept member
// whose final forecast fails is replaced by the next best.
//
// Combination.  Mean and quantiles are the weighted averages of the kept
// members', level by level (quantile averaging).  Weights are >= 0 and sum
// to 1 and every member's quantiles are >= 0 and non-decreasing in the
// level, so the ensemble's are too: each level is a sum of the same
// weights times larger-or-equal values, accumulated in the same order, and
// rounding is monotone.  The method reads "ensemble:ets=0.52,tsb=0.48"
// (kept members with their weights, in member order), the interval method
// "weighted quantile average".
//
// Deterministic: the result depends on the series, the options and the
// members alone (no sampling; the model's forecast is bit-identical for
// any thread count).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "methods/forecaster.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

// What the ensemble found for one series.
struct EnsembleResult {
  SeriesForecast forecast;
  size_t windows = 0;  // inner windows scored (0: equal weights)
  // [member] mean pinball loss over the windows; +inf for a member that
  // dropped out (or for all, when no window was scored).
  std::vector<double> error;
  // [member] weight in the forecast; 0 for a member left out.  Sums to 1.
  std::vector<double> weight;
};

class EnsembleForecaster final : public Forecaster {
 public:
  // Members forecast options.quantiles' levels.  Error(InvalidArgument)
  // without members.
  EnsembleForecaster(std::vector<std::unique_ptr<Forecaster>> members, const ForecastOptions& options);

  std::string_view name() const override { return "ensemble"; }
  // The least demanding member's.
  size_t min_history() const override;
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override;
  // The forecast with the scores and weights behind it.  Error(Data) when
  // no member can forecast the series.
  EnsembleResult forecast_with_weights(const SeriesInput& input, size_t horizon) const;

  const std::vector<std::unique_ptr<Forecaster>>& members() const { return members_; }

 private:
  std::vector<std::unique_ptr<Forecaster>> members_;
  ForecastOptions options_;
};

// The ensemble of `model` (may be null) and options.ensemble_methods.
// Error(InvalidArgument) for an unknown member name, an empty member list
// without a model, or, with a model, options.quantiles other than the
// model's levels (every member must forecast the same levels).
std::unique_ptr<EnsembleForecaster> make_ensemble(const ForecastOptions& options,
                                                  std::shared_ptr<const ModelRuntime> model);

}  // namespace invforecast
