#include "methods/ets.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "error.hpp"
#include "methods/builtin.hpp"
#include "methods/closed_days.hpp"
#include "methods/quantiles.hpp"

namespace invforecast {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// R's default usual bounds: alpha, beta, gamma in [1e-4, 0.9999], phi in
// [0.8, 0.98], with beta <= alpha and gamma <= 1 - alpha.
constexpr double kLowerSmoothing = 1e-4;
constexpr double kUpperSmoothing = 0.9999;
constexpr double kLowerPhi = 0.8;
constexpr double kUpperPhi = 0.98;
// Seasonal forms are considered up to this period, as in R.
constexpr size_t kMaxSeasonalPeriod = 24;
// R's optimiser budget (function evaluations) and tolerance, sqrt(machine
// epsilon) relative to the -2 log-likelihood; the screening pass over all
// forms stops earlier, at 1e-6, since only the forms near the best AICc
// are then refined to R's tolerance.
constexpr size_t kMaxEvaluations = 2000;
constexpr double kRelativeTolerance = 1.49e-8;
constexpr double kScreeningTolerance = 1e-6;

struct Smoothing {
  double alpha, beta, gamma, phi;
};

// -2 log-likelihood up to constants (R's "lik") of one form, from initial
// states; `ring` holds the seasonal states by cycle position and is updated
// in place.  Returns +inf where the form is undefined (non-positive means of
// a multiplicative model).  No allocation: this is the optimiser's hot loop.
template <EtsError E, EtsTrend T, EtsSeason S>
double neg2_loglik(const double* y, size_t n, size_t period, const Smoothing& p, double level,
                   double slope, double* ring) {
  double sse = 0.0;
  // Product of the one-step means, renormalised every 8 steps with frexp so
  // that log() runs once per series, not once per day.
  double mean_product = 1.0;
  long mean_exponent = 0;
  const double beta_over_alpha = p.beta / p.alpha;
  size_t position = 0;
  for (size_t t = 0; t < n; ++t) {
    double damped_slope = 0.0;
    if constexpr (T == EtsTrend::Additive) damped_slope = slope;
    if constexpr (T == EtsTrend::Damped) damped_slope = p.phi * slope;
    const double base = level + damped_slope;
    double seasonal = 0.0, mean = base, adjusted = y[t];
    if constexpr (S == EtsSeason::Additive) {
      seasonal = ring[position];
      mean = base + seasonal;
      adjusted = y[t] - seasonal;
    } else if constexpr (S == EtsSeason::Multiplicative) {
      seasonal = ring[position];
      mean = base * seasonal;
      adjusted = y[t] / seasonal;
    }
    if constexpr (E == EtsError::Additive) {
      const double error = y[t] - mean;
      sse += error * error;
    } else {
      if (!(mean > 0.0)) return kInfinity;
      const double error = (y[t] - mean) / mean;
      sse += error * error;
      mean_product *= mean;
      if ((t & 7) == 7) {
        int exponent = 0;
        mean_product = std::frexp(mean_product, &exponent);
        mean_exponent += exponent;
      }
    }
    const double new_level = base + p.alpha * (adjusted - base);
    if constexpr (T != EtsTrend::None)
      slope = damped_slope + beta_over_alpha * ((new_level - level) - damped_slope);
    if constexpr (S == EtsSeason::Additive) ring[position] = seasonal + p.gamma * ((y[t] - base) - seasonal);
    if constexpr (S == EtsSeason::Multiplicative) ring[position] = seasonal + p.gamma * (y[t] / base - seasonal);
    level = new_level;
    if constexpr (S != EtsSeason::None) {
      if (++position == period) position = 0;
    }
  }
  double lik = static_cast<double>(n) * std::log(sse);
  if constexpr (E == EtsError::Multiplicative)
    lik += 2.0 * (std::log(mean_product) + static_cast<double>(mean_exponent) * std::log(2.0));
  if (std::isnan(lik)) return kInfinity;
  return std::max(lik, -1e10);  // as R: a perfect fit is not -infinity
}

using LikelihoodFn = double (*)(const double*, size_t, size_t, const Smoothing&, double, double, double*);

template <EtsError E, EtsTrend T>
LikelihoodFn pick_season(EtsSeason season) {
  switch (season) {
    case EtsSeason::None: return neg2_loglik<E, T, EtsSeason::None>;
    case EtsSeason::Additive: return neg2_loglik<E, T, EtsSeason::Additive>;
    case EtsSeason::Multiplicative: return neg2_loglik<E, T, EtsSeason::Multiplicative>;
  }
  return nullptr;
}

template <EtsError E>
LikelihoodFn pick_trend(const EtsSpec& spec) {
  switch (spec.trend) {
    case EtsTrend::None: return pick_season<E, EtsTrend::None>(spec.season);
    case EtsTrend::Additive: return pick_season<E, EtsTrend::Additive>(spec.season);
    case EtsTrend::Damped: return pick_season<E, EtsTrend::Damped>(spec.season);
  }
  return nullptr;
}

LikelihoodFn likelihood_for(const EtsSpec& spec) {
  return spec.error == EtsError::Additive ? pick_trend<EtsError::Additive>(spec)
                                          : pick_trend<EtsError::Multiplicative>(spec);
}

// Nelder-Mead simplex minimiser (reflection 1, expansion 2, contraction 1/2,
// shrink 1/2), stopping like R's optim when the simplex's values agree to a
// relative tolerance or the evaluation budget is spent.
class NelderMead {
 public:
  explicit NelderMead(size_t dimension)
      : dim_(dimension), points_((dimension + 1) * dimension), values_(dimension + 1),
        centroid_(dimension), trial_(dimension), second_trial_(dimension) {}

