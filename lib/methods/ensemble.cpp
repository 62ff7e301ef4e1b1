#include "methods/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "error.hpp"
#include "eval/metrics.hpp"
#include "methods/builtin.hpp"
#include "methods/model_forecaster.hpp"

namespace invforecast {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

bool all_finite(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// A member's forecast, checked: false for a non-finite value; Error(Internal)
// for a wrong size (a bug, not a failure on this series).
bool usable(const SeriesForecast& forecast, std::string_view member, size_t horizon,
            size_t levels) {
  if (forecast.mean.size() != horizon || forecast.quantiles.size() != horizon * levels)
    fail(ErrorCode::Internal,
         "ensemble member '{}' returned {} means and {} quantiles, expected {} and {}", member,
         forecast.mean.size(), forecast.quantiles.size(), horizon, horizon * levels);
  return all_finite(forecast.mean) && all_finite(forecast.quantiles);
}

// Inverse-error weights over `kept` (indices into error, each error finite
// when `scored`); zero errors share the weight equally; equal weights when
// nothing was scored.
std::vector<double> inverse_error_weights(const std::vector<double>& error,
                                          const std::vector<size_t>& kept, bool scored) {
  std::vector<double> weight(error.size(), 0.0);
  const bool exact = std::any_of(kept.begin(), kept.end(), [&](size_t m) { return error[m] == 0.0; });
  double total = 0.0;
  for (size_t m : kept) {
    weight[m] = !scored ? 1.0 : exact ? (error[m] == 0.0 ? 1.0 : 0.0) : 1.0 / error[m];
    total += weight[m];
  }
  for (double& w : weight) w /= total;
  return weight;
}

}  // namespace

EnsembleForecaster::EnsembleForecaster(std::vector<std::unique_ptr<Forecaster>> members,
                                       const ForecastOptions& options)
    : members_(std::move(members)), options_(options) {
  if (members_.empty()) fail(ErrorCode::InvalidArgument, "method 'ensemble' needs at least one member");
}

size_t EnsembleForecaster::min_history() const {
  size_t least = std::numeric_limits<size_t>::max();
  for (const auto& member : members_) least = std::min(least, member->min_history());
  return least;
}

SeriesForecast EnsembleForecaster::forecast(const SeriesInput& input, size_t horizon) const {
  return forecast_with_weights(input, horizon).forecast;
}

EnsembleResult EnsembleForecaster::forecast_with_weights(const SeriesInput& input,
                                                         size_t horizon) const {
  const std::span<const double> history = input.target;
  const std::span<const double> levels(options_.quantiles);
  const size_t n = history.size();
  const size_t count = members_.size();
  std::vector<std::string> warnings;
  auto drop = [&](size_t m, std::string_view where) {
    warnings.push_back(fmt::format("ensemble member '{}' gave non-finite values {} for series '{}': left out",
                                   members_[m]->name(), where, input.id));
  };

  std::vector<bool> eligible(count);
  size_t most_demanding = 0;
  for (size_t m = 0; m < count; ++m) {
    eligible[m] = members_[m]->min_history() <= n;
    if (eligible[m]) most_demanding = std::max(most_demanding, members_[m]->min_history());
  }
  if (most_demanding == 0)
    fail(ErrorCode::Data, "series '{}': {} days, too short for every ensemble member", input.id, n);

  EnsembleResult result;
  for (size_t k = 1; k <= static_cast<size_t>(options_.ensemble_windows); ++k) {
    if (horizon == 0 || n < k * horizon + most_demanding) break;
    result.windows = k;
  }

  // Inner backtest: the same windows for every eligible member.
  result.error.assign(count, kInfinity);
  for (size_t m = 0; m < count && result.windows > 0; ++m) {
    if (!eligible[m]) continue;
    double pinball = 0.0;
    for (size_t k = 1; k <= result.windows && eligible[m]; ++k) {
      const size_t origin = n - k * horizon;
      const SeriesForecast window = members_[m]->forecast(input.before(origin, horizon), horizon);
      if (!usable(window, members_[m]->name(), horizon, levels.size())) {
        drop(m, fmt::format("in inner window {}", k));
        eligible[m] = false;
      } else {
        pinball += quantile_loss_parts(history.subspan(origin, horizon), window.quantiles, levels)
                       .pinball_sum;
      }
    }
    if (eligible[m])
      result.error[m] = pinball / static_cast<double>(result.windows * horizon * levels.size());
  }

  // Candidates best first (member order among equals; all eligible ones,
  // equally, without windows); the first `top` whose final forecast works are kept.
  std::vector<size_t> order;
  for (size_t m = 0; m < count; ++m)
    if (eligible[m]) order.push_back(m);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return result.error[a] < result.error[b]; });
  const size_t top = result.windows > 0 && options_.ensemble_top > 0
                         ? static_cast<size_t>(options_.ensemble_top)
                         : count;
  std::vector<size_t> kept;
  std::vector<SeriesForecast> finals(count);
  for (size_t m : order) {
    if (kept.size() == top) break;
    finals[m] = members_[m]->forecast(input, horizon);
    if (!usable(finals[m], members_[m]->name(), horizon, levels.size())) {
      drop(m, "in its forecast");
      result.error[m] = kInfinity;
      continue;
    }
    kept.push_back(m);
  }
  if (kept.empty())
    fail(ErrorCode::Data, "series '{}': no ensemble member gave a finite forecast", input.id);
  result.weight = inverse_error_weights(result.error, kept, result.windows > 0);

  SeriesForecast& out = result.forecast;
  out.mean.assign(horizon, 0.0);
  out.quantiles.assign(horizon * levels.size(), 0.0);
  out.method = "ensemble:";
  out.interval_method = "weighted quantile average";
  std::sort(kept.begin(), kept.end());  // accumulation and naming in member order
  for (size_t m : kept) {
    const double w = result.weight[m];
    if (w == 0.0) continue;  // beside an exact fit
    for (size_t i = 0; i < out.mean.size(); ++i) out.mean[i] += w * finals[m].mean[i];
    for (size_t i = 0; i < out.quantiles.size(); ++i) out.quantiles[i] += w * finals[m].quantiles[i];
    out.method += fmt::format("{}{}={:.2f}", out.method.back() == ':' ? "" : ",", members_[m]->name(), w);
  }
  out.warning = fmt::format("{}", fmt::join(warnings, "; "));
  return result;
}

