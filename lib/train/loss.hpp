// Training losses on the normalised scale (see trainable_encoder.hpp), with a
// weight per series.
//
// For series s with targets y[h] and predicted quantiles p[h, j] (levels tau_j):
//   Pinball (default)  l_s = 1/(H Q) sum_h sum_j rho_tau_j(y[h] - p[h, j]),
//                      rho_tau(u) = u (tau - [u < 0])
//   MedianMae          l_s = 1/H sum_h |y[h] - p[h, m]|        (m = median index)
//   MedianMse          l_s = 1/H sum_h (y[h] - p[h, m])^2
// and the batch loss is the weighted mean sum_s w_s l_s / sum_s w_s.  At a
// kink (u = 0) the gradient taken is the right derivative's (u >= 0 branch).
//
// The negbin head (model_config.hpp's HeadKind::NegBin) trains on the
// negative log-likelihood of the sales y[h] (sales scale, not normalised)
// under each day's distribution (mu[h], alpha[h]) (layers/negbin_head.hpp):
//   l_s = -1/H sum_h log NB(y[h]; mu[h], alpha[h]).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace invforecast::train {

enum class LossKind { Pinball, MedianMae, MedianMse };

std::string_view to_string(LossKind kind);
// "pinball", "mae", "mse"; Error(InvalidArgument) otherwise.
LossKind loss_kind_from_string(std::string_view name);

struct LossShape {
  int64_t series = 0;
  int64_t horizon = 0;
  std::span<const double> levels;  // quantile levels, sorted
  int64_t median_index = 0;
};

// Returns sum_s w_s l_s (weights null = all 1).  When d_predictions is not
// null it receives grad_scale * d(sum_s w_s l_s)/d(predictions), so that
// grad_scale = 1 / (total weight of the batch) gives the gradient of the
// weighted mean even when a batch is split over threads.  predictions
// [series, horizon, Q], targets [series, horizon].  Throws
// Error(InvalidArgument) for a negative or non-finite weight.
template <class T>
double loss_sum(LossKind kind, const LossShape& shape, const T* predictions, const T* targets,
                const double* weights, double grad_scale, T* d_predictions);

// The negbin head's loss_sum: distributions [series, horizon, 2] (mu, alpha),
// targets [series, horizon] on the sales scale, finite and >= 0
// (Error(InvalidArgument) naming the series and day otherwise).
template <class T>
double negbin_loss_sum(const LossShape& shape, const T* distributions, const T* targets,
                       const double* weights, double grad_scale, T* d_distributions);

// The weighted mean and its gradient in one call (total weight must be > 0).
template <class T>
double weighted_loss(LossKind kind, const LossShape& shape, const T* predictions, const T* targets,
                     const double* weights, T* d_predictions);

}  // namespace invforecast::train
