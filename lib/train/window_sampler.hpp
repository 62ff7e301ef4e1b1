// Training windows over every series of a Dataset (one global model).
//
// A window of series s is its forecast origin o (an index into
// s.values): the context is values[o - L, o), the target values[o, o + H).
// Context days before the start of the series read as 0 (nothing sold yet).
// A window is used only when the series has launched (first sale at index
// launch) at least min_history days before the origin (o - launch >=
// max(min_history, 1), so the context holds the first sale), and its target
// ends before the hold-out (o + H <= length - holdout_days).  Series that
// never sold have no windows.
//
// Sampling draws windows with replacement: a series with probability
// proportional to (number of its windows) x (its weight), then an origin
// uniformly among its windows, so with equal weights every window is equally
// likely.  Deterministic for a Random state (train/random.hpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"
#include "data/series_input.hpp"
#include "train/random.hpp"

namespace invforecast::train {

struct WindowOptions {
  int64_t context_length = 0;
  int64_t horizon = 0;
  int64_t min_history = 1;
  int64_t holdout_days = 0;
};

struct Window {
  uint32_t series = 0;
  int64_t origin = 0;
  bool operator==(const Window&) const = default;
};

// The window's input record: the series at the window's origin, known-future
// covariates over its horizon.
SeriesInput window_input(const SeriesInputs& inputs, const WindowOptions& options,
                         const Window& window);
// Copies the model's row of the window's record, context [L] (fill_context),
// and its target [H] (may be null; days past the series' end read 0).
void fill_window(const SeriesInputs& inputs, const WindowOptions& options, const Window& window,
                 float* context, float* target);

// Sampling weight of each series by volume: its mean daily sales after launch.
std::vector<double> volume_weights(const Dataset& data);
// By revenue: mean daily sales x price after launch, from the numeric column
// `price_column` (days with an unknown price count as no revenue).  Throws
// Error(InvalidArgument) when the dataset has no such numeric column.
std::vector<double> revenue_weights(const Dataset& data, std::string_view price_column = "price");

class WindowSampler {
 public:
  // series_weights: one finite value >= 0 per series, or empty for equal
  // weights.  Throws Error(InvalidArgument) for bad options or weights and
  // Error(SeriesTooShort) when no series has a window.
  WindowSampler(const Dataset& data, WindowOptions options,
                std::vector<double> series_weights = {});

  const WindowOptions& options() const { return options_; }
  // Windows over all series (whatever their weights).
  int64_t total_windows() const { return total_windows_; }
  int64_t series_with_windows() const { return series_with_windows_; }
  // First and last valid origin of a series (last < first when it has none).
  int64_t first_origin(size_t series) const { return first_[series]; }
  int64_t last_origin(size_t series) const { return last_[series]; }

  Window sample(Random& random) const;

 private:
  WindowOptions options_;
  std::vector<int64_t> first_, last_;
  std::vector<double> cumulative_;  // running sum of the series' sampling masses
  int64_t total_windows_ = 0;
  int64_t series_with_windows_ = 0;
};

// The validation windows of the temporal hold-out: for every series, the
// window whose origin is length - holdout_days (the first H days of the
// hold-out), when the series launched min_history days before it.
std::vector<Window> holdout_windows(const Dataset& data, const WindowOptions& options);

}  // namespace invforecast::train