std::unique_ptr<EnsembleForecaster> make_ensemble(const ForecastOptions& options,
                                                  std::shared_ptr<const ModelRuntime> model) {
  std::vector<std::unique_ptr<Forecaster>> members;
  if (model) {
    const std::vector<double>& levels = model->model().config().quantiles;
    if (levels != options.quantiles)
      fail(ErrorCode::InvalidArgument,
           "an ensemble with a model forecasts the model's quantile levels {}; option 'quantiles' "
           "asks for {}",
           fmt::join(levels, ","), fmt::join(options.quantiles, ","));
    members.push_back(std::make_unique<ModelForecaster>(std::move(model)));
  }
  for (const std::string& name : options.ensemble_methods) {
    if (name == "ensemble" || name == "model")
      fail(ErrorCode::InvalidArgument, "'{}' cannot be a member of ensemble_methods{}", name,
           name == "model" ? " (the model joins when one is given)" : "");
    members.push_back(make_forecaster(name, options));
  }
  if (members.empty())
    fail(ErrorCode::InvalidArgument, "method 'ensemble' needs a model or at least one method in ensemble_methods");
  return std::make_unique<EnsembleForecaster>(std::move(members), options);
}

std::unique_ptr<Forecaster> make_ensemble(const ForecastOptions& options) {
  return make_ensemble(options, nullptr);
}

}  // namespace invforecast