  template <typename Objective>
  size_t minimise(Objective&& objective, std::vector<double>& x, std::span<const double> steps,
                  double tolerance, double& best_value) {
    for (size_t v = 0; v <= dim_; ++v) {
      double* point = vertex(v);
      std::copy(x.begin(), x.end(), point);
      if (v > 0) point[v - 1] += steps[v - 1];
      values_[v] = objective(point);
    }
    size_t evaluations = dim_ + 1;
    while (true) {
      size_t best = 0, worst = 0;
      for (size_t v = 1; v <= dim_; ++v) {
        if (values_[v] < values_[best]) best = v;
        if (values_[v] > values_[worst]) worst = v;
      }
      size_t second = best;
      for (size_t v = 0; v <= dim_; ++v)
        if (v != worst && values_[v] > values_[second]) second = v;
      const double spread = values_[worst] - values_[best];
      if (evaluations >= kMaxEvaluations ||
          (std::isfinite(values_[worst]) &&
           spread <= tolerance * (std::abs(values_[best]) + tolerance))) {
        std::copy(vertex(best), vertex(best) + dim_, x.begin());
        best_value = values_[best];
        return evaluations;
      }
      std::fill(centroid_.begin(), centroid_.end(), 0.0);
      for (size_t v = 0; v <= dim_; ++v) {
        if (v == worst) continue;
        const double* point = vertex(v);
        for (size_t i = 0; i < dim_; ++i) centroid_[i] += point[i];
      }
      for (double& c : centroid_) c /= static_cast<double>(dim_);
      double* worst_point = vertex(worst);
      for (size_t i = 0; i < dim_; ++i) trial_[i] = 2.0 * centroid_[i] - worst_point[i];
      const double reflected = objective(trial_.data());
      ++evaluations;
      if (reflected < values_[best]) {
        for (size_t i = 0; i < dim_; ++i) second_trial_[i] = 3.0 * centroid_[i] - 2.0 * worst_point[i];
        const double expanded = objective(second_trial_.data());
        ++evaluations;
        if (expanded < reflected) accept(worst, second_trial_, expanded);
        else accept(worst, trial_, reflected);
        continue;
      }
      if (reflected < values_[second]) {
        accept(worst, trial_, reflected);
        continue;
      }
      // Contract towards the better of the worst point and its reflection.
      const bool outside = reflected < values_[worst];
      const double* toward = outside ? trial_.data() : worst_point;
      for (size_t i = 0; i < dim_; ++i) second_trial_[i] = 0.5 * (centroid_[i] + toward[i]);
      const double contracted = objective(second_trial_.data());
      ++evaluations;
      if (contracted < std::min(reflected, values_[worst])) {
        accept(worst, second_trial_, contracted);
        continue;
      }
      // Shrink every vertex halfway towards the best one.
      const double* best_point = vertex(best);
      for (size_t v = 0; v <= dim_; ++v) {
        if (v == best) continue;
        double* point = vertex(v);
        for (size_t i = 0; i < dim_; ++i) point[i] = 0.5 * (point[i] + best_point[i]);
        values_[v] = objective(point);
        ++evaluations;
      }
    }
  }

 private:
  double* vertex(size_t v) { return points_.data() + v * dim_; }
  void accept(size_t v, const std::vector<double>& point, double value) {
    std::copy(point.begin(), point.end(), vertex(v));
    values_[v] = value;
  }

  size_t dim_;
  std::vector<double> points_, values_, centroid_, trial_, second_trial_;
};

bool usual_bounds_hold(const EtsSpec& spec, const Smoothing& p) {
  if (p.alpha < kLowerSmoothing || p.alpha > kUpperSmoothing) return false;
  if (spec.trend != EtsTrend::None &&
      (p.beta < kLowerSmoothing || p.beta > std::min(p.alpha, kUpperSmoothing)))
    return false;
  if (spec.season != EtsSeason::None &&
      (p.gamma < kLowerSmoothing || p.gamma > std::min(1.0 - p.alpha, kUpperSmoothing)))
    return false;
  if (spec.trend == EtsTrend::Damped && (p.phi < kLowerPhi || p.phi > kUpperPhi)) return false;
  return true;
}

// Within the usual bounds R's non-seasonal admissibility conditions and the
// linear seasonal ones always hold, so only the characteristic polynomial of
// a seasonal form can still rule a point out.
bool admissible(const EtsSpec& spec, const Smoothing& p, size_t period) {
  if (spec.season == EtsSeason::None) return true;
  return ets_seasonal_admissible(p.alpha, spec.trend == EtsTrend::None ? 0.0 : p.beta, p.gamma,
                                 spec.trend == EtsTrend::Damped ? p.phi : 1.0, period);
}

// Layout of the optimiser's vector: smoothing parameters, then the initial
// level, slope and the seasonal states of cycle positions 1..m-1 (position 0
// is implied: additive states sum to 0, multiplicative ones to m).
struct Layout {
  bool trend, damped, seasonal;
  size_t period;
  size_t beta_at, gamma_at, phi_at, level_at, slope_at, season_at, size;

