// Forecast accuracy metrics as pure functions on arrays.
//
// Conventions: `actual` and `forecast` have the same length (one value per
// forecast day); quantile forecasts are day-major, quantiles[d * L + l] for
// day d and level l of L ascending levels.  A metric that is undefined for
// its input (empty arrays, zero or undefined scale, zero denominator) returns
// NaN rather than a made-up number, so that callers can leave it out.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace invforecast {

// Pinball loss of quantile q at level tau: tau*(y-q) if y >= q, else (1-tau)*(q-y).
double pinball_loss(double actual, double quantile, double level);

// Index of the first sale (first value > 0) in `train`, or train.size() if none.
size_t first_sale_index(std::span<const double> train);

// MASE scale: mean over t of |y_t - y_{t-m}|, t running over the training part
// from the first sale on (t - m also after it); NaN if fewer than m+1 such days.
double seasonal_scale(std::span<const double> train, size_t season);

// RMSSE scale (M5): mean over t of (y_t - y_{t-1})^2 over the training part from
// the first sale on; NaN if fewer than 2 such days.
double squared_step_scale(std::span<const double> train);

// MASE = mean |f_t - y_t| / scale; NaN if scale is zero, NaN or the arrays empty.
double mase(std::span<const double> actual, std::span<const double> forecast, double scale);

// RMSSE = sqrt(mean (f_t - y_t)^2 / squared_scale); NaN if squared_scale is zero or NaN.
double rmsse(std::span<const double> actual, std::span<const double> forecast,
             double squared_scale);

// sMAPE in percent (0..200, as M4): 100/n * sum 2|f_t - y_t| / (|y_t| + |f_t|),
// where a term with y_t = f_t = 0 counts as 0 (0/0 := 0).
double smape(std::span<const double> actual, std::span<const double> forecast);

// The additive parts of WQL, so that it can be aggregated over many series.
struct QuantileLossParts {
  double pinball_sum = 0.0;     // sum over points and levels of pinball_loss
  double abs_actual_sum = 0.0;  // sum over points of |y_t|
};
QuantileLossParts quantile_loss_parts(std::span<const double> actual,
                                      std::span<const double> quantiles,
                                      std::span<const double> levels);
// WQL = (1/L) * sum over levels l of [2 * sum_t pinball(y_t, q_{t,l}, tau_l) / sum_t |y_t|]
//     = 2 * pinball_sum / (L * abs_actual_sum); NaN when sum_t |y_t| = 0.
double weighted_quantile_loss(const QuantileLossParts& parts, size_t level_count);
double weighted_quantile_loss(std::span<const double> actual, std::span<const double> quantiles,
                              std::span<const double> levels);

// The pair of levels used for coverage80: q0.1 and q0.9 when both exist (to
// 1e-9), else the outermost pair (lowest and highest level).  Empty with
// fewer than two levels.
struct IntervalLevels {
  size_t lower = 0;  // indices into levels
  size_t upper = 0;
};
std::optional<IntervalLevels> coverage_interval(std::span<const double> levels);

// Coverage = share of days with q_lower <= y_t <= q_upper; NaN if empty.
double coverage(std::span<const double> actual, std::span<const double> quantiles,
                size_t level_count, IntervalLevels interval);

// Bias = mean (f_t - y_t), in units per day; positive means over-forecasting.
double bias(std::span<const double> actual, std::span<const double> forecast);

// Revenue of the last `days` days of `train`: sum of price_t * y_t, where a NaN
// price counts as 0 (the item had no known price, so no revenue is credited).
double recent_revenue(std::span<const double> train, std::span<const double> prices, size_t days);

// WRMSSE = sum_i w_i * rmsse_i / sum_i w_i over the series i whose rmsse is
// finite: series with zero or undefined scale are excluded and the remaining
// weights renormalised to sum 1.  NaN if no series remains or their weights sum to 0.
double wrmsse(std::span<const double> rmsse_per_series, std::span<const double> weights);

}  // namespace invforecast
