// The encoder's output side, for inference and training alike: the linear
// head over every token of a series to horizon x head_step_outputs() raw
// values, then for the quantile head the non-crossing quantile map
// (kernels::quantile_head_forward) and the map back to the sales scale,
// clipped at zero.  The negbin head's link and distribution are
// negbin_head.hpp's.
#pragma once

#include <cstdint>

#include "layers/linear.hpp"
#include "model/model_config.hpp"

namespace invforecast::layers {

// final_tokens [series, tokens * d_model] -> raw [series, horizon, W] (W =
// head_step_outputs()) and, for the quantile head, quantiles [series,
// horizon, quantiles], non-crossing along the last axis, on the normalised
// scale (before RevIN's affine pair is undone); the negbin head writes raw
// alone (quantiles unused).  raw_add [series, horizon, W] (null: none) is
// added to the raw output before the map: the covariate decoder's term
// (layers/covariates.hpp).
template <class T>
void head_forward(const kernels::Context& ctx, const ModelConfig& config, const Linear<T>& head,
                  const T* final_tokens, int64_t series, T* raw, T* quantiles,
                  const T* raw_add = nullptr);

// From d_quantiles: d_raw (scratch), d_final_tokens, d_weight and d_bias
// overwritten.  The negbin head has no map to undo: d_quantiles is the raw
// output's gradient itself and d_raw is not written.
template <class T>
void head_backward(const kernels::Context& ctx, const ModelConfig& config, const Linear<T>& head,
                   const T* final_tokens, const T* raw, const T* d_quantiles, int64_t series,
                   T* d_raw, T* d_final_tokens, T* d_weight, T* d_bias);

// quantiles (head_forward's) -> sales [series, horizon, quantiles]: RevIN
// undone with the series' center and spread and the affine pair
// (revin_weight, revin_bias), or the mean-absolute scale multiplied back;
// then clipped at zero, which keeps the order.
template <class T>
void to_sales(const kernels::Context& ctx, const ModelConfig& config, const T* revin_weight,
              const T* revin_bias, const T* center, const T* spread, const T* quantiles,
              int64_t series, T* sales);

}  // namespace invforecast::layers
