#include "layers/covariates.hpp"

namespace invforecast::layers {

namespace kern = invforecast::kernels;

namespace {

// Column offsets of the context frame's four blocks (CovariateLayout order).
struct FrameColumns {
  int64_t known_real = 0, known_embed, past_real, past_embed, width;
  FrameColumns(const CovariateLayout& l)
      : known_embed(l.known_real_channels),
        past_real(l.known_channels()),
        past_embed(l.known_channels() + l.past_real_channels),
        width(l.channels()) {}
};

// out[r, e] (row stride ld, from column `column`) = table[codes[r * code_stride], e] for each
// table of `tables`, the j-th reading code column j and writing E columns further.
template <class T>
void gather_all(const kern::Context& ctx, const std::vector<Embedding<T>>& tables,
                const int32_t* codes, int64_t code_stride, T* out, int64_t ld, int64_t column,
                int64_t rows, int64_t E) {
  for (size_t j = 0; j < tables.size(); ++j)
    kern::embedding_gather(ctx, tables[j].table, codes + j, code_stride,
                           out + column + static_cast<int64_t>(j) * E, ld, rows,
                           tables[j].entries, E);
}

template <class T>
void scatter_all(const kern::Context& ctx, const std::vector<Embedding<T>>& tables,
                 const std::vector<T*>& grads, const int32_t* codes, int64_t code_stride,
                 const T* d_out, int64_t ld, int64_t column, int64_t rows, int64_t E) {
  for (size_t j = 0; j < tables.size(); ++j)
    kern::embedding_scatter_add(ctx, d_out + column + static_cast<int64_t>(j) * E, ld, codes + j,
                                code_stride, grads[j], rows, tables[j].entries, E);
}

}  // namespace

CovariateSizes covariate_sizes(const ModelConfig& c, const CovariateLayout& l) {
  const int64_t L = c.context_length, H = c.horizon, N = c.num_tokens(), D = c.d_model,
                P = c.patch_length, Fd = c.decoder_dim, W = c.head_step_outputs();
  const int64_t C = l.channels(), K = l.known_channels(), S = l.static_width();
  return CovariateSizes{L * C,  N * C * P, H * K,  S,      N * D,  D,
                        D,      D + S,     Fd,     H * Fd, H * Fd, H * W};
}

template <class T>
void covariate_frames_forward(const kern::Context& ctx, const ModelConfig& c,
                              const CovariateLayout& l, const CovariateWeights<T>& w,
                              const CovariateBatch<T>& b, int64_t series,
                              const CovariateActivations<T>& a) {
  const int64_t L = c.context_length, H = c.horizon, E = l.embedding_dim;
  const FrameColumns col(l);
  const int64_t real = l.real_columns(), codes = l.code_columns();
  const int64_t known_codes = static_cast<int64_t>(l.known_categorical.size());
  const int64_t rows = series * L;
  if (l.known_real_channels > 0)
    kern::copy_block(ctx, b.context_real, real, a.context_frame + col.known_real, col.width, rows,
                     l.known_real_channels);
  if (l.past_real_channels > 0)
    kern::copy_block(ctx, b.context_real + l.known_real_channels, real,
                     a.context_frame + col.past_real, col.width, rows, l.past_real_channels);
  gather_all(ctx, w.known, b.context_codes, codes, a.context_frame, col.width, col.known_embed,
             rows, E);
  gather_all(ctx, w.past, b.context_codes + known_codes, codes, a.context_frame, col.width,
             col.past_embed, rows, E);

  const int64_t K = l.known_channels();
  if (l.known_real_channels > 0)
    kern::copy_block(ctx, b.horizon_real, l.known_real_channels, a.horizon_frame, K, series * H,
                     l.known_real_channels);
  gather_all(ctx, w.known, b.horizon_codes, known_codes, a.horizon_frame, K,
             l.known_real_channels, series * H, E);

  const int64_t S = l.static_width(), static_reals = static_cast<int64_t>(l.static_real.size());
  if (static_reals > 0)
    kern::copy_block(ctx, b.static_real, static_reals, a.statics, S, series, static_reals);
  gather_all(ctx, w.statics, b.static_codes, static_cast<int64_t>(l.static_categorical.size()),
             a.statics, S, static_reals, series, E);
}

template <class T>
void covariate_tokens_forward(const kern::Context& ctx, const ModelConfig& c,
                              const CovariateLayout& l, const CovariateWeights<T>& w,
                              int64_t series, const CovariateActivations<T>& a, T* stream,
                              bool accumulate) {
  const int64_t N = c.num_tokens(), D = c.d_model, rows = series * N;
  kern::patchify_channels_forward(ctx, a.context_frame, a.patches, series, c.context_length,
                                  l.channels(), c.patch_length, c.stride, N);
  if (accumulate) {
    linear(ctx, w.patch, a.patches, stream, rows, kern::Epilogue::None, true);
  } else {
    linear(ctx, w.patch, a.patches, a.token_add, rows);
    kern::add_rows(ctx, a.token_add, stream, rows, D, rows);
  }
  if (l.static_width() > 0) {
    linear(ctx, w.static_in, a.statics, a.static_add, series);
    kern::add_groups(ctx, a.static_add, stream, series, N, D, T(1));
  }
}

template <class T>
void decoder_forward(const kern::Context& ctx, const ModelConfig& c, const CovariateLayout& l,
                     const CovariateWeights<T>& w, const T* final_tokens, int64_t series,
                     const CovariateActivations<T>& a) {
  const int64_t N = c.num_tokens(), D = c.d_model, H = c.horizon, Fd = c.decoder_dim;
  const int64_t S = l.static_width(), width = D + S;
  kern::sum_groups(ctx, final_tokens, a.pooled, series, N, D, T(1) / static_cast<T>(N));
  kern::copy_block(ctx, a.pooled, D, a.series_vec, width, series, D);
  if (S > 0) kern::copy_block(ctx, a.statics, S, a.series_vec + D, width, series, S);
  linear(ctx, w.series_in, a.series_vec, a.series_hidden, series);
  linear(ctx, w.known_in, a.horizon_frame, a.decoder_pre, series * H);
  kern::add_groups(ctx, a.series_hidden, a.decoder_pre, series, H, Fd, T(1));
  kern::bias_gelu_forward(ctx, a.decoder_pre, nullptr, a.decoder_act, series * H, Fd);
  linear(ctx, w.out, a.decoder_act, a.decoder_out, series * H);
}

template <class T>
void decoder_backward(const kern::Context& ctx, const ModelConfig& c, const CovariateLayout& l,
                      const CovariateWeights<T>& w, const CovariateActivations<T>& a,
                      int64_t series, const T* d_raw, T* d_final_tokens,
                      const CovariateScratch<T>& s, const CovariateGradients<T>& g) {
  const int64_t N = c.num_tokens(), D = c.d_model, H = c.horizon, Fd = c.decoder_dim,
                W = c.head_step_outputs();
  const int64_t S = l.static_width(), K = l.known_channels(), width = D + S;
  kern::linear_backward(ctx, a.decoder_act, w.out.weight, d_raw, s.d_decoder_act, g.out_weight,
                        g.out_bias, series * H, Fd, W);
  kern::bias_gelu_backward(ctx, a.decoder_pre, nullptr, s.d_decoder_act, s.d_decoder_pre,
                           static_cast<T*>(nullptr), series * H, Fd);
  kern::linear_backward(ctx, a.horizon_frame, w.known_in.weight, s.d_decoder_pre,
                        s.d_horizon_frame, g.known_in, static_cast<T*>(nullptr), series * H, K,
                        Fd);
  kern::sum_groups(ctx, s.d_decoder_pre, s.d_series_hidden, series, H, Fd, T(1));
  kern::linear_backward(ctx, a.series_vec, w.series_in.weight, s.d_series_hidden,
                        s.d_series_vec, g.series_weight, g.series_bias, series, width, Fd);
  kern::copy_block(ctx, s.d_series_vec, width, s.d_pooled, D, series, D);
  kern::add_groups(ctx, s.d_pooled, d_final_tokens, series, N, D, T(1) / static_cast<T>(N));
  if (S > 0) kern::copy_block(ctx, s.d_series_vec + D, width, s.d_statics, S, series, S);
}

template <class T>
void covariate_tokens_backward(const kern::Context& ctx, const ModelConfig& c,
                               const CovariateLayout& l, const CovariateWeights<T>& w,
                               const CovariateBatch<T>& b, const CovariateActivations<T>& a,
                               int64_t series, const T* d_stream, const CovariateScratch<T>& s,
                               const CovariateGradients<T>& g) {
  const int64_t L = c.context_length, H = c.horizon, N = c.num_tokens(), D = c.d_model,
                P = c.patch_length, E = l.embedding_dim;
  const int64_t C = l.channels(), K = l.known_channels(), S = l.static_width();
  const int64_t rows = series * N;
  kern::linear_backward(ctx, a.patches, w.patch.weight, d_stream, s.d_patches, g.patch,
                        static_cast<T*>(nullptr), rows, C * P, D);
  kern::patchify_channels_backward(ctx, s.d_patches, s.d_context_frame, series, L, C, P,
                                   c.stride, N);
  if (S > 0) {
    kern::sum_groups(ctx, d_stream, s.d_static_add, series, N, D, T(1));
    // The decoder's share is in s.d_statics; the tokens' share goes through d_series_vec's
    // memory (free again: decoder_backward is done with it) and is added.
    kern::linear_backward(ctx, a.statics, w.static_in.weight, s.d_static_add, s.d_series_vec,
                          g.static_weight, g.static_bias, series, S, D);
    kern::add_rows(ctx, s.d_series_vec, s.d_statics, series, S, series);
  }

  const FrameColumns col(l);
  const int64_t codes = l.code_columns();
  const int64_t known_codes = static_cast<int64_t>(l.known_categorical.size());
  scatter_all(ctx, w.known, g.known, b.context_codes, codes, s.d_context_frame, col.width,
              col.known_embed, series * L, E);
  scatter_all(ctx, w.past, g.past, b.context_codes + known_codes, codes, s.d_context_frame,
              col.width, col.past_embed, series * L, E);
  scatter_all(ctx, w.known, g.known, b.horizon_codes, known_codes, s.d_horizon_frame, K,
              l.known_real_channels, series * H, E);
  scatter_all(ctx, w.statics, g.statics, b.static_codes,
              static_cast<int64_t>(l.static_categorical.size()), s.d_statics, S,
              static_cast<int64_t>(l.static_real.size()), series, E);
}

#define INVF_INSTANTIATE_COVARIATES(T)                                                        \
  template void covariate_frames_forward<T>(const kern::Context&, const ModelConfig&,        \
                                            const CovariateLayout&, const CovariateWeights<T>&, \
                                            const CovariateBatch<T>&, int64_t,              \
                                            const CovariateActivations<T>&);                \
  template void covariate_tokens_forward<T>(const kern::Context&, const ModelConfig&,        \
                                            const CovariateLayout&, const CovariateWeights<T>&, \
                                            int64_t, const CovariateActivations<T>&, T*, bool); \
  template void decoder_forward<T>(const kern::Context&, const ModelConfig&,                 \
                                   const CovariateLayout&, const CovariateWeights<T>&,       \
                                   const T*, int64_t, const CovariateActivations<T>&);       \
  template void decoder_backward<T>(const kern::Context&, const ModelConfig&,                \
                                    const CovariateLayout&, const CovariateWeights<T>&,      \
                                    const CovariateActivations<T>&, int64_t, const T*, T*,   \
                                    const CovariateScratch<T>&, const CovariateGradients<T>&); \
  template void covariate_tokens_backward<T>(                                               \
      const kern::Context&, const ModelConfig&, const CovariateLayout&,                      \
      const CovariateWeights<T>&, const CovariateBatch<T>&, const CovariateActivations<T>&, \
      int64_t, const T*, const CovariateScratch<T>&, const CovariateGradients<T>&);

INVF_INSTANTIATE_COVARIATES(float)
INVF_INSTANTIATE_COVARIATES(double)

}  // namespace invforecast::layers
