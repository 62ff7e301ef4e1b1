// Naive, seasonal naive and moving average.  All three use "analytic
// normal" intervals: their h-step error variance has a closed form under
// the model each one assumes (random walk, seasonal random walk, i.i.d.
// noise around a local mean), with the noise variance estimated from the
// method's own in-sample one-step errors.
#include <algorithm>
#include <cmath>

#include "methods/builtin.hpp"
#include "methods/closed_days.hpp"
#include "methods/quantiles.hpp"

namespace invforecast {
namespace {

SeriesForecast gaussian_forecast(std::string_view name, std::vector<double> mean,
                                 const std::vector<double>& sd, std::span<const double> levels) {
  SeriesForecast out;
  out.method = std::string(name);
  out.interval_method = kAnalyticNormal;
  out.quantiles = normal_quantiles(mean, sd, levels);
  out.mean = std::move(mean);
  return out;
}

// Random walk: y_{n+h} = y_n + sum of h steps, so var(h) = h * sigma^2 with
// sigma^2 the mean squared one-step difference.
class Naive final : public Forecaster {
 public:
  explicit Naive(const ForecastOptions& options) : levels_(options.quantiles) {}
  std::string_view name() const override { return "naive"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    const size_t n = history.size();
    double sum_squares = 0.0;
    for (size_t t = 1; t < n; ++t) sum_squares += (history[t] - history[t - 1]) * (history[t] - history[t - 1]);
    const double sigma = n > 1 ? std::sqrt(sum_squares / static_cast<double>(n - 1)) : 0.0;
    std::vector<double> mean(horizon, history[n - 1]);
    std::vector<double> sd(horizon);
    for (size_t h = 0; h < horizon; ++h) sd[h] = sigma * std::sqrt(static_cast<double>(h + 1));
    return gaussian_forecast(name(), std::move(mean), sd, levels_);
  }

 private:
  std::vector<double> levels_;
};

// Seasonal random walk: day h repeats the same weekday of the last season;
// it is k = ceil(h / m) seasonal steps away, so var(h) = k * sigma^2 with
// sigma^2 the mean squared seasonal difference.
class SeasonalNaive final : public Forecaster {
 public:
  explicit SeasonalNaive(const ForecastOptions& options)
      : options_(options), season_(static_cast<size_t>(options.season_length)) {}
  std::string_view name() const override { return "snaive"; }
  std::unique_ptr<Forecaster> on_open_days(const OpenCalendar& calendar) const override {
    return make_seasonal_naive(open_day_options(options_, calendar));
  }
  size_t min_history() const override { return season_; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    const size_t n = history.size();
    double sum_squares = 0.0;
    for (size_t t = season_; t < n; ++t) {
      const double diff = history[t] - history[t - season_];
      sum_squares += diff * diff;
    }
    const double sigma = n > season_ ? std::sqrt(sum_squares / static_cast<double>(n - season_)) : 0.0;
    std::vector<double> mean(horizon), sd(horizon);
    for (size_t h = 0; h < horizon; ++h) {
      mean[h] = history[n - season_ + h % season_];
      sd[h] = sigma * std::sqrt(static_cast<double>(h / season_ + 1));
    }
    return gaussian_forecast(name(), std::move(mean), sd, options_.quantiles);
  }

 private:
  ForecastOptions options_;
  size_t season_;
};

// Mean of the last w days.  If days are i.i.d. around a local mean, the
// error of that forecast has the same variance at every horizon,
// sigma_y^2 (1 + 1/w), which is what the one-step in-sample errors
// estimate directly; with no in-sample error yet (n == w) it is taken from
// the window's own variance times (1 + 1/w).
class MovingAverage final : public Forecaster {
 public:
  explicit MovingAverage(const ForecastOptions& options)
      : options_(options), window_(static_cast<size_t>(options.ma_window)) {}
  std::string_view name() const override { return "ma"; }
  std::unique_ptr<Forecaster> on_open_days(const OpenCalendar& calendar) const override {
    return make_moving_average(open_day_options(options_, calendar));
  }
  size_t min_history() const override { return window_; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    const size_t n = history.size();
    const double w = static_cast<double>(window_);
    double window_sum = 0.0;
    for (size_t t = 0; t < window_; ++t) window_sum += history[t];
    double sum_squares = 0.0;
    for (size_t t = window_; t < n; ++t) {
      const double error = history[t] - window_sum / w;
      sum_squares += error * error;
      window_sum += history[t] - history[t - window_];
    }
    const double level = window_sum / w;
    double variance = 0.0;
    if (n > window_) {
      variance = sum_squares / static_cast<double>(n - window_);
    } else if (window_ > 1) {
      double squares = 0.0;
      for (size_t t = n - window_; t < n; ++t) squares += (history[t] - level) * (history[t] - level);
      variance = squares / (w - 1.0) * (1.0 + 1.0 / w);
    }
    std::vector<double> mean(horizon, level);
    std::vector<double> sd(horizon, std::sqrt(variance));
    return gaussian_forecast(name(), std::move(mean), sd, options_.quantiles);
  }

 private:
  ForecastOptions options_;
  size_t window_;
};

}  // namespace

std::unique_ptr<Forecaster> make_naive(const ForecastOptions& options) {
  return std::make_unique<Naive>(options);
}
std::unique_ptr<Forecaster> make_seasonal_naive(const ForecastOptions& options) {
  return std::make_unique<SeasonalNaive>(options);
}
std::unique_ptr<Forecaster> make_moving_average(const ForecastOptions& options) {
  return std::make_unique<MovingAverage>(options);
}

}  // namespace invforecast
