#include "train/trainable_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/error.hpp"
#include "reference.hpp"

namespace invforecast::train {

namespace kern = invforecast::kernels;

namespace {

// One call site per op for both scalar types: float goes through the
// dispatching ops (shape checks, the chosen backend), double straight to the
// float64 reference kernels.
template <class T>
struct Ops {
  static constexpr bool kFloat = std::is_same_v<T, float>;
  kern::Backend backend;
  float* attention_workspace;

  void linear(const T* x, const T* w, const T* b, T* y, int64_t rows, int64_t in,
              int64_t out) const {
    if constexpr (kFloat)
      kern::linear_forward(backend, x, w, b, y, rows, in, out);
    else
      kern::reference::linear_forward(x, w, b, y, rows, in, out);
  }
  void linear_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t rows,
                       int64_t in, int64_t out) const {
    if constexpr (kFloat)
      kern::linear_backward(backend, x, w, dy, dx, dw, db, rows, in, out);
    else
      kern::reference::linear_backward(x, w, dy, dx, dw, db, rows, in, out);
  }
  void gelu(const T* x, T* y, int64_t rows, int64_t cols) const {
    if constexpr (kFloat)
      kern::bias_gelu_forward(backend, x, nullptr, y, rows, cols);
    else
      kern::reference::bias_gelu_forward<T>(x, nullptr, y, rows, cols);
  }
  void gelu_backward(const T* x, const T* dy, T* dx, int64_t rows, int64_t cols) const {
    if constexpr (kFloat)
      kern::bias_gelu_backward(backend, x, nullptr, dy, dx, nullptr, rows, cols);
    else
      kern::reference::bias_gelu_backward<T>(x, nullptr, dy, dx, nullptr, rows, cols);
  }
  void layer_norm(const T* x, const T* g, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                  int64_t cols, double eps) const {
    if constexpr (kFloat)
      kern::layer_norm_forward(backend, x, g, b, y, mean, rstd, rows, cols,
                               static_cast<float>(eps));
    else
      kern::reference::layer_norm_forward(x, g, b, y, mean, rstd, rows, cols, T(eps));
  }
  void layer_norm_backward(const T* x, const T* g, const T* dy, const T* mean, const T* rstd, T* dx,
                           T* dg, T* db, int64_t rows, int64_t cols) const {
    if constexpr (kFloat)
      kern::layer_norm_backward(backend, x, g, dy, mean, rstd, dx, dg, db, rows, cols);
    else
      kern::reference::layer_norm_backward(x, g, dy, mean, rstd, dx, dg, db, rows, cols);
  }
  void attention(const kern::AttentionDims& d, const T* q, const T* k, const T* v, T* out,
                 T* lse) const {
    if constexpr (kFloat)
      kern::attention_forward(backend, d, q, k, v, out, lse, attention_workspace);
    else
      kern::reference::attention_forward(d, q, k, v, out, lse);
  }
  void attention_backward(const kern::AttentionDims& d, const T* q, const T* k, const T* v,
                          const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv) const {
    if constexpr (kFloat)
      kern::attention_backward(backend, d, q, k, v, out, lse, dout, dq, dk, dv,
                               attention_workspace);
    else
      kern::reference::attention_backward(d, q, k, v, out, lse, dout, dq, dk, dv);
  }
  void quantile_head(const T* raw, T* q, int64_t rows, int64_t nq, int64_t m) const {
    if constexpr (kFloat)
      kern::quantile_head_forward(backend, raw, q, rows, nq, m);
    else
      kern::reference::quantile_head_forward(raw, q, rows, nq, m);
  }
  void quantile_head_backward(const T* raw, const T* dq, T* draw, int64_t rows, int64_t nq,
                              int64_t m) const {
    if constexpr (kFloat)
      kern::quantile_head_backward(backend, raw, dq, draw, rows, nq, m);
    else
      kern::reference::quantile_head_backward(raw, dq, draw, rows, nq, m);
  }
  void revin_normalize(const T* x, const T* g, const T* b, T* y, T* mean, T* sd, int64_t rows,
                       int64_t len, double eps) const {
    if constexpr (kFloat)
      kern::revin_normalize_forward(backend, x, g, b, y, mean, sd, rows, len, 1,
                                    static_cast<float>(eps));
    else
      kern::reference::revin_normalize_forward(x, g, b, y, mean, sd, rows, len, int64_t{1}, T(eps));
  }
  void revin_normalize_backward(const T* x, const T* mean, const T* sd, const T* dy, T* dg, T* db,
                                int64_t rows, int64_t len) const {
    if constexpr (kFloat)
      kern::revin_normalize_backward(backend, x, mean, sd, dy, dg, db, rows, len, 1);
    else
      kern::reference::revin_normalize_backward(x, mean, sd, dy, dg, db, rows, len, int64_t{1});
  }
  void revin_denormalize(const T* z, const T* g, const T* b, const T* mean, const T* sd, T* y,
                         int64_t rows, int64_t len) const {
    if constexpr (kFloat)
      kern::revin_denormalize_forward(backend, z, g, b, mean, sd, y, rows, len, 1);
    else
      kern::reference::revin_denormalize_forward(z, g, b, mean, sd, y, rows, len, int64_t{1});
  }
  void revin_denormalize_backward(const T* z, const T* g, const T* b, const T* sd, const T* dy,
                                  T* dz, T* dg, T* db, int64_t rows, int64_t len) const {
    if constexpr (kFloat)
      kern::revin_denormalize_backward(backend, z, g, b, sd, dy, dz, dg, db, rows, len, 1);
    else
      kern::reference::revin_denormalize_backward(z, g, b, sd, dy, dz, dg, db, rows, len,
                                                  int64_t{1});
  }
  void mean_abs_scale(const T* x, T* y, T* scale, int64_t rows, int64_t len, double eps) const {
    if constexpr (kFloat)
      kern::mean_abs_scale_forward(backend, x, y, scale, rows, len, static_cast<float>(eps));
    else
      kern::reference::mean_abs_scale_forward(x, y, scale, rows, len, T(eps));
  }
  void mean_abs_unscale(const T* z, const T* scale, T* y, int64_t rows, int64_t len) const {
    if constexpr (kFloat)
      kern::mean_abs_unscale(backend, z, scale, y, rows, len);
    else
      kern::reference::mean_abs_unscale(z, scale, y, rows, len);
  }
};

template <class T>
void add_in_place(T* y, const T* x, size_t count) {
  for (size_t i = 0; i < count; ++i) y[i] += x[i];
}

}  // namespace

