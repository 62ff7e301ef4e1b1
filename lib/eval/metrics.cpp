#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace invforecast {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool usable_scale(double scale) { return std::isfinite(scale) && scale > 0.0; }

}  // namespace

double pinball_loss(double actual, double quantile, double level) {
  return actual >= quantile ? level * (actual - quantile) : (1.0 - level) * (quantile - actual);
}

size_t first_sale_index(std::span<const double> train) {
  const auto it = std::find_if(train.begin(), train.end(), [](double v) { return v > 0.0; });
  return static_cast<size_t>(it - train.begin());
}

double seasonal_scale(std::span<const double> train, size_t season) {
  const auto launched = train.subspan(first_sale_index(train));
  if (season == 0 || launched.size() <= season) return kNaN;
  double sum = 0.0;
  for (size_t t = season; t < launched.size(); ++t) sum += std::abs(launched[t] - launched[t - season]);
  return sum / static_cast<double>(launched.size() - season);
}

double squared_step_scale(std::span<const double> train) {
  const auto launched = train.subspan(first_sale_index(train));
  if (launched.size() < 2) return kNaN;
  double sum = 0.0;
  for (size_t t = 1; t < launched.size(); ++t) {
    const double step = launched[t] - launched[t - 1];
    sum += step * step;
  }
  return sum / static_cast<double>(launched.size() - 1);
}

double mase(std::span<const double> actual, std::span<const double> forecast, double scale) {
  if (actual.empty() || !usable_scale(scale)) return kNaN;
  double sum = 0.0;
  for (size_t t = 0; t < actual.size(); ++t) sum += std::abs(forecast[t] - actual[t]);
  return sum / static_cast<double>(actual.size()) / scale;
}

double rmsse(std::span<const double> actual, std::span<const double> forecast,
             double squared_scale) {
  if (actual.empty() || !usable_scale(squared_scale)) return kNaN;
  double sum = 0.0;
  for (size_t t = 0; t < actual.size(); ++t) {
    const double error = forecast[t] - actual[t];
    sum += error * error;
  }
  return std::sqrt(sum / static_cast<double>(actual.size()) / squared_scale);
}

double smape(std::span<const double> actual, std::span<const double> forecast) {
  if (actual.empty()) return kNaN;
  double sum = 0.0;
  for (size_t t = 0; t < actual.size(); ++t) {
    const double denominator = std::abs(actual[t]) + std::abs(forecast[t]);
    if (denominator > 0.0) sum += 2.0 * std::abs(forecast[t] - actual[t]) / denominator;
  }
  return 100.0 * sum / static_cast<double>(actual.size());
}

QuantileLossParts quantile_loss_parts(std::span<const double> actual,
                                      std::span<const double> quantiles,
                                      std::span<const double> levels) {
  QuantileLossParts parts;
  const size_t level_count = levels.size();
  for (size_t t = 0; t < actual.size(); ++t) {
    parts.abs_actual_sum += std::abs(actual[t]);
    for (size_t l = 0; l < level_count; ++l)
      parts.pinball_sum += pinball_loss(actual[t], quantiles[t * level_count + l], levels[l]);
  }
  return parts;
}

double weighted_quantile_loss(const QuantileLossParts& parts, size_t level_count) {
  if (level_count == 0 || !(parts.abs_actual_sum > 0.0)) return kNaN;
  return 2.0 * parts.pinball_sum / (static_cast<double>(level_count) * parts.abs_actual_sum);
}

double weighted_quantile_loss(std::span<const double> actual, std::span<const double> quantiles,
                              std::span<const double> levels) {
  return weighted_quantile_loss(quantile_loss_parts(actual, quantiles, levels), levels.size());
}

std::optional<IntervalLevels> coverage_interval(std::span<const double> levels) {
  if (levels.size() < 2) return std::nullopt;
  const auto find_level = [&](double wanted) -> std::optional<size_t> {
    for (size_t l = 0; l < levels.size(); ++l)
      if (std::abs(levels[l] - wanted) <= 1e-9) return l;
    return std::nullopt;
  };
  const auto lower = find_level(0.1);
  const auto upper = find_level(0.9);
  if (lower && upper) return IntervalLevels{*lower, *upper};
  return IntervalLevels{0, levels.size() - 1};
}

double coverage(std::span<const double> actual, std::span<const double> quantiles,
                size_t level_count, IntervalLevels interval) {
  if (actual.empty()) return kNaN;
  size_t inside = 0;
  for (size_t t = 0; t < actual.size(); ++t) {
    const double low = quantiles[t * level_count + interval.lower];
    const double high = quantiles[t * level_count + interval.upper];
    if (low <= actual[t] && actual[t] <= high) ++inside;
  }
  return static_cast<double>(inside) / static_cast<double>(actual.size());
}

double bias(std::span<const double> actual, std::span<const double> forecast) {
  if (actual.empty()) return kNaN;
  double sum = 0.0;
  for (size_t t = 0; t < actual.size(); ++t) sum += forecast[t] - actual[t];
  return sum / static_cast<double>(actual.size());
}

double recent_revenue(std::span<const double> train, std::span<const double> prices,
                      size_t days) {
  const size_t first = train.size() > days ? train.size() - days : 0;
  double revenue = 0.0;
  for (size_t t = first; t < train.size(); ++t)
    if (!std::isnan(prices[t])) revenue += prices[t] * train[t];
  return revenue;
}

double wrmsse(std::span<const double> rmsse_per_series, std::span<const double> weights) {
  double weighted = 0.0;
  double weight_sum = 0.0;
  for (size_t i = 0; i < rmsse_per_series.size(); ++i) {
    if (!std::isfinite(rmsse_per_series[i])) continue;
    weighted += weights[i] * rmsse_per_series[i];
    weight_sum += weights[i];
  }
  return weight_sum > 0.0 ? weighted / weight_sum : kNaN;
}

}  // namespace invforecast