  Layout(const EtsSpec& spec, size_t m) {
    trend = spec.trend != EtsTrend::None;
    damped = spec.trend == EtsTrend::Damped;
    seasonal = spec.season != EtsSeason::None;
    period = seasonal ? m : 1;
    size_t next = 1;
    beta_at = trend ? next++ : 0;
    gamma_at = seasonal ? next++ : 0;
    phi_at = damped ? next++ : 0;
    level_at = next++;
    slope_at = trend ? next++ : 0;
    season_at = next;
    size = next + (seasonal ? period - 1 : 0);
  }
  Smoothing smoothing(const double* x) const {
    return {x[0], trend ? x[beta_at] : 0.0, seasonal ? x[gamma_at] : 0.0, damped ? x[phi_at] : 1.0};
  }
  // Fills ring[0..m-1] from x; false when multiplicative states are not positive.
  bool seasons(const double* x, EtsSeason season, double* ring) const {
    double sum = 0.0;
    for (size_t j = 1; j < period; ++j) {
      ring[j] = x[season_at + j - 1];
      sum += ring[j];
    }
    ring[0] = (season == EtsSeason::Multiplicative ? static_cast<double>(period) : 0.0) - sum;
    if (season == EtsSeason::Multiplicative)
      for (size_t j = 0; j < period; ++j)
        if (!(ring[j] > 0.0)) return false;
    return true;
  }
};

// R's decompose(): centred moving average trend, mean detrended value per
// cycle position, centred to sum 0 (additive) or average 1 (multiplicative).
std::vector<double> seasonal_figure(std::span<const double> y, size_t m, bool multiplicative) {
  const size_t n = y.size();
  std::vector<double> trend(n, std::numeric_limits<double>::quiet_NaN());
  const size_t half = m / 2;
  if (m % 2 == 1) {
    for (size_t t = half; t + half < n; ++t) {
      double sum = 0.0;
      for (size_t k = t - half; k <= t + half; ++k) sum += y[k];
      trend[t] = sum / static_cast<double>(m);
    }
  } else {  // 2 x m moving average for an even period
    for (size_t t = half; t + half < n; ++t) {
      double sum = 0.5 * (y[t - half] + y[t + half]);
      for (size_t k = t - half + 1; k < t + half; ++k) sum += y[k];
      trend[t] = sum / static_cast<double>(m);
    }
  }
  std::vector<double> figure(m, 0.0);
  std::vector<size_t> count(m, 0);
  for (size_t t = 0; t < n; ++t) {
    if (std::isnan(trend[t])) continue;
    figure[t % m] += multiplicative ? y[t] / trend[t] : y[t] - trend[t];
    ++count[t % m];
  }
  double average = 0.0;
  for (size_t j = 0; j < m; ++j) {
    figure[j] /= static_cast<double>(count[j]);
    average += figure[j] / static_cast<double>(m);
  }
  for (double& f : figure) f = multiplicative ? f / average : f - average;
  return figure;
}

// R's initstate(): seasonal states from the decomposition, level (and slope)
// from the first max(10, 2m) seasonally adjusted values.  Writes into x.
void initial_states(std::span<const double> y, const EtsSpec& spec, const Layout& layout, double* x) {
  const size_t n = y.size();
  std::vector<double> adjusted(y.begin(), y.end());
  if (layout.seasonal) {
    const size_t m = layout.period;
    const bool multiplicative = spec.season == EtsSeason::Multiplicative;
    std::vector<double> figure = seasonal_figure(y, m, multiplicative);
    // R keeps states for positions 1..m-1; multiplicative ones are floored
    // at 0.01 and rescaled when they sum to more than m.
    std::vector<double> kept(figure.begin() + 1, figure.end());
    if (multiplicative) {
      double sum = 0.0;
      for (double& s : kept) {
        s = std::max(s, 0.01);
        sum += s;
      }
      if (sum > static_cast<double>(m))
        for (double& s : kept) s /= sum + 0.01 * static_cast<double>(kept.size());
    }
    std::copy(kept.begin(), kept.end(), x + layout.season_at);
    for (size_t t = 0; t < n; ++t)
      adjusted[t] = multiplicative ? y[t] / std::max(figure[t % m], 0.01) : y[t] - figure[t % m];
  }
  const size_t first = std::min(std::max<size_t>(10, 2 * layout.period), n);
  if (!layout.trend) {
    x[layout.level_at] = std::accumulate(adjusted.begin(), adjusted.begin() + first, 0.0) /
                         static_cast<double>(first);
    return;
  }
  // Least-squares line through (1, a_1) .. (first, a_first); its value at 0
  // is the level and its slope the trend.
  double mean_t = 0.0, mean_a = 0.0;
  for (size_t t = 0; t < first; ++t) {
    mean_t += static_cast<double>(t + 1);
    mean_a += adjusted[t];
  }
  mean_t /= static_cast<double>(first);
  mean_a /= static_cast<double>(first);
  double sxy = 0.0, sxx = 0.0;
  for (size_t t = 0; t < first; ++t) {
    const double dt = static_cast<double>(t + 1) - mean_t;
    sxy += dt * (adjusted[t] - mean_a);
    sxx += dt * dt;
  }
  double slope = sxx > 0.0 ? sxy / sxx : 0.0;
  double level = mean_a - slope * mean_t;
  if (std::abs(level + slope) < 1e-8) {  // keep l0 + b0 away from 0 for M error, as R
    level *= 1.001;
    slope *= 0.999;
  }
  x[layout.level_at] = level;
  x[layout.slope_at] = slope;
}

// R's initparam() starting values; m is 1 for non-seasonal forms.
void initial_smoothing(const Layout& layout, double* x) {
  const double m = static_cast<double>(layout.period);
  const double alpha = kLowerSmoothing + 0.2 * (kUpperSmoothing - kLowerSmoothing) / m;
  x[0] = alpha;
  if (layout.trend) {
    const double upper = std::min(kUpperSmoothing, alpha);
    x[layout.beta_at] = kLowerSmoothing + 0.1 * (upper - kLowerSmoothing);
  }
  if (layout.seasonal) {
    const double upper = std::min(kUpperSmoothing, 1.0 - alpha);
    x[layout.gamma_at] = kLowerSmoothing + 0.05 * (upper - kLowerSmoothing);
  }
  if (layout.damped) x[layout.phi_at] = kLowerPhi + 0.99 * (kUpperPhi - kLowerPhi);
}

bool is_constant(std::span<const double> y) {
  return std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
}

// Runs the fitted filter over y from the initial states, leaving the final
// states in `fit` and returning the residual sum of squares; when `errors` is
// given, also records actual - point forecast for every h-step from the
// origins in the last `max_origins` days.
double run_filter(std::span<const double> y, EtsFit& fit, HorizonErrors* errors, size_t max_origins) {
  const size_t n = y.size();
  const size_t m = fit.period;
  const bool seasonal = fit.spec.season != EtsSeason::None;
  const bool multiplicative_season = fit.spec.season == EtsSeason::Multiplicative;
  double level = fit.initial_level, slope = fit.initial_slope;
  std::vector<double> ring = fit.initial_season;
  if (!seasonal) ring.assign(1, 0.0);
  const double phi = fit.spec.trend == EtsTrend::Damped ? fit.phi : 1.0;
  const bool trend = fit.spec.trend != EtsTrend::None;
  double sse = 0.0;
  const size_t first_origin = n > max_origins ? n - max_origins : 1;
  for (size_t t = 0; t < n; ++t) {
    if (errors != nullptr && t >= first_origin) {
      double damp_sum = 0.0, damp_power = 1.0;
      for (size_t h = 0; h < errors->horizon() && t + h < n; ++h) {
        damp_power *= phi;
        damp_sum += damp_power;
        const double base = level + (trend ? damp_sum * slope : 0.0);
        const double s = ring[(t + h) % ring.size()];
        const double forecast = !seasonal ? base : multiplicative_season ? base * s : base + s;
        errors->add(h, y[t + h] - forecast);
      }
    }
    const double damped_slope = trend ? phi * slope : 0.0;
    const double base = level + damped_slope;
    const size_t position = seasonal ? t % m : 0;
    const double seasonal_state = ring[position];
    const double mean = !seasonal ? base : multiplicative_season ? base * seasonal_state : base + seasonal_state;
    const double error = fit.spec.error == EtsError::Additive ? y[t] - mean : (y[t] - mean) / mean;
    sse += error * error;
    const double adjusted = !seasonal ? y[t] : multiplicative_season ? y[t] / seasonal_state : y[t] - seasonal_state;
    const double new_level = base + fit.alpha * (adjusted - base);
    if (trend) slope = damped_slope + fit.beta / fit.alpha * ((new_level - level) - damped_slope);
    if (seasonal)
      ring[position] = seasonal_state +
          fit.gamma * ((multiplicative_season ? y[t] / base : y[t] - base) - seasonal_state);
    level = new_level;
  }
  fit.level = level;
  fit.slope = slope;
  if (seasonal) fit.season = ring;
  return sse;
}

EtsFit unfit(const EtsSpec& spec) {
  EtsFit fit;
  fit.spec = spec;
  fit.aic = fit.aicc = fit.bic = kInfinity;
  return fit;
}

}  // namespace