template <class T>
TrainableEncoder<T>::TrainableEncoder(const ModelConfig& config, kern::Backend backend)
    : config_(config), backend_(backend) {
  validate_config(config_);
  if (std::is_same_v<T, double> && backend != kern::Backend::Reference)
    fail(ErrorCode::InvalidArgument,
         "trainable encoder: float64 runs only on the reference backend, not {}",
         kern::backend_name(backend));
  tokens_ = config_.num_tokens();
  median_index_ = config_.median_quantile_index();
  // Tensor positions in expected_tensors order, looked up once.
  const ParameterSet<T> names(config_);
  if (revin_affine()) {
    revin_weight_ = names.index_of("revin.weight");
    revin_bias_ = names.index_of("revin.bias");
  }
  patch_weight_ = names.index_of("patch_embed.weight");
  patch_bias_ = names.index_of("patch_embed.bias");
  pos_embed_ = names.index_of("pos_embed");
  for (int64_t i = 0; i < config_.layers; ++i) {
    const std::string p = fmt::format("layers.{}.", i);
    layer_index_.push_back(
        LayerIndex{names.index_of(p + "ln1.weight"), names.index_of(p + "ln1.bias"),
                   names.index_of(p + "attn.qkv.weight"), names.index_of(p + "attn.qkv.bias"),
                   names.index_of(p + "attn.out.weight"), names.index_of(p + "attn.out.bias"),
                   names.index_of(p + "ln2.weight"), names.index_of(p + "ln2.bias"),
                   names.index_of(p + "ffn1.weight"), names.index_of(p + "ffn1.bias"),
                   names.index_of(p + "ffn2.weight"), names.index_of(p + "ffn2.bias")});
  }
  final_ln_weight_ = names.index_of("final_ln.weight");
  final_ln_bias_ = names.index_of("final_ln.bias");
  head_weight_ = names.index_of("head.weight");
  head_bias_ = names.index_of("head.bias");
  layers_.resize(static_cast<size_t>(config_.layers));
  streams_.resize(static_cast<size_t>(config_.layers) + 1);
}

