// Croston, SBA and TSB for intermittent demand.  Their forecast is a flat
// demand rate with no closed-form error distribution, so quantiles are
// "empirical residuals by horizon": the method is run once through the
// history, its flat forecast at every origin is compared with the next H
// days, and the quantiles of those errors per horizon are added to the
// forecast.  The history starts at the first sale, so day 0 is a demand.
#include <algorithm>

#include "methods/builtin.hpp"
#include "methods/quantiles.hpp"

namespace invforecast {
namespace {

// Rolling origins used for the empirical quantiles: the last year of days
// keeps the errors recent and the cost linear in H.
constexpr size_t kMaxOrigins = 364;

// Classic Croston smoothing constant for both demand size and interval
// (Croston 1972; the value most studies use for daily retail data).
constexpr double kCrostonAlpha = 0.1;
// TSB: demand probability is updated every day, the size on demand days;
// 0.1 for both keeps them on the same time scale as Croston's.
constexpr double kTsbProbabilityAlpha = 0.1;
constexpr double kTsbSizeAlpha = 0.1;

// flat[t] = rate forecast after the first t days (t >= 1).
std::vector<double> croston_path(std::span<const double> history, double alpha, double bias_factor) {
  const size_t n = history.size();
  std::vector<double> flat(n + 1, 0.0);
  // Both smoothers start at their first observation: size y[0] and the
  // interval 1 (the launch day itself is a demand).
  double size = history[0];
  double interval = 1.0;
  size_t since_demand = 0;
  flat[1] = bias_factor * size / interval;
  for (size_t t = 1; t < n; ++t) {
    ++since_demand;
    if (history[t] > 0.0) {
      size += alpha * (history[t] - size);
      interval += alpha * (static_cast<double>(since_demand) - interval);
      since_demand = 0;
    }
    flat[t + 1] = bias_factor * size / interval;
  }
  return flat;
}

std::vector<double> tsb_path(std::span<const double> history) {
  const size_t n = history.size();
  std::vector<double> flat(n + 1, 0.0);
  // Start from the launch day: a demand of size y[0] with probability 1.
  double probability = 1.0;
  double size = history[0];
  flat[1] = probability * size;
  for (size_t t = 1; t < n; ++t) {
    const bool demand = history[t] > 0.0;
    probability += kTsbProbabilityAlpha * ((demand ? 1.0 : 0.0) - probability);
    if (demand) size += kTsbSizeAlpha * (history[t] - size);
    flat[t + 1] = probability * size;
  }
  return flat;
}

enum class Variant { Croston, Sba, Tsb };

class Intermittent final : public Forecaster {
 public:
  Intermittent(Variant variant, const ForecastOptions& options)
      : variant_(variant), levels_(options.quantiles) {}
  std::string_view name() const override {
    switch (variant_) {
      case Variant::Croston: return "croston";
      case Variant::Sba: return "sba";
      case Variant::Tsb: return "tsb";
    }
    return "";
  }
  // Two days: one update after the launch day, so the rate is not only the
  // launch-day sale.
  size_t min_history() const override { return 2; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    std::vector<double> flat;
    switch (variant_) {
      case Variant::Croston: flat = croston_path(history, kCrostonAlpha, 1.0); break;
      // Syntetos-Boylan: Croston's rate times (1 - alpha/2) removes its bias.
      case Variant::Sba: flat = croston_path(history, kCrostonAlpha, 1.0 - kCrostonAlpha / 2.0); break;
      case Variant::Tsb: flat = tsb_path(history); break;
    }
    SeriesForecast out;
    out.method = std::string(name());
    out.interval_method = kEmpiricalResiduals;
    out.mean.assign(horizon, flat[history.size()]);
    const HorizonErrors errors = flat_forecast_errors(history, flat, horizon, kMaxOrigins);
    out.quantiles = errors.quantiles(out.mean, levels_);
    return out;
  }

 private:
  Variant variant_;
  std::vector<double> levels_;
};

}  // namespace

std::unique_ptr<Forecaster> make_croston(const ForecastOptions& options) {
  return std::make_unique<Intermittent>(Variant::Croston, options);
}
std::unique_ptr<Forecaster> make_sba(const ForecastOptions& options) {
  return std::make_unique<Intermittent>(Variant::Sba, options);
}
std::unique_ptr<Forecaster> make_tsb(const ForecastOptions& options) {
  return std::make_unique<Intermittent>(Variant::Tsb, options);
}

}  // namespace invforecast