std::string EtsSpec::name() const {
  const char* e = error == EtsError::Additive ? "A" : "M";
  const char* t = trend == EtsTrend::None ? "N" : trend == EtsTrend::Additive ? "A" : "Ad";
  const char* s = season == EtsSeason::None ? "N" : season == EtsSeason::Additive ? "A" : "M";
  return fmt::format("ETS({},{},{})", e, t, s);
}

bool ets_seasonal_admissible(double alpha, double beta, double gamma, double phi, size_t period) {
  // Called for every optimiser step, so it works in fixed stack buffers:
  // R's polynomial has period + 2 coefficients (z^0 .. z^(m+1)).
  if (period < 2 || period > kMaxSeasonalPeriod) return false;
  std::array<double, kMaxSeasonalPeriod + 2> c{};
  size_t size = 0;
  c[size++] = phi * (1.0 - alpha - gamma);
  c[size++] = alpha + beta - alpha * phi + gamma - 1.0;
  for (size_t k = 2; k < period; ++k) c[size++] = alpha + beta - alpha * phi;
  c[size++] = alpha + beta - phi;
  c[size++] = 1.0;
  // Without trend or damping, z = 1 is an exact root (the level's unit
  // root), which R accepts; divide it out so the strict test below applies.
  if (phi == 1.0 && beta == 0.0) {
    double carry = 0.0, pending = c[size - 1];
    for (size_t k = size - 1; k >= 1; --k) {
      carry += pending;  // quotient coefficient of z^(k-1) = sum of c[k..]
      pending = c[k - 1];
      c[k - 1] = carry;
    }
    --size;
  }
  // R allows |root| <= 1 + 1e-10; test the scaled polynomial p((1 + d) z)
  // with a slack d large enough to be numerically meaningful.
  constexpr double kSlack = 1e-7;
  double scale = 1.0;
  for (size_t k = 0; k < size; ++k) {
    c[k] *= scale;
    scale *= 1.0 + kSlack;
  }
  // Schur-Cohn recursion: all roots strictly inside the unit disk iff
  // |c_0| < |c_n| and (c_n p(z) - c_0 p*(z)) / z has the same property.
  std::array<double, kMaxSeasonalPeriod + 2> next{};
  while (size > 1) {
    const size_t n = size - 1;
    const double low = c[0], high = c[n];
    if (!(std::abs(low) < std::abs(high))) return false;
    for (size_t k = 1; k <= n; ++k) next[k - 1] = high * c[k] - low * c[n - k];
    const double norm = std::abs(next[n - 1]);  // rescale against underflow
    for (size_t k = 0; k < n; ++k) c[k] = next[k] / norm;
    size = n;
  }
  return true;
}