template <class T>
void TrainableEncoder<T>::check_params(const ParameterSet<T>& params, const char* what) const {
  const std::vector<TensorSpec> expected = expected_tensors(config_);
  bool same = params.size() == expected.size();
  for (size_t i = 0; same && i < expected.size(); ++i)
    same = params.specs()[i].name == expected[i].name && params.specs()[i].dims == expected[i].dims;
  if (!same)
    fail(ErrorCode::InvalidArgument,
         "trainable encoder: the {} were made for another model configuration", what);
}

template <class T>
void TrainableEncoder<T>::resize(int64_t batch) {
  batch_ = batch;
  const auto B = static_cast<size_t>(batch), L = static_cast<size_t>(config_.context_length),
             P = static_cast<size_t>(config_.patch_length),
             D = static_cast<size_t>(config_.d_model), F = static_cast<size_t>(config_.ffn_dim),
             out = static_cast<size_t>(outputs_per_series());
  const size_t R = B * static_cast<size_t>(tokens_);
  const size_t lse = B * static_cast<size_t>(config_.heads) * static_cast<size_t>(tokens_);
  context_.resize(B * L);
  normalized_.resize(B * L);
  center_.resize(B);
  spread_.resize(B);
  patches_.resize(R * P);
  for (auto& s : streams_) s.resize(R * D);
  for (LayerActivations& a : layers_) {
    for (auto* v : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) v->resize(R);
    for (auto* v : {&a.ln1_out, &a.attended, &a.mid, &a.ln2_out}) v->resize(R * D);
    a.qkv.resize(R * 3 * D);
    a.lse.resize(lse);
    a.ffn_pre.resize(R * F);
    a.ffn_act.resize(R * F);
  }
  final_mean_.resize(R);
  final_rstd_.resize(R);
  final_out_.resize(R * D);
  raw_.resize(B * out);
  head_out_.resize(B * out);
  predictions_.resize(B * out);
  ones_.assign(B, T(1));
  zeros_.assign(B, T(0));
  d_stream_.resize(R * D);
  d_tmp_.resize(R * D);
  d_ln_.resize(R * D);
  d_wide_.resize(R * F);
  d_wide2_.resize(R * F);
  d_qkv_.resize(R * 3 * D);
  d_final_.resize(R * D);
  d_raw_.resize(B * out);
  d_head_.resize(B * out);
  d_patches_.resize(R * P);
  d_normalized_.resize(B * L);
  if constexpr (std::is_same_v<T, float>) {
    const kern::AttentionDims dims{batch,
                                   tokens_,
                                   config_.heads,
                                   config_.d_model / config_.heads,
                                   3 * config_.d_model,
                                   config_.d_model};
    attention_workspace_.resize(static_cast<size_t>(kern::attention_workspace_floats(dims)));
  }
}

template <class T>
void TrainableEncoder<T>::forward(const ParameterSet<T>& params, const T* context, int64_t batch) {
  encode(params, context, batch, nullptr);
  const Ops<T> ops{backend_, attention_workspace_.data()};
  const int64_t N = tokens_, D = config_.d_model, out = outputs_per_series();
  ops.linear(final_out_.data(), params.values(head_weight_).data(),
             params.values(head_bias_).data(), raw_.data(), batch, N * D, out);
  ops.quantile_head(raw_.data(), head_out_.data(), batch * config_.horizon, config_.num_quantiles(),
                    median_index_);
  if (revin_affine())
    ops.revin_denormalize(head_out_.data(), params.values(revin_weight_).data(),
                          params.values(revin_bias_).data(), zeros_.data(), ones_.data(),
                          predictions_.data(), batch, out);
  else
    predictions_ = head_out_;
  head_ran_ = true;
}

