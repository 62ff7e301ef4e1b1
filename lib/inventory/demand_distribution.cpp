#include "inventory/demand_distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "error.hpp"

namespace invforecast {

namespace {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// xoshiro256** seeded through splitmix64: small, fast and identical on every
// platform, unlike the distributions of <random>.
class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotate_left(state_[3], 45);
    return result;
  }

  // Uniform in the open interval (0, 1): 53 random bits, centred in their cell.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }

  // Standard normal by Box-Muller (both values of a pair are used).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  static std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Draws the quantile level of each day of one sample under a dependence model.
class LevelDrawer {
 public:
  explicit LevelDrawer(const SamplingOptions& options) : options_(options), rng_(options.seed) {}

  // Starts sample `index`; comonotonic samples take evenly spaced levels
  // (s + 0.5) / n, which removes the Monte Carlo noise of a single uniform.
  void start_sample(size_t index) {
    switch (options_.dependence) {
      case Dependence::Independent: break;
      case Dependence::Comonotonic:
        common_level_ = (static_cast<double>(index) + 0.5) / static_cast<double>(options_.samples);
        break;
      case Dependence::GaussianCopula: common_factor_ = rng_.normal(); break;
    }
  }

  double next_day_level() {
    switch (options_.dependence) {
      case Dependence::Independent: return rng_.uniform();
      case Dependence::Comonotonic: return common_level_;
      case Dependence::GaussianCopula: {
        const double latent = std::sqrt(options_.copula_rho) * common_factor_ +
                              std::sqrt(1.0 - options_.copula_rho) * rng_.normal();
        // Phi rounds to 0 or 1 beyond |z| ~ 8; keep the level strictly inside (0, 1).
        return std::clamp(normal_cdf(latent), 0x1.0p-53, 1.0 - 0x1.0p-53);
      }
    }
    return 0.5;
  }

  Xoshiro256& rng() { return rng_; }

 private:
  const SamplingOptions& options_;
  Xoshiro256 rng_;
  double common_level_ = 0.5;
  double common_factor_ = 0.0;
};

std::span<const double> day_values(const DailyQuantiles& forecast, size_t day) {
  const size_t k = forecast.levels.size();
  return std::span<const double>(forecast.values).subspan((day - 1) * k, k);
}

}  // namespace

void validate_daily_quantiles(const DailyQuantiles& forecast, std::string_view sku) {
  const auto& levels = forecast.levels;
  if (levels.empty()) fail(ErrorCode::InvalidArgument, "SKU '{}': forecast has no quantile levels", sku);
  for (size_t q = 0; q < levels.size(); ++q) {
    if (!(levels[q] > 0.0 && levels[q] < 1.0))
      fail(ErrorCode::InvalidArgument, "SKU '{}': quantile level {} is {}, outside (0, 1)", sku, q,
           levels[q]);
    if (q > 0 && !(levels[q] > levels[q - 1]))
      fail(ErrorCode::InvalidArgument, "SKU '{}': quantile levels are not strictly ascending at {}",
           sku, levels[q]);
  }
  if (forecast.values.empty() || forecast.values.size() % levels.size() != 0)
    fail(ErrorCode::InvalidArgument,
         "SKU '{}': forecast has {} quantile values, not a positive multiple of {} levels", sku,
         forecast.values.size(), levels.size());
  const size_t k = levels.size();
  for (size_t day = 1; day <= forecast.horizon(); ++day) {
    const auto values = day_values(forecast, day);
    for (size_t q = 0; q < k; ++q) {
      if (!std::isfinite(values[q]))
        fail(ErrorCode::Data, "SKU '{}': forecast quantile at day {} level {} is not finite ({})",
             sku, day, levels[q], values[q]);
      if (values[q] < 0.0)
        fail(ErrorCode::Data, "SKU '{}': forecast quantile at day {} level {} is negative ({})", sku,
             day, levels[q], values[q]);
      if (q > 0 && values[q] < values[q - 1])
        fail(ErrorCode::Data,
             "SKU '{}': forecast quantiles cross at day {}: level {} has {} < {} at level {}", sku,
             day, levels[q], values[q], values[q - 1], levels[q - 1]);
    }
  }
}

double daily_quantile(std::span<const double> levels, std::span<const double> values, double u) {
  const size_t k = levels.size();
  if (k == 1) return values[0];
  if (u <= levels[0]) {
    const double slope = (values[1] - values[0]) / (levels[1] - levels[0]);
    return std::max(0.0, values[0] - slope * (levels[0] - u));
  }
  if (u >= levels[k - 1]) {
    const double slope = (values[k - 1] - values[k - 2]) / (levels[k - 1] - levels[k - 2]);
    const double tail_scale = slope * (1.0 - levels[k - 1]);
    return values[k - 1] + tail_scale * std::log((1.0 - levels[k - 1]) / (1.0 - u));
  }
  const size_t upper = static_cast<size_t>(std::upper_bound(levels.begin(), levels.end(), u) - levels.begin());
  const size_t lower = upper - 1;
  const double fraction = (u - levels[lower]) / (levels[upper] - levels[lower]);
  return values[lower] + fraction * (values[upper] - values[lower]);
}