namespace {

// Additive-error forms with additive or no season are linear in their
// initial states: for fixed smoothing parameters the one-step errors are
// e = e0 - R x0, with e0 the errors from zero initial states and column k of
// R the (negated) errors of the filter started from unit state k with no
// data.  The initial states that maximise the likelihood are then the least
// squares solution, so the optimiser searches only the 1-4 smoothing
// parameters and the states are exact, where R searches both by
// Nelder-Mead.  All K = states + 1 filters run in one pass over the data.
class LinearProfile {
 public:
  LinearProfile(std::span<const double> y, const EtsSpec& spec, size_t period)
      : y_(y), trend_(spec.trend != EtsTrend::None), seasonal_(spec.season != EtsSeason::None),
        period_(seasonal_ ? period : 1),
        states_(1 + (trend_ ? 1 : 0) + (seasonal_ ? period_ - 1 : 0)), filters_(states_ + 1),
        level_(filters_), slope_(filters_), ring_(period_ * filters_), error_(filters_),
        gram_(states_ * states_), rhs_(states_), solution_(states_) {}

  // Least-squares initial states of the last call: level, slope, seasonal
  // states of cycle positions 1..m-1.
  const std::vector<double>& solution() const { return solution_; }

  // -2 log-likelihood (R's "lik") minimised over the initial states.
  double operator()(const Smoothing& p) {
    std::fill(level_.begin(), level_.end(), 0.0);
    std::fill(slope_.begin(), slope_.end(), 0.0);
    std::fill(ring_.begin(), ring_.end(), 0.0);
    // Filter 0 starts from zero states and sees the data; filter k >= 1
    // starts from unit state k - 1 and sees zeros.
    size_t k = 1;
    level_[k++] = 1.0;
    if (trend_) slope_[k++] = 1.0;
    for (size_t j = 1; seasonal_ && j < period_; ++j, ++k) {
      ring_[j * filters_ + k] = 1.0;
      ring_[0 * filters_ + k] = -1.0;  // the season sums to zero
    }
    std::fill(gram_.begin(), gram_.end(), 0.0);
    std::fill(rhs_.begin(), rhs_.end(), 0.0);
    const double data_sse = trend_ ? (seasonal_ ? accumulate<true, true>(p) : accumulate<true, false>(p))
                                   : (seasonal_ ? accumulate<false, true>(p) : accumulate<false, false>(p));
    const size_t n = y_.size();
    if (!solve()) return kInfinity;
    double explained = 0.0;
    for (size_t i = 0; i < states_; ++i) explained += rhs_[i] * solution_[i];
    const double sse = std::max(data_sse - explained, 0.0);
    const double lik = static_cast<double>(n) * std::log(sse);
    if (std::isnan(lik)) return kInfinity;
    return std::max(lik, -1e10);
  }

 private:
  // Runs the K filters over the data, accumulating the normal equations
  // (gram = R'R, rhs = R'e0); returns e0'e0.  Filter 0 is peeled off so the
  // loop over the unit filters is uniform.
  template <bool Trend, bool Seasonal>
  double accumulate(const Smoothing& p) {
    double data_sse = 0.0;
    const size_t n = y_.size();
    const size_t filters = filters_, states = states_;
    double* level = level_.data();
    double* slope = slope_.data();
    double* error = error_.data();
    double* gram = gram_.data();
    double* rhs = rhs_.data();
    size_t position = 0;
    for (size_t t = 0; t < n; ++t) {
      double* season = ring_.data() + position * filters;
      for (size_t f = 0; f < filters; ++f) {
        const double damped_slope = Trend ? p.phi * slope[f] : 0.0;
        const double base = level[f] + damped_slope;
        const double e = (f == 0 ? y_[t] : 0.0) - (base + (Seasonal ? season[f] : 0.0));
        error[f] = e;
        level[f] = base + p.alpha * e;
        if constexpr (Trend) slope[f] = damped_slope + p.beta * e;
        if constexpr (Seasonal) season[f] += p.gamma * e;
      }
      // Column k of R is -error of filter k + 1.
      const double e0 = error[0];
      data_sse += e0 * e0;
      for (size_t i = 0; i < states; ++i) {
        const double r_i = error[i + 1];
        rhs[i] -= r_i * e0;
        double* row = gram + i * states;
        for (size_t j = 0; j <= i; ++j) row[j] += r_i * error[j + 1];
      }
      if constexpr (Seasonal) {
        if (++position == period_) position = 0;
      }
    }
    return data_sse;
  }

