// The covariate side of the encoder, forward and backward, for inference and
// training alike (docs/covariates.md has the design; model_config.hpp the
// tensors and CovariateLayout the channel order):
//   frames    the inputs as the model reads them: each series' context frame
//             [L, C] (real channels, then categorical embeddings), its
//             horizon frame [H, K] (the known-future channels of each step)
//             and its static vector [S];
//   tokens    every token gets W_patch (its days of the context frame,
//             channel-major) and W_static s + b (the statics), added to the
//             patch embedding before the transformer layers;
//   decoder   each horizon step h, from its known-future channels f_h, the
//             mean m of the series' final tokens and the statics:
//               u_h = gelu(W_known f_h + W_series [m; s] + b_series)
//               raw_h += W_out u_h + b_out
//             added to the head's raw output (W = head_step_outputs()
//             values) before the head's map: the quantile head's
//             non-crossing map keeps the quantiles ordered, the negbin
//             head's link its distribution valid.
// Every op goes through kernels/ops.hpp on the context's backend; the
// inputs and activations live in that backend's memory.
#pragma once

#include <cstdint>
#include <vector>

#include "layers/linear.hpp"
#include "model/model_config.hpp"

namespace invforecast::layers {

// A batch's covariates as the feature encoder writes them
// (model/feature_encoder.hpp), with L = context_length, H = horizon and the
// layout's columns (known-future ones first wherever both appear).  A
// pointer of a width-0 array may be null.
template <class T>
struct CovariateBatch {
  const T* context_real = nullptr;         // [series, L, real_columns()]
  const T* horizon_real = nullptr;         // [series, H, known_real_channels]
  const int32_t* context_codes = nullptr;  // [series, L, code_columns()]
  const int32_t* horizon_codes = nullptr;  // [series, H, known_categorical]
  const T* static_real = nullptr;          // [series, static_real]
  const int32_t* static_codes = nullptr;   // [series, static_categorical]
};

// Values and codes each series takes in a CovariateBatch's arrays.
struct CovariateInputSizes {
  int64_t context_real, horizon_real, static_real, context_codes, horizon_codes, static_codes;
  int64_t reals() const { return context_real + horizon_real + static_real; }
  int64_t codes() const { return context_codes + horizon_codes + static_codes; }
};
inline CovariateInputSizes covariate_input_sizes(const ModelConfig& c, const CovariateLayout& l) {
  const int64_t L = c.context_length, H = c.horizon;
  return CovariateInputSizes{L * l.real_columns(),
                             H * l.known_real_channels,
                             static_cast<int64_t>(l.static_real.size()),
                             L * l.code_columns(),
                             H * static_cast<int64_t>(l.known_categorical.size()),
                             static_cast<int64_t>(l.static_categorical.size())};
}

// The batch from series `first` on.
template <class T>
CovariateBatch<T> advance(const CovariateBatch<T>& b, const CovariateInputSizes& z, int64_t first) {
  auto at = [first](auto* p, int64_t per_series) { return p ? p + first * per_series : p; };
  return CovariateBatch<T>{at(b.context_real, z.context_real),   at(b.horizon_real, z.horizon_real),
                           at(b.context_codes, z.context_codes), at(b.horizon_codes, z.horizon_codes),
                           at(b.static_real, z.static_real),     at(b.static_codes, z.static_codes)};
}

template <class T>
struct Embedding {
  const T* table = nullptr;  // [entries, embedding_dim]
  int64_t entries = 0;
};

template <class T>
struct CovariateWeights {
  // One table per categorical feature of each group, in layout order.
  std::vector<Embedding<T>> known, past, statics;
  Linear<T> patch;       // [D, C * P], no bias
  Linear<T> static_in;   // [D, S]; absent (null weight) when S = 0
  Linear<T> known_in;    // [Fd, K], no bias
  Linear<T> series_in;   // [Fd, D + S]
  Linear<T> out;         // [W, Fd], W = head_step_outputs()
};

// Activations, for rows = series * tokens token rows.  Training keeps them
// all for backward; inference reuses one workspace per tile.
template <class T>
struct CovariateActivations {
  T* context_frame = nullptr;  // [series, L, C]
  T* patches = nullptr;        // [series * tokens, C * P]
  T* horizon_frame = nullptr;  // [series * H, K]
  T* statics = nullptr;        // [series, S]
  T* token_add = nullptr;      // [series * tokens, D] (training: the patch term before it is added)
  T* static_add = nullptr;     // [series, D]
  T* pooled = nullptr;         // [series, D]
  T* series_vec = nullptr;     // [series, D + S]
  T* series_hidden = nullptr;  // [series, Fd]
  T* decoder_pre = nullptr;    // [series * H, Fd]
  T* decoder_act = nullptr;    // [series * H, Fd]
  T* decoder_out = nullptr;    // [series * H, W]
};

// Floats each activation needs per series (CovariateActivations order), for
// callers that carve them out of one buffer.
struct CovariateSizes {
  int64_t context_frame, patches, horizon_frame, statics, token_add, static_add, pooled,
      series_vec, series_hidden, decoder_pre, decoder_act, decoder_out;
  int64_t total() const {
    return context_frame + patches + horizon_frame + statics + token_add + static_add + pooled +
           series_vec + series_hidden + decoder_pre + decoder_act + decoder_out;
  }
};
CovariateSizes covariate_sizes(const ModelConfig& config, const CovariateLayout& layout);

// Activations for `series` series carved out of one buffer at `base`, in
// CovariateSizes order (total() floats per series).  Computes pointers only.
template <class T>
CovariateActivations<T> carve_activations(T* base, int64_t series, const CovariateSizes& z) {
  auto take = [&base, series](int64_t per_series) {
    T* p = base;
    base += series * per_series;
    return p;
  };
  CovariateActivations<T> a;
  a.context_frame = take(z.context_frame);
  a.patches = take(z.patches);
  a.horizon_frame = take(z.horizon_frame);
  a.statics = take(z.statics);
  a.token_add = take(z.token_add);
  a.static_add = take(z.static_add);
  a.pooled = take(z.pooled);
  a.series_vec = take(z.series_vec);
  a.series_hidden = take(z.series_hidden);
  a.decoder_pre = take(z.decoder_pre);
  a.decoder_act = take(z.decoder_act);
  a.decoder_out = take(z.decoder_out);
  return a;
}

// Builds the frames and the static vector from the batch.
template <class T>
void covariate_frames_forward(const kernels::Context& ctx, const ModelConfig& config,
                              const CovariateLayout& layout, const CovariateWeights<T>& w,
                              const CovariateBatch<T>& batch, int64_t series,
                              const CovariateActivations<T>& a);

// stream [series * tokens, D] += the patch and static terms.  With
// `accumulate` (inference on prepared weights) the patch GEMM adds into the
// stream in one pass; otherwise it goes through a.token_add.
template <class T>
void covariate_tokens_forward(const kernels::Context& ctx, const ModelConfig& config,
                              const CovariateLayout& layout, const CovariateWeights<T>& w,
                              int64_t series, const CovariateActivations<T>& a, T* stream,
                              bool accumulate);

// final_tokens [series * tokens, D] -> a.decoder_out [series * H, W], the
// term head_forward adds to its raw output.
template <class T>
void decoder_forward(const kernels::Context& ctx, const ModelConfig& config,
                     const CovariateLayout& layout, const CovariateWeights<T>& w,
                     const T* final_tokens, int64_t series, const CovariateActivations<T>& a);

// Gradients, overwritten unless said otherwise; null where the model has no
// such tensor.
template <class T>
struct CovariateGradients {
  std::vector<T*> known, past, statics;  // embedding tables, as CovariateWeights
  T *patch = nullptr, *static_weight = nullptr, *static_bias = nullptr, *known_in = nullptr,
    *series_weight = nullptr, *series_bias = nullptr, *out_weight = nullptr, *out_bias = nullptr;
};

// Backward scratch, sized as the activations of the same name.
template <class T>
struct CovariateScratch {
  T *d_context_frame, *d_patches, *d_horizon_frame, *d_statics, *d_static_add, *d_pooled,
      *d_series_vec, *d_series_hidden, *d_decoder_pre, *d_decoder_act;
};

// From d_raw [series * H, W] (the gradient of the head's raw output): the
// decoder's gradients, d_final_tokens += the pooled share, s.d_statics =
// the decoder's share of the statics' gradient.
template <class T>
void decoder_backward(const kernels::Context& ctx, const ModelConfig& config,
                      const CovariateLayout& layout, const CovariateWeights<T>& w,
                      const CovariateActivations<T>& a, int64_t series, const T* d_raw,
                      T* d_final_tokens, const CovariateScratch<T>& s,
                      const CovariateGradients<T>& g);

// From d_stream [series * tokens, D] (the gradient of the embedded tokens):
// the patch and static gradients, s.d_context_frame, s.d_statics += the
// tokens' share; then every embedding table's gradient from the frames' and
// the statics' gradients, added to g's tables, which the caller zeroes
// (a table serves the context and the horizon alike).
template <class T>
void covariate_tokens_backward(const kernels::Context& ctx, const ModelConfig& config,
                               const CovariateLayout& layout, const CovariateWeights<T>& w,
                               const CovariateBatch<T>& batch, const CovariateActivations<T>& a,
                               int64_t series, const T* d_stream, const CovariateScratch<T>& s,
                               const CovariateGradients<T>& g);

}  // namespace invforecast::layers
