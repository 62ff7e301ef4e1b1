#include "layers/negbin_head.hpp"

#include <algorithm>
#include <cmath>
#include <unsupported/Eigen/SpecialFunctions>

namespace invforecast::layers {

namespace {

double softplus(double x) { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// Searches above a count known to fall short of the level: the smallest k > below with
// P(Y <= k) >= level, starting from guess (doubling up past it, then bisecting).
int64_t quantile_above(int64_t below, int64_t guess, double level, double mu, double alpha) {
  int64_t lo = below, hi = std::max(below + 1, guess);
  if (negbin_cdf(hi, mu, alpha) < level) {
    int64_t step = std::max<int64_t>(1, hi - lo);
    // 2^52: far past any count a float holds exactly; the CDF is 1 there.
    constexpr int64_t kLargest = int64_t{1} << 52;
    do {
      lo = hi;
      step *= 2;
      hi = std::min(lo + step, kLargest);
    } while (hi < kLargest && negbin_cdf(hi, mu, alpha) < level);
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (negbin_cdf(mid, mu, alpha) >= level ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

template <class T>
NegBinScale negbin_scale(const ModelConfig& c, const T* center, const T* spread, int64_t s,
                         double gamma, double beta) {
  const bool revin = c.normalization == NormKind::Revin;
  return NegBinScale{revin ? static_cast<double>(center[s]) : 0.0, static_cast<double>(spread[s]),
                     gamma, beta};
}

NegBinDay negbin_link(double raw_mu, double raw_a, const NegBinScale& k) {
  const double t = (raw_mu - k.beta) / k.gamma + k.center / k.spread;
  return NegBinDay{k.spread * softplus(t) + kNegBinMinMean, softplus(raw_a) + kNegBinMinDispersion};
}

template <class T>
void negbin_forward(const ModelConfig& c, const T* raw, const T* center, const T* spread,
                    double gamma, double beta, int64_t series, T* out) {
  const int64_t H = c.horizon;
  for (int64_t s = 0; s < series; ++s) {
    const NegBinScale scale = negbin_scale(c, center, spread, s, gamma, beta);
    for (int64_t h = 0; h < H; ++h) {
      const int64_t at = (s * H + h) * 2;
      const NegBinDay d = negbin_link(raw[at], raw[at + 1], scale);
      out[at] = static_cast<T>(d.mu);
      out[at + 1] = static_cast<T>(d.alpha);
    }
  }
}

template <class T>
void negbin_backward(const ModelConfig& c, const T* raw, const T* center, const T* spread,
                     double gamma, double beta, const T* d_out, int64_t series, T* d_raw,
                     double* d_gamma, double* d_beta) {
  const int64_t H = c.horizon;
  for (int64_t s = 0; s < series; ++s) {
    const NegBinScale k = negbin_scale(c, center, spread, s, gamma, beta);
    for (int64_t h = 0; h < H; ++h) {
      const int64_t at = (s * H + h) * 2;
      const double z = (static_cast<double>(raw[at]) - k.beta) / k.gamma;
      // mu = s softplus(z + m / s): d mu / d z = s sigmoid(z + m / s); z = (r_mu - beta) / gamma.
      const double dz = static_cast<double>(d_out[at]) * k.spread * sigmoid(z + k.center / k.spread);
      d_raw[at] = static_cast<T>(dz / k.gamma);
      *d_gamma -= dz * z / k.gamma;
      *d_beta -= dz / k.gamma;
      d_raw[at + 1] = static_cast<T>(static_cast<double>(d_out[at + 1]) *
                                     sigmoid(static_cast<double>(raw[at + 1])));
    }
  }
}

NegBinLogLikelihood negbin_log_likelihood(double y, double mu, double alpha) {
  using Eigen::numext::digamma;
  using Eigen::numext::lgamma;  // lgamma_r on glibc: no global sign written, thread-safe
  const double r = 1.0 / alpha;
  const double log_share = -std::log1p(mu / r);  // log(r / (r + mu))
  const double value = lgamma(y + r) - lgamma(r) - lgamma(y + 1.0) + r * log_share +
                       y * (std::log(mu) - std::log(r + mu));
  const double d_mu = y / mu - (y + r) / (r + mu);
  const double d_r = digamma(y + r) - digamma(r) + log_share + (mu - y) / (r + mu);
  return NegBinLogLikelihood{value, d_mu, -d_r * r * r};
}

double negbin_cdf(int64_t k, double mu, double alpha) {
  if (k < 0) return 0.0;
  const double r = 1.0 / alpha;
  return Eigen::numext::betainc(r, static_cast<double>(k) + 1.0, r / (r + mu));
}

template <class T>
void negbin_quantiles(double mu, double alpha, std::span<const double> levels, T* out) {
  const double sd = std::sqrt(mu + alpha * mu * mu);
  int64_t below = -1;  // P(Y <= below) < every level still to find
  for (size_t j = 0; j < levels.size(); ++j) {
    // A normal approximation's quantile as the starting guess; the search makes it exact.
    const double approx = mu + Eigen::numext::ndtri(levels[j]) * sd;
    const auto guess = static_cast<int64_t>(std::clamp(std::floor(approx), 0.0, 1e15));
    const int64_t k = quantile_above(below, guess, levels[j], mu, alpha);
    out[j] = static_cast<T>(k);
    below = k - 1;
  }
}

template <class T>
void negbin_forecast(const ModelConfig& c, const T* raw, const T* center, const T* spread,
                     double gamma, double beta, int64_t series, T* quantiles, T* mean) {
  const int64_t H = c.horizon, Q = c.num_quantiles();
  for (int64_t s = 0; s < series; ++s) {
    const NegBinScale scale = negbin_scale(c, center, spread, s, gamma, beta);
    for (int64_t h = 0; h < H; ++h) {
      const int64_t day = s * H + h;
      const NegBinDay d = negbin_link(raw[2 * day], raw[2 * day + 1], scale);
      negbin_quantiles(d.mu, d.alpha, c.quantiles, quantiles + day * Q);
      if (mean) mean[day] = static_cast<T>(d.mu);
    }
  }
}

#define INVF_INSTANTIATE_NEGBIN(T)                                                             \
  template NegBinScale negbin_scale<T>(const ModelConfig&, const T*, const T*, int64_t, double, \
                                       double);                                                \
  template void negbin_forward<T>(const ModelConfig&, const T*, const T*, const T*, double,     \
                                  double, int64_t, T*);                                         \
  template void negbin_backward<T>(const ModelConfig&, const T*, const T*, const T*, double,    \
                                   double, const T*, int64_t, T*, double*, double*);        \
  template void negbin_quantiles<T>(double, double, std::span<const double>, T*);              \
  template void negbin_forecast<T>(const ModelConfig&, const T*, const T*, const T*, double,    \
                                   double, int64_t, T*, T*);

INVF_INSTANTIATE_NEGBIN(float)
INVF_INSTANTIATE_NEGBIN(double)

}  // namespace invforecast::layers