template <class T>
void TrainableEncoder<T>::forward_tokens(const ParameterSet<T>& params, const T* context,
                                         int64_t batch, const uint8_t* token_mask) {
  encode(params, context, batch, token_mask);
  head_ran_ = false;
}

template <class T>
void TrainableEncoder<T>::encode(const ParameterSet<T>& params, const T* context, int64_t batch,
                                 const uint8_t* token_mask) {
  check_params(params, "parameters");
  if (batch < 1)
    fail(ErrorCode::InvalidArgument, "trainable encoder: batch must be >= 1, got {}", batch);
  if (!context) fail(ErrorCode::NullPointer, "trainable encoder: context is null");
  const int64_t L = config_.context_length, P = config_.patch_length, N = tokens_,
                D = config_.d_model;
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t t = 0; t < L; ++t)
      if (!std::isfinite(static_cast<double>(context[s * L + t])))
        fail(ErrorCode::InvalidArgument,
             "trainable encoder: context of series {} holds a non-finite value at position {}", s,
             t);
  resize(batch);
  const Ops<T> ops{backend_, attention_workspace_.data()};
  std::copy(context, context + batch * L, context_.begin());

  if (config_.normalization == NormKind::Revin) {
    const T one = 1, zero = 0;
    const T* gamma = revin_affine() ? params.values(revin_weight_).data() : &one;
    const T* beta = revin_affine() ? params.values(revin_bias_).data() : &zero;
    ops.revin_normalize(context, gamma, beta, normalized_.data(), center_.data(), spread_.data(),
                        batch, L, config_.norm_eps);
  } else {
    ops.mean_abs_scale(context, normalized_.data(), spread_.data(), batch, L, config_.norm_eps);
  }

  // Patch t covers padded positions [t*stride, t*stride + P); the padding repeats the last value.
  auto position = [&](int64_t t, int64_t p) { return std::min(t * config_.stride + p, L - 1); };
  masked_ = token_mask != nullptr;
  if (masked_) {
    hidden_.assign(static_cast<size_t>(batch * L), 0);
    for (int64_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < N; ++t)
        if (token_mask[s * N + t])
          for (int64_t p = 0; p < P; ++p) hidden_[static_cast<size_t>(s * L + position(t, p))] = 1;
    for (int64_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < N; ++t)
        for (int64_t p = 0; p < P; ++p) {
          const auto at = static_cast<size_t>(s * L + position(t, p));
          patches_[static_cast<size_t>((s * N + t) * P + p)] = hidden_[at] ? T(0) : normalized_[at];
        }
  } else {
    for (int64_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < N; ++t)
        for (int64_t p = 0; p < P; ++p)
          patches_[static_cast<size_t>((s * N + t) * P + p)] =
              normalized_[static_cast<size_t>(s * L + position(t, p))];
  }

  const int64_t R = batch * N;
  T* stream = streams_[0].data();
  ops.linear(patches_.data(), params.values(patch_weight_).data(),
             params.values(patch_bias_).data(), stream, R, P, D);
  const T* pos = params.values(pos_embed_).data();
  for (int64_t s = 0; s < batch; ++s)
    add_in_place(stream + s * N * D, pos, static_cast<size_t>(N * D));

  for (size_t l = 0; l < layers_.size(); ++l) layer_forward(params, l);

  ops.layer_norm(streams_.back().data(), params.values(final_ln_weight_).data(),
                 params.values(final_ln_bias_).data(), final_out_.data(), final_mean_.data(),
                 final_rstd_.data(), R, D, config_.layer_norm_eps);
}