  // Cholesky solve of gram * solution = rhs (lower triangle filled), with a
  // tiny ridge so that unidentified directions stay finite.
  bool solve() {
    const size_t p = states_;
    double trace = 0.0;
    for (size_t i = 0; i < p; ++i) trace += gram_[i * p + i];
    const double ridge = 1e-12 * (trace / static_cast<double>(p)) + 1e-300;
    for (size_t i = 0; i < p; ++i) {
      for (size_t j = 0; j <= i; ++j) {
        double sum = gram_[i * p + j] + (i == j ? ridge : 0.0);
        for (size_t k = 0; k < j; ++k) sum -= gram_[i * p + k] * gram_[j * p + k];
        if (i == j) {
          if (!(sum > 0.0)) return false;
          gram_[i * p + i] = std::sqrt(sum);
        } else {
          gram_[i * p + j] = sum / gram_[j * p + j];
        }
      }
    }
    for (size_t i = 0; i < p; ++i) {
      double sum = rhs_[i];
      for (size_t k = 0; k < i; ++k) sum -= gram_[i * p + k] * solution_[k];
      solution_[i] = sum / gram_[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
      double sum = solution_[i];
      for (size_t k = i + 1; k < p; ++k) sum -= gram_[k * p + i] * solution_[k];
      solution_[i] = sum / gram_[i * p + i];
    }
    return true;
  }

  std::span<const double> y_;
  bool trend_, seasonal_;
  size_t period_, states_, filters_;
  std::vector<double> level_, slope_, ring_, error_, gram_, rhs_, solution_;
};

// Fits one form in two stages so that model selection can spend its
// optimiser budget where it matters: optimise() runs Nelder-Mead from R's
// starting values; refine() restarts it from the optimum with a fresh,
// smaller simplex (a collapsed simplex in 9-12 dimensions often stops short
// of the optimum).  Linear forms search the smoothing parameters only, with
// the initial states profiled out (LinearProfile); the others search
// parameters and states together, as R does.
class FormFitter {
 public:
  FormFitter(std::span<const double> y, const EtsSpec& spec, size_t period)
      : y_(y), spec_(spec), layout_(spec, period), likelihood_(likelihood_for(spec)),
        profiled_(spec.error == EtsError::Additive && spec.season != EtsSeason::Multiplicative),
        ring_(layout_.period, 0.0),
        optimiser_(profiled_ ? layout_.level_at : layout_.size),
        profile_(y, spec, period) {}

  // False when the form cannot be fitted: R's rule of fewer parameters than
  // observations minus one, three seasons for the seasonal start, and an
  // admissible starting point.  A multiplicative form may start from
  // `warm_start` (parameters and states, see warm_start_from()) instead of
  // R's starting values when that point is admissible.
  bool optimise(const std::vector<double>* warm_start = nullptr) {
    const size_t n = y_.size();
    if (layout_.size + 1 >= n || (layout_.seasonal && n < 3 * layout_.period)) return false;
    x_.assign(profiled_ ? layout_.level_at : layout_.size, 0.0);
    initial_smoothing(layout_, x_.data());
    // Initial simplex steps: a tenth of each smoothing parameter plus 0.01,
    // a tenth of the largest state for the states (R uses one step for all
    // coordinates, a tenth of the largest absolute value).
    steps_.assign(x_.size(), 0.0);
    for (size_t i = 0; i < layout_.level_at; ++i) steps_[i] = 0.1 * x_[i] + 0.01;
    if (layout_.damped) steps_[layout_.phi_at] = -0.05;  // phi starts near its upper bound
    if (!profiled_) {
      initial_states(y_, spec_, layout_, x_.data());
      double largest_state = 0.0;
      for (size_t i = layout_.level_at; i < layout_.size; ++i)
        largest_state = std::max(largest_state, std::abs(x_[i]));
      if (largest_state == 0.0) largest_state = 1.0;
      for (size_t i = layout_.level_at; i < layout_.size; ++i) steps_[i] = 0.1 * largest_state;
      if (warm_start != nullptr && std::isfinite(objective(warm_start->data()))) x_ = *warm_start;
    }
    if (!std::isfinite(objective(x_.data()))) return false;
    evaluations_ += optimiser_.minimise([this](const double* point) { return objective(point); }, x_,
                                        steps_, kScreeningTolerance, best_);
    return std::isfinite(best_);
  }

  // One restart from the optimum with a simplex half the size of the last.
  void refine() {
    for (double& step : steps_) step *= 0.5;
    std::vector<double> candidate = x_;
    double value = best_;
    evaluations_ += optimiser_.minimise([this](const double* point) { return objective(point); },
                                        candidate, steps_, kRelativeTolerance, value);
    if (value < best_) {
      best_ = value;
      x_ = std::move(candidate);
    }
  }

  double aicc() const { return information(best_).aicc; }
  const EtsSpec& spec() const { return spec_; }

  // Parameters and initial states at the current optimum, in Layout order.
  std::vector<double> full_vector() {
    std::vector<double> full = x_;
    if (profiled_) {
      profile_(layout_.smoothing(x_.data()));  // least-squares states at the optimum
      full.insert(full.end(), profile_.solution().begin(), profile_.solution().end());
    }
    return full;
  }

