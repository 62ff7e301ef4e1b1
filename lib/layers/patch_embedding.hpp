// The encoder's input side, forward and backward, for inference and
// training alike: per-series normalisation of the context (RevIN or
// mean-absolute scaling), patching, the patch embedding and the positional
// embedding.  model_config.hpp documents the architecture.
#pragma once

#include <cstdint>

#include "layers/linear.hpp"
#include "model/model_config.hpp"

namespace invforecast::layers {

template <class T>
struct EmbeddingWeights {
  // RevIN's affine pair [1] each, in the backend's memory; (1, 0) when the
  // model has none.  Unused with mean-absolute scaling.
  const T* revin_weight = nullptr;
  const T* revin_bias = nullptr;
  Linear<T> patch;              // [d_model, patch_length]
  const T* pos_embed = nullptr;  // [tokens, d_model]
};

// context [series, context_length] (sales scale) -> normalized [series,
// context_length], center (RevIN only) and spread [series], patches
// [series * tokens, patch_length], stream [series * tokens, d_model].
// hidden [series, context_length] (null: nothing hidden): positions that
// read 0 on the normalised scale in every patch (masked pre-training).
template <class T>
void embed_forward(const kernels::Context& ctx, const ModelConfig& config,
                   const EmbeddingWeights<T>& w, const T* context, int64_t series,
                   const uint8_t* hidden, T* normalized, T* center, T* spread, T* patches,
                   T* stream);

// Gradients of the embedding from d_stream [series * tokens, d_model]:
// d_patch_weight, d_patch_bias, d_pos_embed overwritten; with RevIN's
// affine pair, *d_revin_weight and *d_revin_bias (one value each, written)
// get the input side's share, using d_patches and d_normalized as scratch.
template <class T>
void embed_backward(const kernels::Context& ctx, const ModelConfig& config,
                    const EmbeddingWeights<T>& w, int64_t series, const T* context,
                    const T* center, const T* spread, const uint8_t* hidden, const T* patches,
                    const T* d_stream, T* d_patches, T* d_normalized, T* d_patch_weight,
                    T* d_patch_bias, T* d_pos_embed, T* d_revin_weight, T* d_revin_bias);

}  // namespace invforecast::layers