template <class T>
void TrainableEncoder<T>::layer_forward(const ParameterSet<T>& params, size_t l) {
  const Ops<T> ops{backend_, attention_workspace_.data()};
  const LayerIndex& w = layer_index_[l];
  LayerActivations& a = layers_[l];
  const int64_t D = config_.d_model, F = config_.ffn_dim, R = batch_ * tokens_;
  const auto RD = static_cast<size_t>(R * D);
  const T* x = streams_[l].data();
  T* next = streams_[l + 1].data();
  auto p = [&params](size_t index) { return params.values(index).data(); };

  // mid = x + out_proj(attention(qkv(LN1(x))))
  ops.layer_norm(x, p(w.ln1_weight), p(w.ln1_bias), a.ln1_out.data(), a.ln1_mean.data(),
                 a.ln1_rstd.data(), R, D, config_.layer_norm_eps);
  ops.linear(a.ln1_out.data(), p(w.qkv_weight), p(w.qkv_bias), a.qkv.data(), R, D, 3 * D);
  const kern::AttentionDims dims{batch_, tokens_, config_.heads, D / config_.heads, 3 * D, D};
  ops.attention(dims, a.qkv.data(), a.qkv.data() + D, a.qkv.data() + 2 * D, a.attended.data(),
                a.lse.data());
  ops.linear(a.attended.data(), p(w.out_weight), p(w.out_bias), a.mid.data(), R, D, D);
  add_in_place(a.mid.data(), x, RD);

  // next = mid + ffn2(gelu(ffn1(LN2(mid)))); the pre-activation is kept for the backward pass.
  ops.layer_norm(a.mid.data(), p(w.ln2_weight), p(w.ln2_bias), a.ln2_out.data(), a.ln2_mean.data(),
                 a.ln2_rstd.data(), R, D, config_.layer_norm_eps);
  ops.linear(a.ln2_out.data(), p(w.ffn1_weight), p(w.ffn1_bias), a.ffn_pre.data(), R, D, F);
  ops.gelu(a.ffn_pre.data(), a.ffn_act.data(), R, F);
  ops.linear(a.ffn_act.data(), p(w.ffn2_weight), p(w.ffn2_bias), next, R, F, D);
  add_in_place(next, a.mid.data(), RD);
}

template <class T>
void TrainableEncoder<T>::normalize_targets(const T* targets, T* out) const {
  const int64_t H = config_.horizon;
  for (int64_t s = 0; s < batch_; ++s)
    for (int64_t h = 0; h < H; ++h) {
      const T y = targets[s * H + h];
      out[s * H + h] = config_.normalization == NormKind::Revin
                           ? (y - center_[static_cast<size_t>(s)]) / spread_[static_cast<size_t>(s)]
                           : y / spread_[static_cast<size_t>(s)];
    }
}

template <class T>
void TrainableEncoder<T>::forecast_sales(const ParameterSet<T>& params, T* out) const {
  const Ops<T> ops{backend_, nullptr};
  const int64_t outputs = outputs_per_series();
  if (config_.normalization == NormKind::Revin) {
    const T one = 1, zero = 0;
    const T* gamma = revin_affine() ? params.values(revin_weight_).data() : &one;
    const T* beta = revin_affine() ? params.values(revin_bias_).data() : &zero;
    ops.revin_denormalize(head_out_.data(), gamma, beta, center_.data(), spread_.data(), out,
                          batch_, outputs);
  } else {
    ops.mean_abs_unscale(head_out_.data(), spread_.data(), out, batch_, outputs);
  }
  for (int64_t i = 0; i < batch_ * outputs; ++i) out[i] = std::max(out[i], T(0));
}

template <class T>
void TrainableEncoder<T>::normalized_patches(T* out) const {
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: patches before forward");
  const int64_t L = config_.context_length, P = config_.patch_length, N = tokens_;
  const bool centred = config_.normalization == NormKind::Revin;
  for (int64_t s = 0; s < batch_; ++s) {
    const T center = centred ? center_[static_cast<size_t>(s)] : T(0);
    const T spread = spread_[static_cast<size_t>(s)];
    for (int64_t t = 0; t < N; ++t)
      for (int64_t p = 0; p < P; ++p)
        out[(s * N + t) * P + p] =
            (context_[static_cast<size_t>(s * L + std::min(t * config_.stride + p, L - 1))] -
             center) /
            spread;
  }
}