double comonotonic_sum_quantile(const DailyQuantiles& forecast, size_t first_day, size_t days,
                                double level) {
  double total = 0.0;
  for (size_t day = first_day; day < first_day + days; ++day)
    total += daily_quantile(forecast.levels, day_values(forecast, day), level);
  return total;
}

double LeadTimeDistribution::mean() const {
  double total = 0.0;
  for (size_t k = 0; k < probability.size(); ++k) total += probability[k] * (min_days + static_cast<double>(k));
  return total;
}

double LeadTimeDistribution::variance() const {
  const double m = mean();
  double total = 0.0;
  for (size_t k = 0; k < probability.size(); ++k) {
    const double deviation = min_days + static_cast<double>(k) - m;
    total += probability[k] * deviation * deviation;
  }
  return total;
}

int LeadTimeDistribution::days_at(double u) const {
  double cumulative = 0.0;
  for (size_t k = 0; k < probability.size(); ++k) {
    cumulative += probability[k];
    if (cumulative >= u) return min_days + static_cast<int>(k);
  }
  return max_days();
}

LeadTimeDistribution discretise_lead_time(const LeadTime& lead_time, std::string_view sku) {
  LeadTimeDistribution out;
  switch (lead_time.kind) {
    case LeadTime::Kind::Fixed:
      if (!(lead_time.mean_days >= 1.0) || lead_time.mean_days != std::floor(lead_time.mean_days))
        fail(ErrorCode::InvalidArgument,
             "SKU '{}': lead_time must be a whole number of days >= 1, got {}", sku,
             lead_time.mean_days);
      out.min_days = static_cast<int>(lead_time.mean_days);
      out.probability = {1.0};
      return out;
    case LeadTime::Kind::Normal: {
      const double mean = lead_time.mean_days;
      const double sd = lead_time.sd_days;
      if (!std::isfinite(mean) || mean < 1.0)
        fail(ErrorCode::InvalidArgument, "SKU '{}': lead_time_mean must be at least 1 day, got {}",
             sku, mean);
      if (!std::isfinite(sd) || sd < 0.0)
        fail(ErrorCode::InvalidArgument, "SKU '{}': lead_time_sd must be >= 0, got {}", sku, sd);
      if (sd == 0.0) {
        if (mean != std::floor(mean))
          fail(ErrorCode::InvalidArgument,
               "SKU '{}': lead_time_mean {} must be a whole number of days when lead_time_sd is 0",
               sku, mean);
        return discretise_lead_time(LeadTime::fixed(static_cast<int>(mean)), sku);
      }
      const int lowest = std::max(1, static_cast<int>(std::floor(mean - 4.0 * sd)));
      const int highest = std::max(lowest, static_cast<int>(std::ceil(mean + 4.0 * sd)));
      out.min_days = lowest;
      double total = 0.0;
      for (int k = lowest; k <= highest; ++k) {
        const double mass = normal_cdf((k + 0.5 - mean) / sd) - normal_cdf((k - 0.5 - mean) / sd);
        out.probability.push_back(mass);
        total += mass;
      }
      for (double& p : out.probability) p /= total;
      return out;
    }
    case LeadTime::Kind::Empirical: {
      const auto& observed = lead_time.observed_days;
      if (observed.empty())
        fail(ErrorCode::InvalidArgument, "SKU '{}': empirical lead_time list is empty", sku);
      const auto [smallest, largest] = std::minmax_element(observed.begin(), observed.end());
      if (*smallest < 1)
        fail(ErrorCode::InvalidArgument,
             "SKU '{}': empirical lead_time contains {} days; every lead time must be >= 1", sku,
             *smallest);
      out.min_days = *smallest;
      out.probability.assign(static_cast<size_t>(*largest - *smallest + 1), 0.0);
      const double weight = 1.0 / static_cast<double>(observed.size());
      for (int days : observed) out.probability[static_cast<size_t>(days - *smallest)] += weight;
      return out;
    }
  }
  fail(ErrorCode::Internal, "SKU '{}': unknown lead time kind", sku);
}

void validate_sampling_options(const SamplingOptions& options) {
  if (options.samples == 0) fail(ErrorCode::InvalidArgument, "samples must be positive");
  if (options.dependence == Dependence::GaussianCopula &&
      !(options.copula_rho >= 0.0 && options.copula_rho <= 1.0))
    fail(ErrorCode::InvalidArgument, "copula_rho must be in [0, 1], got {}", options.copula_rho);
}