  // The same point as a start for the multiplicative-error form with the
  // same trend and `season`: the state equations of A and M error are the
  // same, so only a multiplicative season needs its additive states turned
  // into factors (1 + s / level, floored at 0.01, rescaled to average 1).
  std::vector<double> warm_start_for(EtsSeason season) {
    std::vector<double> full = full_vector();
    if (season != EtsSeason::Multiplicative || !layout_.seasonal) return full;
    const size_t m = layout_.period;
    std::vector<double> additive(m);
    layout_.seasons(full.data(), EtsSeason::Additive, additive.data());
    const double level = full[layout_.level_at];
    if (!(level > 0.0)) return {};
    double sum = 0.0;
    for (double& s : additive) {
      s = std::max(1.0 + s / level, 0.01);
      sum += s;
    }
    for (size_t j = 1; j < m; ++j) full[layout_.season_at + j - 1] = additive[j] * static_cast<double>(m) / sum;
    return full;
  }

  EtsFit result() {
    EtsFit fit = information(best_);
    const std::vector<double> full = full_vector();
    fit.spec = spec_;
    fit.period = layout_.period;
    const Smoothing p = layout_.smoothing(full.data());
    fit.alpha = p.alpha;
    fit.beta = p.beta;
    fit.gamma = p.gamma;
    fit.phi = p.phi;
    fit.initial_level = full[layout_.level_at];
    fit.initial_slope = layout_.trend ? full[layout_.slope_at] : 0.0;
    if (layout_.seasonal) {
      fit.initial_season.resize(layout_.period);
      layout_.seasons(full.data(), spec_.season, fit.initial_season.data());
    }
    fit.evaluations = evaluations_;
    const double sse = run_filter(y_, fit, nullptr, 0);
    fit.sigma2 = sse / static_cast<double>(fit.observations - fit.parameters + 1);
    return fit;
  }

 private:
  double objective(const double* point) {
    const Smoothing p = layout_.smoothing(point);
    if (!usual_bounds_hold(spec_, p) || !admissible(spec_, p, layout_.period)) return kInfinity;
    if (profiled_) return profile_(p);
    if (layout_.seasonal && !layout_.seasons(point, spec_.season, ring_.data())) return kInfinity;
    return likelihood_(y_.data(), y_.size(), layout_.period, p, point[layout_.level_at],
                       layout_.trend ? point[layout_.slope_at] : 0.0, ring_.data());
  }

  // R's information criteria; parameters counts sigma too.
  EtsFit information(double neg2_loglik) const {
    EtsFit fit;
    fit.observations = y_.size();
    fit.parameters = layout_.size + 1;
    fit.neg2_loglik = neg2_loglik;
    const double k = static_cast<double>(fit.parameters);
    const double n = static_cast<double>(fit.observations);
    fit.aic = neg2_loglik + 2.0 * k;
    fit.bic = neg2_loglik + std::log(n) * k;
    fit.aicc = fit.aic + 2.0 * k * (k + 1.0) / (n - k - 1.0);
    return fit;
  }

  std::span<const double> y_;
  EtsSpec spec_;
  Layout layout_;
  LikelihoodFn likelihood_;
  bool profiled_;
  std::vector<double> ring_;
  NelderMead optimiser_;
  LinearProfile profile_;
  std::vector<double> x_, steps_;
  double best_ = kInfinity;
  size_t evaluations_ = 0;
};

// Forms within this AICc distance of the best after the first pass are
// refined; the rest cannot win (a refinement gains a few units at most).
constexpr double kRefineWindow = 40.0;

}  // namespace

EtsFit fit_ets_model(std::span<const double> y, const EtsSpec& spec, size_t period) {
  FormFitter fitter(y, spec, period);
  if (!fitter.optimise()) return unfit(spec);
  fitter.refine();
  return fitter.result();
}

std::vector<EtsSpec> ets_candidate_specs(std::span<const double> y, size_t period) {
  const bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0.0; });
  const bool seasonal = period >= 2 && period <= kMaxSeasonalPeriod && y.size() >= 3 * period;
  std::vector<EtsSpec> specs;
  for (EtsError error : {EtsError::Additive, EtsError::Multiplicative}) {
    if (error == EtsError::Multiplicative && !positive) continue;
    for (EtsTrend trend : {EtsTrend::None, EtsTrend::Additive, EtsTrend::Damped}) {
      for (EtsSeason season : {EtsSeason::None, EtsSeason::Additive, EtsSeason::Multiplicative}) {
        if (season != EtsSeason::None && !seasonal) continue;
        // R's restrict rule: additive error with multiplicative season has
        // infinite forecast variance.
        if (error == EtsError::Additive && season == EtsSeason::Multiplicative) continue;
        specs.push_back({error, trend, season});
      }
    }
  }
  return specs;
}