template <class T>
void TrainableEncoder<T>::backward(const ParameterSet<T>& params, const T* d_predictions,
                                   ParameterSet<T>& grads) {
  check_params(params, "parameters");
  check_params(grads, "gradients");
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: backward before forward");
  if (!head_ran_)
    fail(ErrorCode::InvalidArgument,
         "trainable encoder: backward needs forward(), the last pass was forward_tokens()");
  if (!d_predictions) fail(ErrorCode::NullPointer, "trainable encoder: d_predictions is null");
  const Ops<T> ops{backend_, attention_workspace_.data()};
  const int64_t N = tokens_, D = config_.d_model, out = outputs_per_series();
  auto g = [&grads](size_t index) { return grads.values(index).data(); };
  auto p = [&params](size_t index) { return params.values(index).data(); };

  // Output side of RevIN's affine: predictions = (head_out - beta) / gamma.
  T out_dgamma = 0, out_dbeta = 0;
  const T* d_head = d_predictions;
  if (revin_affine()) {
    ops.revin_denormalize_backward(head_out_.data(), p(revin_weight_), p(revin_bias_), ones_.data(),
                                   d_predictions, d_head_.data(), &out_dgamma, &out_dbeta, batch_,
                                   out);
    d_head = d_head_.data();
  }
  ops.quantile_head_backward(raw_.data(), d_head, d_raw_.data(), batch_ * config_.horizon,
                             config_.num_quantiles(), median_index_);
  ops.linear_backward(final_out_.data(), p(head_weight_), d_raw_.data(), d_final_.data(),
                      g(head_weight_), g(head_bias_), batch_, N * D, out);
  backward_body(params, grads, out_dgamma, out_dbeta);
}

template <class T>
void TrainableEncoder<T>::backward_tokens(const ParameterSet<T>& params, const T* d_tokens,
                                          ParameterSet<T>& grads) {
  check_params(params, "parameters");
  check_params(grads, "gradients");
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: backward before forward");
  if (!d_tokens) fail(ErrorCode::NullPointer, "trainable encoder: d_tokens is null");
  std::copy(d_tokens, d_tokens + d_final_.size(), d_final_.begin());
  grads.values(head_weight_).assign(grads.values(head_weight_).size(), T(0));
  grads.values(head_bias_).assign(grads.values(head_bias_).size(), T(0));
  backward_body(params, grads, T(0), T(0));
}

template <class T>
void TrainableEncoder<T>::backward_body(const ParameterSet<T>& params, ParameterSet<T>& grads,
                                        T out_dgamma, T out_dbeta) {
  const Ops<T> ops{backend_, attention_workspace_.data()};
  const int64_t L = config_.context_length, P = config_.patch_length, N = tokens_,
                D = config_.d_model, R = batch_ * N;
  auto g = [&grads](size_t index) { return grads.values(index).data(); };
  auto p = [&params](size_t index) { return params.values(index).data(); };

  ops.layer_norm_backward(streams_.back().data(), p(final_ln_weight_), d_final_.data(),
                          final_mean_.data(), final_rstd_.data(), d_stream_.data(),
                          g(final_ln_weight_), g(final_ln_bias_), R, D);

  for (size_t l = layers_.size(); l-- > 0;) layer_backward(params, l, grads);

  // The positional embedding is shared by every series.
  T* d_pos = g(pos_embed_);
  std::fill(d_pos, d_pos + N * D, T(0));
  for (int64_t s = 0; s < batch_; ++s)
    add_in_place(d_pos, d_stream_.data() + s * N * D, static_cast<size_t>(N * D));

  // Only RevIN's affine pair lies below the patch embedding.
  ops.linear_backward(patches_.data(), p(patch_weight_), d_stream_.data(),
                      revin_affine() ? d_patches_.data() : nullptr, g(patch_weight_),
                      g(patch_bias_), R, P, D);
  if (revin_affine()) {
    std::fill(d_normalized_.begin(), d_normalized_.end(), T(0));
    for (int64_t s = 0; s < batch_; ++s)
      for (int64_t t = 0; t < N; ++t)
        for (int64_t j = 0; j < P; ++j) {
          const auto at = static_cast<size_t>(s * L + std::min(t * config_.stride + j, L - 1));
          // A hidden position is the constant 0, whatever the affine pair.
          if (!masked_ || !hidden_[at])
            d_normalized_[at] += d_patches_[static_cast<size_t>((s * N + t) * P + j)];
        }
    T in_dgamma = 0, in_dbeta = 0;
    ops.revin_normalize_backward(context_.data(), center_.data(), spread_.data(),
                                 d_normalized_.data(), &in_dgamma, &in_dbeta, batch_, L);
    g(revin_weight_)[0] = in_dgamma + out_dgamma;
    g(revin_bias_)[0] = in_dbeta + out_dbeta;
  }
}