ProtectionSamples sample_protection_demand(const DailyQuantiles& forecast,
                                           const LeadTimeDistribution& lead_time, int review_days,
                                           const SamplingOptions& options, std::string_view sku) {
  validate_sampling_options(options);
  if (review_days < 1)
    fail(ErrorCode::InvalidArgument, "SKU '{}': review_period must be at least 1 day, got {}", sku,
         review_days);
  const size_t needed = static_cast<size_t>(lead_time.max_days() + review_days);
  if (forecast.horizon() < needed)
    fail(ErrorCode::Data,
         "SKU '{}': forecast covers {} days but the protection interval needs {} (longest lead "
         "time {} + review period {})",
         sku, forecast.horizon(), needed, lead_time.max_days(), review_days);

  // Cumulative lead-time probabilities for drawing L by inversion.
  std::vector<double> cumulative(lead_time.probability.size());
  double running = 0.0;
  for (size_t k = 0; k < cumulative.size(); ++k) cumulative[k] = running += lead_time.probability[k];
  const bool fixed_lead_time = cumulative.size() == 1;

  ProtectionSamples out;
  out.lead_time_demand.resize(options.samples);
  out.protection_demand.resize(options.samples);
  LevelDrawer drawer(options);
  for (size_t s = 0; s < options.samples; ++s) {
    size_t lead_index = 0;
    if (!fixed_lead_time) {
      const double u = drawer.rng().uniform() * running;
      lead_index = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) -
                                       cumulative.begin());
      lead_index = std::min(lead_index, cumulative.size() - 1);
    }
    const size_t lead_days = static_cast<size_t>(lead_time.min_days) + lead_index;
    drawer.start_sample(s);
    double total = 0.0;
    for (size_t day = 1; day <= lead_days + static_cast<size_t>(review_days); ++day) {
      total += daily_quantile(forecast.levels, day_values(forecast, day), drawer.next_day_level());
      if (day == lead_days) out.lead_time_demand[s] = total;
    }
    out.protection_demand[s] = total;
  }
  return out;
}

std::vector<double> sample_window_demand(const DailyQuantiles& forecast, size_t first_day,
                                         size_t days, const SamplingOptions& options,
                                         std::string_view sku) {
  validate_sampling_options(options);
  if (first_day < 1 || days < 1)
    fail(ErrorCode::InvalidArgument, "SKU '{}': the demand window must start at day >= 1 and last >= 1 day",
         sku);
  if (forecast.horizon() < first_day + days - 1)
    fail(ErrorCode::Data, "SKU '{}': forecast covers {} days but the period needs days {}..{}", sku,
         forecast.horizon(), first_day, first_day + days - 1);
  std::vector<double> out(options.samples);
  LevelDrawer drawer(options);
  for (size_t s = 0; s < options.samples; ++s) {
    drawer.start_sample(s);
    double total = 0.0;
    for (size_t day = first_day; day < first_day + days; ++day)
      total += daily_quantile(forecast.levels, day_values(forecast, day), drawer.next_day_level());
    out[s] = total;
  }
  return out;
}

SampleDistribution::SampleDistribution(std::vector<double> samples) : sorted_(std::move(samples)) {
  if (sorted_.empty()) fail(ErrorCode::InvalidArgument, "a sample distribution needs samples");
  std::sort(sorted_.begin(), sorted_.end());
  suffix_sum_.resize(sorted_.size() + 1, 0.0);
  for (size_t i = sorted_.size(); i-- > 0;) suffix_sum_[i] = suffix_sum_[i + 1] + sorted_[i];
  const double n = static_cast<double>(sorted_.size());
  mean_ = suffix_sum_[0] / n;
  double squares = 0.0;
  for (double x : sorted_) squares += (x - mean_) * (x - mean_);
  sd_ = std::sqrt(squares / n);
}

double SampleDistribution::quantile(double level) const {
  const double n = static_cast<double>(sorted_.size());
  // ceil(level * n) - 1, with a guard against 0.95 * 20000 = 19000.000000000004.
  const double position = std::ceil(level * n - 1e-9) - 1.0;
  const size_t index = static_cast<size_t>(std::clamp(position, 0.0, n - 1.0));
  return sorted_[index];
}

double SampleDistribution::cdf(double x) const {
  const auto above = std::upper_bound(sorted_.begin(), sorted_.end(), x);
  return static_cast<double>(above - sorted_.begin()) / static_cast<double>(sorted_.size());
}

double SampleDistribution::expected_excess(double x) const {
  const size_t first_above =
      static_cast<size_t>(std::upper_bound(sorted_.begin(), sorted_.end(), x) - sorted_.begin());
  const double count_above = static_cast<double>(sorted_.size() - first_above);
  return std::max(0.0, suffix_sum_[first_above] - count_above * x) / static_cast<double>(sorted_.size());
}

DemandSummary summarise(const SampleDistribution& distribution, std::span<const double> levels) {
  DemandSummary out;
  out.mean = distribution.mean();
  out.sd = distribution.sd();
  out.levels.assign(levels.begin(), levels.end());
  for (double level : levels) {
    if (!(level > 0.0 && level < 1.0))
      fail(ErrorCode::InvalidArgument, "report level {} is outside (0, 1)", level);
    out.quantiles.push_back(distribution.quantile(level));
  }
  return out;
}

}  // namespace invforecast
