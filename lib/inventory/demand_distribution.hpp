// Demand over several days as a distribution built from daily quantile
// forecasts.  A sum of daily quantiles is not a quantile of the sum, so the
// sum is built by Monte Carlo: each sample draws one level per day, reads
// that day's quantile function at it and adds the days up.
//
// Quantile function of one day (levels p_1 < ... < p_K, values q_1 <= ... <= q_K):
//   - between two levels: linear interpolation;
//   - below p_1: the first segment extended linearly towards level 0, clamped
//     at 0 (demand is never negative);
//   - above p_K: an exponential tail q_K + b * ln((1 - p_K) / (1 - u)), with
//     b = slope of the last segment * (1 - p_K), so the slope is continuous at
//     p_K and the mean excess over q_K is b (heavier than a normal tail, which
//     errs on the side of more stock);
//   - a single level, or equal values, gives a constant (deterministic demand).
// Dependence between days of one sample (Dependence):
//   - Independent (default): one uniform per day;
//   - Comonotonic: one uniform for all days, so the sum's quantile is the sum
//     of the daily quantiles (perfectly correlated days);
//   - GaussianCopula: latent normals with equal correlation rho between every
//     pair of days (Z_d = sqrt(rho) W + sqrt(1 - rho) E_d, level = Phi(Z_d)).
// An uncertain lead time is mixed in by drawing a lead time per sample.
// Everything runs on an own seeded PRNG (xoshiro256**) with a fixed sample
// count, so the same inputs and options give bit-identical results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace invforecast {

// Quantile forecast of one SKU for days 1..H after the decision day.
struct DailyQuantiles {
  std::vector<double> levels;  // ascending, each in (0, 1)
  std::vector<double> values;  // day-major: values[(day - 1) * levels.size() + level]
  size_t horizon() const { return levels.empty() ? 0 : values.size() / levels.size(); }
};

// Throws Error(InvalidArgument) for bad levels or a values size that is not a
// multiple of the level count, Error(Data) for NaN, infinite, negative or
// crossing values; messages name the SKU, the day and the level.
void validate_daily_quantiles(const DailyQuantiles& forecast, std::string_view sku);

// Value of the quantile function of one day (see the header comment) at u in (0, 1).
double daily_quantile(std::span<const double> levels, std::span<const double> day_values, double u);

// Sum over days first_day..first_day+days-1 of the daily quantiles at `level`:
// the exact quantile of the sum under comonotonic days.
double comonotonic_sum_quantile(const DailyQuantiles& forecast, size_t first_day, size_t days,
                                double level);

// How a lead time is given.
struct LeadTime {
  enum class Kind { Fixed, Normal, Empirical };
  Kind kind = Kind::Fixed;
  double mean_days = 1.0;          // Fixed: whole days; Normal: mean
  double sd_days = 0.0;            // Normal only
  std::vector<int> observed_days;  // Empirical only: past lead times

  static LeadTime fixed(int days) { return {Kind::Fixed, static_cast<double>(days), 0.0, {}}; }
  static LeadTime normal(double mean, double sd) { return {Kind::Normal, mean, sd, {}}; }
  static LeadTime empirical(std::vector<int> days) { return {Kind::Empirical, 0.0, 0.0, std::move(days)}; }
};

// Lead time as a distribution over whole days >= 1.
struct LeadTimeDistribution {
  int min_days = 1;
  std::vector<double> probability;  // probability[k] = P(L = min_days + k), sums to 1

  int max_days() const { return min_days + static_cast<int>(probability.size()) - 1; }
  double mean() const;
  double variance() const;
  // Inverse CDF: the smallest whole-day lead time k with P(L <= k) >= u, for
  // u in (0, 1) (u at or above the total mass gives max_days()).
  int days_at(double u) const;
};

// Fixed: one point (must be >= 1).  Normal: P(L = k) proportional to
// Phi((k + 0.5 - mean) / sd) - Phi((k - 0.5 - mean) / sd) for whole days k in
// [max(1, floor(mean - 4 sd)), ceil(mean + 4 sd)], renormalised (so the mass
// below 1 day is spread over the support); sd = 0 means fixed at mean, which
// must then be a whole number.  Empirical: the frequencies of the observed
// lead times, each >= 1.  Bad input throws Error(InvalidArgument) naming the SKU.
LeadTimeDistribution discretise_lead_time(const LeadTime& lead_time, std::string_view sku);

enum class Dependence { Independent, Comonotonic, GaussianCopula };

struct SamplingOptions {
  size_t samples = 20000;
  std::uint64_t seed = 20240601;
  Dependence dependence = Dependence::Independent;
  double copula_rho = 0.0;  // GaussianCopula only, in [0, 1]
};

// Throws Error(InvalidArgument) for samples == 0 or rho outside [0, 1].
void validate_sampling_options(const SamplingOptions& options);

// Joint samples, one per Monte Carlo path: demand over the sampled lead time
// L (days 1..L) and over the protection interval L + R (days 1..L+R).
struct ProtectionSamples {
  std::vector<double> lead_time_demand;
  std::vector<double> protection_demand;
};

// The forecast must have passed validate_daily_quantiles() and cover the
// longest lead time + review_days (Error(Data) otherwise).
ProtectionSamples sample_protection_demand(const DailyQuantiles& forecast,
                                           const LeadTimeDistribution& lead_time, int review_days,
                                           const SamplingOptions& options, std::string_view sku);

// Samples of demand over days first_day..first_day+days-1 (fixed window) of
// a validated forecast; Error(Data) when the forecast is shorter.
std::vector<double> sample_window_demand(const DailyQuantiles& forecast, size_t first_day,
                                         size_t days, const SamplingOptions& options,
                                         std::string_view sku);

// The empirical distribution of a set of samples (each sample weight 1/n).
class SampleDistribution {
 public:
  explicit SampleDistribution(std::vector<double> samples);

  size_t size() const { return sorted_.size(); }
  double mean() const { return mean_; }
  double sd() const { return sd_; }
  double min() const { return sorted_.front(); }
  double max() const { return sorted_.back(); }
  // Smallest sample x with P(D <= x) >= level (inverse of the empirical CDF).
  double quantile(double level) const;
  // P(D <= x).
  double cdf(double x) const;
  // Expected excess E[(D - x)^+], the loss function, exact on the samples.
  double expected_excess(double x) const;

 private:
  std::vector<double> sorted_;
  std::vector<double> suffix_sum_;  // suffix_sum_[i] = sum of sorted_[i..n-1]
  double mean_ = 0.0;
  double sd_ = 0.0;
};

// Mean, standard deviation and quantiles of a demand distribution, for output.
struct DemandSummary {
  double mean = 0.0;
  double sd = 0.0;
  std::vector<double> levels;
  std::vector<double> quantiles;
};

DemandSummary summarise(const SampleDistribution& distribution, std::span<const double> levels);

}  // namespace invforecast
