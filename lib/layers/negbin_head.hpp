// The negative binomial head (HeadKind::NegBin, model_config.hpp; docs/count_head.md): the link
// from the head's raw output of each horizon day, (r_mu, r_a), to the day's distribution on the
// sales scale, its backward pass, and the distribution's log-likelihood, quantiles and mean.
//
// Parametrisation: mean mu > 0 and dispersion alpha > 0, variance mu + alpha mu^2 (alpha -> 0 is
// Poisson); with r = 1 / alpha,
//   log P(Y = y) = lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r log(r / (r + mu))
//                  + y log(mu / (r + mu)),
// PyTorch's NegativeBinomial(total_count = r, probs = mu / (r + mu)).  lgamma makes it a smooth
// function of y >= 0, so a fractional sale (data may hold them) is scored by the same formula
// (the continuous extension; the mean still maximises it at mu = y).  P(Y <= k) =
// I_{r / (r + mu)}(r, k + 1), the regularised incomplete beta function.
//
// Host code, computed in double whatever T (the loss runs on the host, trainable_encoder.hpp;
// the inference encoder downloads the raw outputs first).
#pragma once

#include <cstdint>
#include <span>

#include "model/model_config.hpp"

namespace invforecast::layers {

inline constexpr double kNegBinMinMean = 1e-8;        // mu's floor, sales units
inline constexpr double kNegBinMinDispersion = 1e-3;  // alpha's floor

// The series' normalisation as the link reads it: RevIN's center and spread and the affine
// pair, or the mean-absolute scale as spread (center 0, pair (1, 0)).
struct NegBinScale {
  double center = 0.0, spread = 1.0, gamma = 1.0, beta = 0.0;
};
// center and spread [series] as the patch embedding writes them (center read for RevIN only).
template <class T>
NegBinScale negbin_scale(const ModelConfig& config, const T* center, const T* spread,
                         int64_t series_index, double gamma, double beta);

// One day's (mu, alpha) from its raw pair (model_config.hpp's formulas).
struct NegBinDay {
  double mu, alpha;
};
NegBinDay negbin_link(double raw_mu, double raw_a, const NegBinScale& scale);

// raw [series, horizon, 2] -> out [series, horizon, 2] = (mu, alpha) of every day.
template <class T>
void negbin_forward(const ModelConfig& config, const T* raw, const T* center, const T* spread,
                    double gamma, double beta, int64_t series, T* out);

// From d_out [series, horizon, 2] (the gradient w.r.t. negbin_forward's out): d_raw (overwritten)
// and the affine pair's gradient, added to *d_gamma and *d_beta.
template <class T>
void negbin_backward(const ModelConfig& config, const T* raw, const T* center, const T* spread,
                     double gamma, double beta, const T* d_out, int64_t series, T* d_raw,
                     double* d_gamma, double* d_beta);

// log P(Y = y) and its derivatives w.r.t. mu and alpha, for y >= 0 (any real, see above).
struct NegBinLogLikelihood {
  double value, d_mu, d_alpha;
};
NegBinLogLikelihood negbin_log_likelihood(double y, double mu, double alpha);

// P(Y <= k); 0 for k < 0.
double negbin_cdf(int64_t k, double mu, double alpha);

// For each level (strictly increasing, in (0, 1)) the smallest count k with P(Y <= k) >= level,
// written to out: whole units, >= 0, non-decreasing along the levels.
template <class T>
void negbin_quantiles(double mu, double alpha, std::span<const double> levels, T* out);

// The forecast from raw [series, horizon, 2] (host memory): quantiles [series, horizon, Q] at
// config.quantiles and, when mean is not null, mean [series, horizon] = mu.
template <class T>
void negbin_forecast(const ModelConfig& config, const T* raw, const T* center, const T* spread,
                     double gamma, double beta, int64_t series, T* quantiles, T* mean);

}  // namespace invforecast::layers
