#include "train/loss.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "layers/negbin_head.hpp"

namespace invforecast::train {

namespace {

double series_weight(const double* weights, int64_t s, const char* what) {
  const double w = weights ? weights[s] : 1.0;
  if (!(w >= 0.0) || !std::isfinite(w))
    fail(ErrorCode::InvalidArgument, "{}: weight of series {} is {}, it must be finite and >= 0",
         what, s, w);
  return w;
}

}  // namespace

std::string_view to_string(LossKind kind) {
  switch (kind) {
    case LossKind::Pinball: return "pinball";
    case LossKind::MedianMae: return "mae";
    case LossKind::MedianMse: return "mse";
  }
  return "unknown";
}

LossKind loss_kind_from_string(std::string_view name) {
  for (LossKind kind : {LossKind::Pinball, LossKind::MedianMae, LossKind::MedianMse})
    if (to_string(kind) == name) return kind;
  fail(ErrorCode::InvalidArgument, "unknown loss '{}': expected pinball, mae or mse", name);
}

template <class T>
double loss_sum(LossKind kind, const LossShape& shape, const T* predictions, const T* targets,
                const double* weights, double grad_scale, T* d_predictions) {
  const int64_t H = shape.horizon, Q = static_cast<int64_t>(shape.levels.size()),
                m = shape.median_index;
  if (shape.series < 0 || H < 1 || Q < 1 || m < 0 || m >= Q)
    fail(ErrorCode::InvalidArgument,
         "loss: bad shape (series {}, horizon {}, quantiles {}, median index {})", shape.series, H,
         Q, m);
  if (shape.series > 0 && (!predictions || !targets))
    fail(ErrorCode::NullPointer, "loss: predictions or targets is null");
  double total = 0.0;
  for (int64_t s = 0; s < shape.series; ++s) {
    const double w = series_weight(weights, s, "loss");
    const T* p = predictions + s * H * Q;
    const T* y = targets + s * H;
    T* d = d_predictions ? d_predictions + s * H * Q : nullptr;
    if (d) std::fill(d, d + H * Q, T(0));
    double series_loss = 0.0;
    if (kind == LossKind::Pinball) {
      const double norm = 1.0 / static_cast<double>(H * Q);
      for (int64_t h = 0; h < H; ++h)
        for (int64_t j = 0; j < Q; ++j) {
          const double tau = shape.levels[static_cast<size_t>(j)];
          const double u = static_cast<double>(y[h]) - static_cast<double>(p[h * Q + j]);
          const double slope = u < 0.0 ? tau - 1.0 : tau;
          series_loss += u * slope;
          if (d) d[h * Q + j] = static_cast<T>(-slope * norm * w * grad_scale);
        }
      series_loss *= norm;
    } else {
      const double norm = 1.0 / static_cast<double>(H);
      for (int64_t h = 0; h < H; ++h) {
        const double u = static_cast<double>(y[h]) - static_cast<double>(p[h * Q + m]);
        const bool mae = kind == LossKind::MedianMae;
        series_loss += mae ? std::abs(u) : u * u;
        const double slope = mae ? (u < 0.0 ? -1.0 : 1.0) : 2.0 * u;
        if (d) d[h * Q + m] = static_cast<T>(-slope * norm * w * grad_scale);
      }
      series_loss *= norm;
    }
    total += w * series_loss;
  }
  return total;
}

template <class T>
double negbin_loss_sum(const LossShape& shape, const T* distributions, const T* targets,
                       const double* weights, double grad_scale, T* d_distributions) {
  const int64_t H = shape.horizon;
  if (shape.series < 0 || H < 1)
    fail(ErrorCode::InvalidArgument, "negbin loss: bad shape (series {}, horizon {})",
         shape.series, H);
  if (shape.series > 0 && (!distributions || !targets))
    fail(ErrorCode::NullPointer, "negbin loss: distributions or targets is null");
  const double norm = 1.0 / static_cast<double>(H);
  double total = 0.0;
  for (int64_t s = 0; s < shape.series; ++s) {
    const double w = series_weight(weights, s, "negbin loss");
    double series_loss = 0.0;
    for (int64_t h = 0; h < H; ++h) {
      const double y = static_cast<double>(targets[s * H + h]);
      if (!(y >= 0.0) || !std::isfinite(y))
        fail(ErrorCode::InvalidArgument,
             "negbin loss: the sales of series {} on horizon day {} are {}; a count must be "
             "finite and >= 0",
             s, h + 1, y);
      const T* d = distributions + (s * H + h) * 2;
      const layers::NegBinLogLikelihood ll =
          layers::negbin_log_likelihood(y, static_cast<double>(d[0]), static_cast<double>(d[1]));
      series_loss -= ll.value;
      if (d_distributions) {
        T* g = d_distributions + (s * H + h) * 2;
        g[0] = static_cast<T>(-ll.d_mu * norm * w * grad_scale);
        g[1] = static_cast<T>(-ll.d_alpha * norm * w * grad_scale);
      }
    }
    total += w * series_loss * norm;
  }
  return total;
}

template <class T>
double weighted_loss(LossKind kind, const LossShape& shape, const T* predictions, const T* targets,
                     const double* weights, T* d_predictions) {
  double weight_total = 0.0;
  for (int64_t s = 0; s < shape.series; ++s) weight_total += weights ? weights[s] : 1.0;
  if (!(weight_total > 0.0))
    fail(ErrorCode::InvalidArgument, "loss: the weights of the batch sum to {}, not > 0",
         weight_total);
  return loss_sum(kind, shape, predictions, targets, weights, 1.0 / weight_total, d_predictions) /
         weight_total;
}

template double loss_sum<float>(LossKind, const LossShape&, const float*, const float*,
                                const double*, double, float*);
template double loss_sum<double>(LossKind, const LossShape&, const double*, const double*,
                                 const double*, double, double*);
template double negbin_loss_sum<float>(const LossShape&, const float*, const float*,
                                       const double*, double, float*);
template double negbin_loss_sum<double>(const LossShape&, const double*, const double*,
                                        const double*, double, double*);
template double weighted_loss<float>(LossKind, const LossShape&, const float*, const float*,
                                     const double*, float*);
template double weighted_loss<double>(LossKind, const LossShape&, const double*, const double*,
                                      const double*, double*);

}  // namespace invforecast::train