EtsFit fit_ets_auto(std::span<const double> y, size_t period) {
  if (is_constant(y)) {
    // As R: a constant series is simple exponential smoothing with alpha ~ 1.
    EtsFit fit = unfit({EtsError::Additive, EtsTrend::None, EtsSeason::None});
    fit.period = 1;
    fit.alpha = 0.99999;
    fit.initial_level = fit.level = y[0];
    fit.observations = y.size();
    fit.parameters = 2;
    return fit;
  }
  std::vector<FormFitter> fitters;
  double best_aicc = kInfinity;
  for (const EtsSpec& spec : ets_candidate_specs(y, period)) {
    FormFitter fitter(y, spec, period);
    // Multiplicative-error forms start from the fitted additive-error form
    // with the same trend and an additive season (the candidates list the
    // additive forms first): far fewer Nelder-Mead steps than R's start.
    std::vector<double> warm_start;
    if (spec.error == EtsError::Multiplicative) {
      const EtsSeason additive_season = spec.season == EtsSeason::None ? EtsSeason::None : EtsSeason::Additive;
      for (FormFitter& additive : fitters)
        if (additive.spec().error == EtsError::Additive && additive.spec().trend == spec.trend &&
            additive.spec().season == additive_season)
          warm_start = additive.warm_start_for(spec.season);
    }
    if (!fitter.optimise(warm_start.empty() ? nullptr : &warm_start)) continue;
    best_aicc = std::min(best_aicc, fitter.aicc());
    fitters.push_back(std::move(fitter));
  }
  EtsFit best = unfit({});
  FormFitter* winner = nullptr;
  for (FormFitter& fitter : fitters) {
    if (fitter.aicc() > best_aicc + kRefineWindow) continue;
    fitter.refine();
    if (fitter.aicc() < best.aicc) {
      best.aicc = fitter.aicc();
      winner = &fitter;
    }
  }
  if (winner != nullptr) best = winner->result();
  if (!std::isfinite(best.aicc))
    fail(ErrorCode::Internal, "ETS: no model form could be fitted to a series of {} days", y.size());
  return best;
}

std::vector<double> ets_point_forecast(const EtsFit& fit, size_t horizon) {
  std::vector<double> out(horizon);
  const bool trend = fit.spec.trend != EtsTrend::None;
  const double phi = fit.spec.trend == EtsTrend::Damped ? fit.phi : 1.0;
  double damp_sum = 0.0, damp_power = 1.0;
  for (size_t h = 0; h < horizon; ++h) {
    damp_power *= phi;
    damp_sum += damp_power;
    const double base = fit.level + (trend ? damp_sum * fit.slope : 0.0);
    switch (fit.spec.season) {
      case EtsSeason::None: out[h] = base; break;
      case EtsSeason::Additive: out[h] = base + fit.season[(fit.observations + h) % fit.period]; break;
      case EtsSeason::Multiplicative: out[h] = base * fit.season[(fit.observations + h) % fit.period]; break;
    }
  }
  return out;
}

std::vector<double> ets_class1_sd(const EtsFit& fit, size_t horizon) {
  std::vector<double> sd(horizon);
  const double phi = fit.spec.trend == EtsTrend::Damped ? fit.phi : 1.0;
  const bool trend = fit.spec.trend != EtsTrend::None;
  const bool seasonal = fit.spec.season != EtsSeason::None;
  double sum_c2 = 0.0, damp_sum = 0.0, damp_power = 1.0;
  for (size_t h = 0; h < horizon; ++h) {
    sd[h] = std::sqrt(fit.sigma2 * (1.0 + sum_c2));
    // c_j for j = h + 1, used from horizon h + 2 on.
    const size_t j = h + 1;
    damp_power *= phi;
    damp_sum += damp_power;
    const double c = fit.alpha + (trend ? fit.beta * damp_sum : 0.0) +
                     (seasonal && j % fit.period == 0 ? fit.gamma : 0.0);
    sum_c2 += c * c;
  }
  return sd;
}

namespace {

// Origins for the empirical quantiles of multiplicative forms: the last year.
constexpr size_t kMaxOrigins = 364;

// Additive-error forms with additive or no season are Hyndman's class 1:
// "analytic normal" with the closed-form h-step variance.  Multiplicative
// forms have no Gaussian closed form (R simulates), so their quantiles are
// "empirical residuals by horizon" of the fitted model from rolling origins.
class Ets final : public Forecaster {
 public:
  explicit Ets(const ForecastOptions& options)
      : options_(options), period_(static_cast<size_t>(options.season_length)) {}
  std::string_view name() const override { return "ets"; }
  std::unique_ptr<Forecaster> on_open_days(const OpenCalendar& calendar) const override {
    return make_ets(open_day_options(options_, calendar));
  }
  // Three full seasons where seasonal forms apply (R's decomposition start
  // needs them); otherwise the ten days R's level start averages.
  size_t min_history() const override {
    return period_ <= kMaxSeasonalPeriod ? 3 * period_ : 10;
  }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    EtsFit fit = fit_ets_auto(history, period_);
    SeriesForecast out;
    out.method = "ets";
    out.mean = ets_point_forecast(fit, horizon);
    for (double& value : out.mean) value = std::max(value, 0.0);
    if (fit.spec.error == EtsError::Additive && fit.spec.season != EtsSeason::Multiplicative) {
      out.interval_method = kAnalyticNormal;
      out.quantiles = normal_quantiles(out.mean, ets_class1_sd(fit, horizon), options_.quantiles);
    } else {
      out.interval_method = kEmpiricalResiduals;
      HorizonErrors errors(horizon);
      run_filter(history, fit, &errors, kMaxOrigins);
      out.quantiles = errors.quantiles(out.mean, options_.quantiles);
    }
    return out;
  }

 private:
  ForecastOptions options_;
  size_t period_;
};

}  // namespace

std::unique_ptr<Forecaster> make_ets(const ForecastOptions& options) {
  return std::make_unique<Ets>(options);
}

}  // namespace invforecast
