#include "layers/quantile_head.hpp"

namespace invforecast::layers {

namespace kern = invforecast::kernels;

template <class T>
void head_forward(const kern::Context& ctx, const ModelConfig& c, const Linear<T>& head,
                  const T* final_tokens, int64_t series, T* raw, T* quantiles,
                  const T* raw_add) {
  // Each series' tokens are contiguous, so [series, N*D] is the token-major flattening.
  linear(ctx, head, final_tokens, raw, series);
  if (raw_add) kern::add_rows(ctx, raw_add, raw, series, head.out, series);
  if (c.head != HeadKind::Quantile) return;  // the link runs on the host (negbin_head.hpp)
  kern::quantile_head_forward(ctx, raw, quantiles, series * c.horizon, c.num_quantiles(),
                              c.median_quantile_index());
}

template <class T>
void head_backward(const kern::Context& ctx, const ModelConfig& c, const Linear<T>& head,
                   const T* final_tokens, const T* raw, const T* d_quantiles, int64_t series,
                   T* d_raw, T* d_final_tokens, T* d_weight, T* d_bias) {
  const T* d_out = d_quantiles;
  if (c.head == HeadKind::Quantile) {
    kern::quantile_head_backward(ctx, raw, d_quantiles, d_raw, series * c.horizon,
                                 c.num_quantiles(), c.median_quantile_index());
    d_out = d_raw;
  }
  kern::linear_backward(ctx, final_tokens, head.weight, d_out, d_final_tokens, d_weight, d_bias,
                        series, head.in, head.out);
}

template <class T>
void to_sales(const kern::Context& ctx, const ModelConfig& c, const T* revin_weight,
              const T* revin_bias, const T* center, const T* spread, const T* quantiles,
              int64_t series, T* sales) {
  const int64_t outputs = c.horizon * c.num_quantiles();
  switch (c.normalization) {
    case NormKind::Revin:
      kern::revin_denormalize_forward(ctx, quantiles, revin_weight, revin_bias, center, spread,
                                      sales, series, outputs, 1);
      break;
    case NormKind::MeanAbs:
      kern::mean_abs_unscale(ctx, quantiles, spread, sales, series, outputs);
      break;
  }
  kern::clamp_min(ctx, sales, series * outputs, T(0));
}

template void head_forward<float>(const kern::Context&, const ModelConfig&, const Linear<float>&,
                                  const float*, int64_t, float*, float*, const float*);
template void head_forward<double>(const kern::Context&, const ModelConfig&,
                                   const Linear<double>&, const double*, int64_t, double*,
                                   double*, const double*);
template void head_backward<float>(const kern::Context&, const ModelConfig&,
                                   const Linear<float>&, const float*, const float*,
                                   const float*, int64_t, float*, float*, float*, float*);
template void head_backward<double>(const kern::Context&, const ModelConfig&,
                                    const Linear<double>&, const double*, const double*,
                                    const double*, int64_t, double*, double*, double*, double*);
template void to_sales<float>(const kern::Context&, const ModelConfig&, const float*,
                              const float*, const float*, const float*, const float*, int64_t,
                              float*);
template void to_sales<double>(const kern::Context&, const ModelConfig&, const double*,
                               const double*, const double*, const double*, const double*,
                               int64_t, double*);

}  // namespace invforecast::layers
