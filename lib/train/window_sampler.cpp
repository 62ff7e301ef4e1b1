#include "train/window_sampler.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace invforecast::train {

namespace {

void check_options(const WindowOptions& o) {
  if (o.context_length < 1 || o.horizon < 1 || o.min_history < 0 || o.holdout_days < 0)
    fail(ErrorCode::InvalidArgument,
         "window sampler: context_length {} and horizon {} must be >= 1, min_history {} and "
         "holdout_days {} >= 0",
         o.context_length, o.horizon, o.min_history, o.holdout_days);
}

// Earliest origin allowed by the launch rule, or -1 for a series that never sold.
int64_t earliest_origin(const Series& s, const WindowOptions& o) {
  if (s.stats.launch_offset < 0) return -1;
  return s.stats.launch_offset + std::max<int64_t>(o.min_history, 1);
}

}  // namespace

SeriesInput window_input(const SeriesInputs& inputs, const WindowOptions& o, const Window& w) {
  return inputs.at(w.series, static_cast<size_t>(w.origin), static_cast<size_t>(o.horizon));
}

void fill_window(const SeriesInputs& inputs, const WindowOptions& o, const Window& w,
                 float* context, float* target) {
  fill_context(window_input(inputs, o, w).target,
               std::span<float>(context, static_cast<size_t>(o.context_length)));
  const std::vector<double>& values = inputs.data().series[w.series].values;
  const auto n = static_cast<int64_t>(values.size());
  if (target)
    for (int64_t h = 0; h < o.horizon; ++h) {
      const int64_t day = w.origin + h;
      target[h] = day >= 0 && day < n ? static_cast<float>(values[static_cast<size_t>(day)]) : 0.0f;
    }
}

std::vector<double> volume_weights(const Dataset& data) {
  std::vector<double> weights;
  weights.reserve(data.series.size());
  for (const Series& s : data.series) weights.push_back(s.stats.mean);
  return weights;
}

std::vector<double> revenue_weights(const Dataset& data, std::string_view price_column) {
  const int index = data.find_column(price_column);
  if (index < 0 || !data.columns[static_cast<size_t>(index)].numeric)
    fail(ErrorCode::InvalidArgument,
         "window sampler: revenue weights need a numeric '{}' column, the dataset has none",
         price_column);
  const Column& prices = data.columns[static_cast<size_t>(index)];
  std::vector<double> weights;
  weights.reserve(data.series.size());
  for (size_t s = 0; s < data.series.size(); ++s) {
    const Series& series = data.series[s];
    const int64_t launch = series.stats.launch_offset;
    const std::vector<double>& price = prices.numeric_values[s];
    double revenue = 0.0;
    if (launch >= 0)
      for (size_t t = static_cast<size_t>(launch); t < series.values.size() && t < price.size();
           ++t)
        if (std::isfinite(price[t])) revenue += series.values[t] * price[t];
    const double days =
        launch < 0 ? 1.0 : static_cast<double>(series.values.size() - static_cast<size_t>(launch));
    weights.push_back(revenue / days);
  }
  return weights;
}

WindowSampler::WindowSampler(const Dataset& data, WindowOptions options,
                             std::vector<double> series_weights)
    : options_(options) {
  check_options(options_);
  if (!series_weights.empty() && series_weights.size() != data.series.size())
    fail(ErrorCode::InvalidArgument, "window sampler: {} weights for {} series",
         series_weights.size(), data.series.size());
  double mass = 0.0;
  for (size_t i = 0; i < data.series.size(); ++i) {
    const Series& s = data.series[i];
    const int64_t first = earliest_origin(s, options_);
    const int64_t last =
        static_cast<int64_t>(s.values.size()) - options_.holdout_days - options_.horizon;
    const int64_t count = first < 0 ? 0 : std::max<int64_t>(0, last - first + 1);
    first_.push_back(first < 0 ? 0 : first);
    last_.push_back(count > 0 ? last : (first < 0 ? 0 : first) - 1);
    const double weight = series_weights.empty() ? 1.0 : series_weights[i];
    if (!(weight >= 0.0) || !std::isfinite(weight))
      fail(ErrorCode::InvalidArgument,
           "window sampler: weight of series '{}' is {}, it must be finite and >= 0", s.id, weight);
    total_windows_ += count;
    if (count > 0) ++series_with_windows_;
    mass += static_cast<double>(count) * weight;
    cumulative_.push_back(mass);
  }
  if (total_windows_ == 0)
    fail(ErrorCode::SeriesTooShort,
         "window sampler: no series has a training window (context {}, horizon {}, hold-out {} "
         "days, {} days of history after launch needed)",
         options_.context_length, options_.horizon, options_.holdout_days,
         std::max<int64_t>(options_.min_history, 1));
  if (!(mass > 0.0))
    fail(ErrorCode::InvalidArgument,
         "window sampler: every series with training windows has sampling weight 0");
}

Window WindowSampler::sample(Random& random) const {
  const double u = random.uniform() * cumulative_.back();
  // First series whose running mass exceeds u; zero-mass series are never picked.
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  // u == total mass by rounding: the last series that has mass.
  if (it == cumulative_.end()) it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
  const auto series = static_cast<size_t>(it - cumulative_.begin());
  const auto count = static_cast<uint64_t>(last_[series] - first_[series] + 1);
  return Window{static_cast<uint32_t>(series),
                first_[series] + static_cast<int64_t>(random.below(count))};
}

std::vector<Window> holdout_windows(const Dataset& data, const WindowOptions& options) {
  check_options(options);
  std::vector<Window> windows;
  for (size_t i = 0; i < data.series.size(); ++i) {
    const Series& s = data.series[i];
    const int64_t origin = static_cast<int64_t>(s.values.size()) - options.holdout_days;
    const int64_t first = earliest_origin(s, options);
    if (first >= 0 && origin >= first &&
        origin + options.horizon <= static_cast<int64_t>(s.values.size()))
      windows.push_back(Window{static_cast<uint32_t>(i), origin});
  }
  return windows;
}

}  // namespace invforecast::train
