#include "methods/quantiles.hpp"

#include <algorithm>
#include <cmath>

namespace invforecast {

double standard_normal_quantile(double p) {
  // Newton iterations on the CDF written with erfc, started from a logistic
  // approximation; converges to machine precision in a few steps for p in
  // [1e-12, 1 - 1e-12], far wider than any quantile level used here.
  const double clamped = std::clamp(p, 1e-12, 1.0 - 1e-12);
  double x = std::log(clamped / (1.0 - clamped)) / 1.702;
  for (int iteration = 0; iteration < 50; ++iteration) {
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    const double density = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
    const double step = (cdf - clamped) / density;
    x -= step;
    if (std::abs(step) < 1e-14 * (1.0 + std::abs(x))) break;
  }
  return x;
}

void make_quantiles_valid(std::vector<double>& quantiles, size_t horizon, size_t levels) {
  for (size_t d = 0; d < horizon; ++d) {
    double running = 0.0;
    for (size_t q = 0; q < levels; ++q) {
      double& value = quantiles[d * levels + q];
      if (!(value > running)) value = running;  // also replaces NaN
      running = value;
    }
  }
}

std::vector<double> normal_quantiles(std::span<const double> mean, std::span<const double> sd,
                                     std::span<const double> levels) {
  std::vector<double> z(levels.size());
  for (size_t q = 0; q < levels.size(); ++q) z[q] = standard_normal_quantile(levels[q]);
  std::vector<double> out(mean.size() * levels.size());
  for (size_t d = 0; d < mean.size(); ++d)
    for (size_t q = 0; q < levels.size(); ++q) out[d * levels.size() + q] = mean[d] + z[q] * sd[d];
  make_quantiles_valid(out, mean.size(), levels.size());
  return out;
}

double sample_quantile(std::vector<double>& sample, double level) {
  const double position = level * static_cast<double>(sample.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const double fraction = position - static_cast<double>(below);
  std::nth_element(sample.begin(), sample.begin() + below, sample.end());
  const double low = sample[below];
  if (fraction == 0.0 || below + 1 >= sample.size()) return low;
  const double high = *std::min_element(sample.begin() + below + 1, sample.end());
  return low + fraction * (high - low);
}

std::vector<double> HorizonErrors::quantiles(std::span<const double> mean,
                                             std::span<const double> levels) const {
  const size_t horizon = mean.size();
  const size_t n_levels = levels.size();
  std::vector<double> out(horizon * n_levels);
  size_t borrowed = horizon;  // index of the last horizon with enough errors
  std::vector<double> offsets(n_levels, 0.0);
  std::vector<double> work;
  for (size_t d = 0; d < horizon; ++d) {
    const bool own = d < errors_.size() && errors_[d].size() >= kMinErrors;
    if (own) {
      work = errors_[d];
      for (size_t q = 0; q < n_levels; ++q) offsets[q] = sample_quantile(work, levels[q]);
      borrowed = d;
    }
    double widen = 1.0;
    if (!own && borrowed < horizon)
      widen = std::sqrt(static_cast<double>(d + 1) / static_cast<double>(borrowed + 1));
    for (size_t q = 0; q < n_levels; ++q)
      out[d * n_levels + q] = mean[d] + (own || borrowed < horizon ? offsets[q] * widen : 0.0);
  }
  make_quantiles_valid(out, horizon, n_levels);
  return out;
}

HorizonErrors flat_forecast_errors(std::span<const double> history, std::span<const double> flat,
                                   size_t horizon, size_t max_origins) {
  HorizonErrors errors(horizon);
  const size_t n = history.size();
  const size_t first = n > max_origins ? n - max_origins : 1;
  for (size_t origin = std::max<size_t>(first, 1); origin < n; ++origin)
    for (size_t step = 0; step < horizon && origin + step < n; ++step)
      errors.add(step, history[origin + step] - flat[origin]);
  return errors;
}

}  // namespace invforecast
