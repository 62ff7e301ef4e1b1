// Reference formulas for the inventory tests, written independently of
// lib/inventory: the normal inverse CDF (Acklam's rational approximation),
// normal and Poisson quantile forecasts, the standard normal loss function,
// and a second implementation of the documented daily quantile function.
#pragma once

#include <cmath>
#include <numbers>
#include <vector>

#include "inventory/demand_distribution.hpp"

namespace inventory_test {

inline double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }
inline double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }
// G(z) = E[(Z - z)^+] for a standard normal Z.
inline double normal_loss(double z) { return normal_pdf(z) - z * (1.0 - normal_cdf(z)); }

// Acklam's approximation (relative error < 1.2e-9), then one Newton step.
inline double normal_quantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  const double tail_split = 0.02425;
  double x;
  if (p < tail_split || p > 1.0 - tail_split) {
    const double q = std::sqrt(-2.0 * std::log(p < 0.5 ? p : 1.0 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    if (p > 0.5) x = -x;
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  return x - (normal_cdf(x) - p) / normal_pdf(x);
}

// Levels step, 2 step, ... strictly below 1.
inline std::vector<double> level_grid(double step) {
  std::vector<double> levels;
  for (int i = 1; i * step < 1.0 - 1e-12; ++i) levels.push_back(i * step);
  return levels;
}

// Every day Normal(mean, sd), clamped at 0 (the tests keep mean >> sd).
inline invforecast::DailyQuantiles normal_forecast(double mean, double sd, size_t horizon,
                                                   const std::vector<double>& levels) {
  invforecast::DailyQuantiles forecast{levels, {}};
  for (size_t day = 0; day < horizon; ++day)
    for (double p : levels) forecast.values.push_back(std::max(0.0, mean + sd * normal_quantile(p)));
  return forecast;
}

// Smallest k with P(Poisson(mean) <= k) >= level.
inline double poisson_quantile(double mean, double level) {
  double term = std::exp(-mean);
  double cumulative = term;
  int k = 0;
  while (cumulative < level) {
    ++k;
    term *= mean / k;
    cumulative += term;
  }
  return k;
}

inline invforecast::DailyQuantiles poisson_forecast(double mean, size_t horizon,
                                                    const std::vector<double>& levels) {
  invforecast::DailyQuantiles forecast{levels, {}};
  for (size_t day = 0; day < horizon; ++day)
    for (double p : levels) forecast.values.push_back(poisson_quantile(mean, p));
  return forecast;
}

// The documented daily quantile function, written as a plain scan: linear
// between levels, the first segment extended to level 0 and clamped at 0,
// an exponential tail with continuous slope above the top level.
inline double reference_quantile(const std::vector<double>& levels, const double* values, double u) {
  const size_t k = levels.size();
  if (u < levels[0]) {
    const double at_zero = values[0] - levels[0] * (values[1] - values[0]) / (levels[1] - levels[0]);
    const double value = at_zero + u / levels[0] * (values[0] - at_zero);
    return value < 0.0 ? 0.0 : value;
  }
  for (size_t i = 1; i < k; ++i)
    if (u <= levels[i])
      return values[i - 1] + (values[i] - values[i - 1]) * (u - levels[i - 1]) / (levels[i] - levels[i - 1]);
  const double top_slope = (values[k - 1] - values[k - 2]) / (levels[k - 1] - levels[k - 2]);
  // Exponential tail: P(D > q_K + t | D > q_K) = exp(-t / mean_excess).
  const double mean_excess = top_slope * (1.0 - levels[k - 1]);
  return values[k - 1] - mean_excess * std::log((1.0 - u) / (1.0 - levels[k - 1]));
}

}  // namespace inventory_test