template <class T>
void TrainableEncoder<T>::layer_backward(const ParameterSet<T>& params, size_t l,
                                         ParameterSet<T>& grads) {
  const Ops<T> ops{backend_, attention_workspace_.data()};
  const LayerIndex& w = layer_index_[l];
  const LayerActivations& a = layers_[l];
  const int64_t D = config_.d_model, F = config_.ffn_dim, R = batch_ * tokens_;
  const auto RD = static_cast<size_t>(R * D);
  auto g = [&grads](size_t index) { return grads.values(index).data(); };
  auto p = [&params](size_t index) { return params.values(index).data(); };

  // d_stream_ holds d(next); the residual passes it on to mid unchanged.
  ops.linear_backward(a.ffn_act.data(), p(w.ffn2_weight), d_stream_.data(), d_wide_.data(),
                      g(w.ffn2_weight), g(w.ffn2_bias), R, F, D);
  ops.gelu_backward(a.ffn_pre.data(), d_wide_.data(), d_wide2_.data(), R, F);
  ops.linear_backward(a.ln2_out.data(), p(w.ffn1_weight), d_wide2_.data(), d_ln_.data(),
                      g(w.ffn1_weight), g(w.ffn1_bias), R, D, F);
  ops.layer_norm_backward(a.mid.data(), p(w.ln2_weight), d_ln_.data(), a.ln2_mean.data(),
                          a.ln2_rstd.data(), d_tmp_.data(), g(w.ln2_weight), g(w.ln2_bias), R, D);
  add_in_place(d_stream_.data(), d_tmp_.data(), RD);

  // d_stream_ now holds d(mid); the residual passes it on to x.
  ops.linear_backward(a.attended.data(), p(w.out_weight), d_stream_.data(), d_ln_.data(),
                      g(w.out_weight), g(w.out_bias), R, D, D);
  const kern::AttentionDims dims{batch_, tokens_, config_.heads, D / config_.heads, 3 * D, D};
  ops.attention_backward(dims, a.qkv.data(), a.qkv.data() + D, a.qkv.data() + 2 * D,
                         a.attended.data(), a.lse.data(), d_ln_.data(), d_qkv_.data(),
                         d_qkv_.data() + D, d_qkv_.data() + 2 * D);
  ops.linear_backward(a.ln1_out.data(), p(w.qkv_weight), d_qkv_.data(), d_ln_.data(),
                      g(w.qkv_weight), g(w.qkv_bias), R, D, 3 * D);
  ops.layer_norm_backward(streams_[l].data(), p(w.ln1_weight), d_ln_.data(), a.ln1_mean.data(),
                          a.ln1_rstd.data(), d_tmp_.data(), g(w.ln1_weight), g(w.ln1_bias), R, D);
  add_in_place(d_stream_.data(), d_tmp_.data(), RD);
}

template class TrainableEncoder<float>;
template class TrainableEncoder<double>;

}  // namespace invforecast::train
