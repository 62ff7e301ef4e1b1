#include "layers/patch_embedding.hpp"

namespace invforecast::layers {

namespace kern = invforecast::kernels;

template <class T>
void embed_forward(const kern::Context& ctx, const ModelConfig& c, const EmbeddingWeights<T>& w,
                   const T* context, int64_t series, const uint8_t* hidden, T* normalized,
                   T* center, T* spread, T* patches, T* stream) {
  const int64_t L = c.context_length, N = c.num_tokens(), D = c.d_model;
  const T eps = static_cast<T>(c.norm_eps);
  switch (c.normalization) {
    case NormKind::Revin:
      kern::revin_normalize_forward(ctx, context, w.revin_weight, w.revin_bias, normalized, center,
                                    spread, series, L, 1, eps);
      break;
    case NormKind::MeanAbs:
      kern::mean_abs_scale_forward(ctx, context, normalized, spread, series, L, eps);
      break;
  }
  kern::patchify_forward(ctx, normalized, hidden, patches, series, L, c.patch_length, c.stride, N);
  linear(ctx, w.patch, patches, stream, series * N);
  kern::add_rows(ctx, w.pos_embed, stream, series * N, D, N);
}

template <class T>
void embed_backward(const kern::Context& ctx, const ModelConfig& c, const EmbeddingWeights<T>& w,
                    int64_t series, const T* context, const T* center, const T* spread,
                    const uint8_t* hidden, const T* patches, const T* d_stream, T* d_patches,
                    T* d_normalized, T* d_patch_weight, T* d_patch_bias, T* d_pos_embed,
                    T* d_revin_weight, T* d_revin_bias) {
  const int64_t L = c.context_length, P = c.patch_length, N = c.num_tokens(), D = c.d_model;
  const bool affine = c.normalization == NormKind::Revin && c.revin_affine;
  // The positional embedding is shared by every series.
  kern::add_rows_backward(ctx, d_stream, d_pos_embed, series * N, D, N);
  // Only RevIN's affine pair lies below the patch embedding.
  kern::linear_backward(ctx, patches, w.patch.weight, d_stream, affine ? d_patches : nullptr,
                        d_patch_weight, d_patch_bias, series * N, P, D);
  if (!affine) return;
  // A hidden position is the constant 0, whatever the affine pair.
  kern::patchify_backward(ctx, d_patches, hidden, d_normalized, series, L, P, c.stride, N);
  kern::revin_normalize_backward(ctx, context, center, spread, d_normalized, d_revin_weight,
                                 d_revin_bias, series, L, 1);
}

template void embed_forward<float>(const kern::Context&, const ModelConfig&,
                                   const EmbeddingWeights<float>&, const float*, int64_t,
                                   const uint8_t*, float*, float*, float*, float*, float*);
template void embed_forward<double>(const kern::Context&, const ModelConfig&,
                                    const EmbeddingWeights<double>&, const double*, int64_t,
                                    const uint8_t*, double*, double*, double*, double*, double*);
template void embed_backward<float>(const kern::Context&, const ModelConfig&,
                                    const EmbeddingWeights<float>&, int64_t, const float*,
                                    const float*, const float*, const uint8_t*, const float*,
                                    const float*, float*, float*, float*, float*, float*, float*,
                                    float*);
template void embed_backward<double>(const kern::Context&, const ModelConfig&,
                                     const EmbeddingWeights<double>&, int64_t, const double*,
                                     const double*, const double*, const uint8_t*,
                                     const double*, const double*, double*, double*, double*,
                                     double*, double*, double*, double*);

}  // namespace invforecast::layers
