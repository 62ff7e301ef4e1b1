// Quantile construction shared by the built-in methods: Gaussian intervals
// from an h-step standard deviation ("analytic normal") and empirical
// quantiles of in-sample h-step errors ("empirical residuals by horizon").
// Both end in make_quantiles_valid(), so every method's quantiles are >= 0
// and non-decreasing in the level by construction.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace invforecast {

inline constexpr const char* kAnalyticNormal = "analytic normal";
inline constexpr const char* kEmpiricalResiduals = "empirical residuals by horizon";

// Inverse of the standard normal CDF for p in (0, 1).
double standard_normal_quantile(double p);

// Clamps at zero, then takes the running maximum over levels within each day.
void make_quantiles_valid(std::vector<double>& quantiles, size_t horizon, size_t levels);

// quantiles[d * L + q] = mean[d] + z(levels[q]) * sd[d], made valid.
std::vector<double> normal_quantiles(std::span<const double> mean, std::span<const double> sd,
                                     std::span<const double> levels);

// Sample quantile with linear interpolation between order statistics (R's
// type 7).  Reorders `sample`; it must not be empty.
double sample_quantile(std::vector<double>& sample, double level);

// In-sample h-step errors collected from rolling origins: errors[h-1] holds
// actual - forecast for every origin that had h days left in the history.
class HorizonErrors {
 public:
  explicit HorizonErrors(size_t horizon) : errors_(horizon) {}
  size_t horizon() const { return errors_.size(); }
  void add(size_t step, double error) { errors_[step].push_back(error); }

  // Quantiles = mean + empirical error quantile per horizon, made valid.  A
  // horizon with fewer than kMinErrors errors borrows the errors of the
  // longest horizon that has enough, widened by sqrt(h / h_borrowed) as for a
  // random walk; with no such horizon, every quantile is the mean.
  std::vector<double> quantiles(std::span<const double> mean, std::span<const double> levels) const;

  static constexpr size_t kMinErrors = 10;

 private:
  std::vector<std::vector<double>> errors_;
};

// Errors of a method whose forecast from each origin is flat: flat[t] is the
// forecast for every day after the first t days of `history` (t = 1..n-1;
// flat[0] is unused).  Origins are the last `max_origins` ones.
HorizonErrors flat_forecast_errors(std::span<const double> history, std::span<const double> flat,
                                   size_t horizon, size_t max_origins);

}  // namespace invforecast
