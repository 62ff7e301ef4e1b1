#include "train/trainable_encoder.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "layers/negbin_head.hpp"

namespace invforecast::train {

namespace kern = invforecast::kernels;

template <class T>
TrainableEncoder<T>::TrainableEncoder(const ModelConfig& config, const kern::Backend& backend,
                                      std::vector<FeatureSpec> features)
    : config_(config), features_(std::move(features)), ctx_(backend) {
  validate_config(config_);
  validate_features(features_);
  layout_ = covariate_layout(config_, features_);
  if (!backend.template ops<T>())
    fail(ErrorCode::Unsupported, "trainable encoder: the {} backend has no {} ops", backend.name(),
         std::is_same_v<T, double> ? "float64" : "float32");
  unit_ = Buffer(backend, 2);
  const T unit[2] = {T(1), T(0)};
  backend.upload(ctx_, unit_.data(), unit, sizeof unit);
  tokens_ = config_.num_tokens();
  // Tensor positions in expected_tensors order, looked up once.
  const ParameterSet<T> names(config_, features_);
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
  if (!layout_.empty()) {
    auto tables = [&names](const std::vector<size_t>& group) {
      std::vector<size_t> out;
      for (size_t feature : group) out.push_back(names.index_of(fmt::format("features.{}.embedding", feature)));
      return out;
    };
    cov_.known = tables(layout_.known_categorical);
    cov_.past = tables(layout_.past_categorical);
    cov_.statics = tables(layout_.static_categorical);
    cov_.patch = names.index_of("covariates.patch.weight");
    if (layout_.static_width() > 0) {
      cov_.static_weight = names.index_of("covariates.static.weight");
      cov_.static_bias = names.index_of("covariates.static.bias");
    }
    cov_.known_in = names.index_of("decoder.known.weight");
    cov_.series_weight = names.index_of("decoder.series.weight");
    cov_.series_bias = names.index_of("decoder.series.bias");
    cov_.out_weight = names.index_of("decoder.out.weight");
    cov_.out_bias = names.index_of("decoder.out.bias");
  }
  layers_.resize(static_cast<size_t>(config_.layers));
  streams_.resize(static_cast<size_t>(config_.layers) + 1);
}

template <class T>
void TrainableEncoder<T>::check_params(const ParameterSet<T>& params, const char* what) const {
  const std::vector<TensorSpec> expected = expected_tensors(config_, features_);
  bool same = params.size() == expected.size();
  for (size_t i = 0; same && i < expected.size(); ++i)
    same = params.specs()[i].name == expected[i].name && params.specs()[i].dims == expected[i].dims;
  if (!same)
    fail(ErrorCode::InvalidArgument,
         "trainable encoder: the {} were made for another model configuration or features", what);
}

template <class T>
void TrainableEncoder<T>::resize(int64_t batch) {
  if (batch == batch_) return;
  batch_ = batch;
  const kern::Backend& be = ctx_.backend();
  const auto B = static_cast<size_t>(batch), L = static_cast<size_t>(config_.context_length),
             P = static_cast<size_t>(config_.patch_length),
             D = static_cast<size_t>(config_.d_model), F = static_cast<size_t>(config_.ffn_dim),
             out = static_cast<size_t>(raw_per_series());
  const size_t R = B * static_cast<size_t>(tokens_);
  const size_t lse = B * static_cast<size_t>(config_.heads) * static_cast<size_t>(tokens_);
  auto make = [&be](size_t count) { return Buffer(be, count); };
  context_ = make(B * L);
  normalized_ = make(B * L);
  center_ = make(B);
  spread_ = make(B);
  patches_ = make(R * P);
  hidden_ = kern::Buffer<uint8_t>(be, B * L);
  for (auto& stream : streams_) stream = make(R * D);
  for (LayerActivations& a : layers_) {
    for (Buffer* v : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) *v = make(R);
    for (Buffer* v : {&a.ln1_out, &a.attended, &a.mid, &a.ln2_out}) *v = make(R * D);
    a.qkv = make(R * 3 * D);
    a.lse = make(lse);
    a.ffn_pre = make(R * F);
    a.ffn_act = make(R * F);
  }
  final_mean_ = make(R);
  final_rstd_ = make(R);
  final_out_ = make(R * D);
  raw_ = make(B * out);
  head_out_ = make(B * out);
  predictions_ = make(B * out);
  const std::vector<T> ones(B, T(1)), zeros(B, T(0));
  ones_ = make(B);
  zeros_ = make(B);
  be.upload(ctx_, ones_.data(), ones.data(), B * sizeof(T));
  be.upload(ctx_, zeros_.data(), zeros.data(), B * sizeof(T));
  d_predictions_ = make(B * out);
  d_stream_ = make(R * D);
  d_tmp_ = make(R * D);
  d_ln_ = make(R * D);
  d_wide_ = make(R * F);
  d_wide2_ = make(R * F);
  d_qkv_ = make(R * 3 * D);
  d_final_ = make(R * D);
  d_raw_ = make(B * out);
  d_head_ = make(B * out);
  d_patches_ = make(R * P);
  d_normalized_ = make(B * L);
  if (!layout_.empty()) {
    const int64_t H = config_.horizon;
    const CovariateLayout& l = layout_;
    context_real_ = make(B * L * static_cast<size_t>(l.real_columns()));
    horizon_real_ = make(B * static_cast<size_t>(H * l.known_real_channels));
    static_real_ = make(B * l.static_real.size());
    context_codes_ = kern::Buffer<int32_t>(be, B * L * static_cast<size_t>(l.code_columns()));
    horizon_codes_ = kern::Buffer<int32_t>(be, B * static_cast<size_t>(H) * l.known_categorical.size());
    static_codes_ = kern::Buffer<int32_t>(be, B * l.static_categorical.size());
    // Activations and backward scratch carved out of two buffers, in CovariateSizes order.
    const layers::CovariateSizes z = layers::covariate_sizes(config_, l);
    cov_storage_ = make(B * static_cast<size_t>(z.total()));
    cov_scratch_ = make(B * static_cast<size_t>(z.total()));
    const auto rows = static_cast<int64_t>(B);
    cov_acts_ = layers::carve_activations(cov_storage_.data(), rows, z);
    const layers::CovariateActivations<T> d = layers::carve_activations(cov_scratch_.data(), rows, z);
    cov_grads_scratch_ = layers::CovariateScratch<T>{
        d.context_frame, d.patches,    d.horizon_frame, d.statics,     d.static_add,
        d.pooled,        d.series_vec, d.series_hidden, d.decoder_pre, d.decoder_act};
  }
  attention_workspace();
}

template <class T>
float* TrainableEncoder<T>::attention_workspace() {
  return ctx_.scratch(static_cast<size_t>(
      kern::attention_workspace_floats(layers::attention_dims(config_, batch_))));
}

template <class T>
layers::BlockActivations<T> TrainableEncoder<T>::LayerActivations::view() {
  return layers::BlockActivations<T>{ln1_out.data(), ln1_mean.data(), ln1_rstd.data(),
                                     qkv.data(),     attended.data(), lse.data(),
                                     mid.data(),     ln2_out.data(),  ln2_mean.data(),
                                     ln2_rstd.data(), ffn_pre.data(), ffn_act.data()};
}

template <class T>
layers::EmbeddingWeights<T> TrainableEncoder<T>::embedding(const ParameterSet<T>& params) const {
  auto p = [&params](size_t index) { return params.values(index).data(); };
  const T* gamma = revin_affine() ? p(revin_weight_) : unit_.data();
  const T* beta = revin_affine() ? p(revin_bias_) : unit_.data() + 1;
  return layers::EmbeddingWeights<T>{
      gamma, beta,
      layers::Linear<T>{p(patch_weight_), p(patch_bias_), config_.patch_length, config_.d_model},
      p(pos_embed_)};
}

template <class T>
layers::BlockWeights<T> TrainableEncoder<T>::block(const ParameterSet<T>& params,
                                                    size_t layer) const {
  const LayerIndex& w = layer_index_[layer];
  auto p = [&params](size_t index) { return params.values(index).data(); };
  const int64_t D = config_.d_model, F = config_.ffn_dim;
  return layers::BlockWeights<T>{p(w.ln1_weight),
                                 p(w.ln1_bias),
                                 {p(w.qkv_weight), p(w.qkv_bias), D, 3 * D},
                                 {p(w.out_weight), p(w.out_bias), D, D},
                                 p(w.ln2_weight),
                                 p(w.ln2_bias),
                                 {p(w.ffn1_weight), p(w.ffn1_bias), D, F},
                                 {p(w.ffn2_weight), p(w.ffn2_bias), F, D}};
}

template <class T>
layers::Linear<T> TrainableEncoder<T>::head(const ParameterSet<T>& params) const {
  return layers::Linear<T>{params.values(head_weight_).data(), params.values(head_bias_).data(),
                           tokens_ * config_.d_model, raw_per_series()};
}

template <class T>
layers::CovariateWeights<T> TrainableEncoder<T>::covariate_weights(
    const ParameterSet<T>& params) const {
  auto p = [&params](size_t index) { return index == SIZE_MAX ? nullptr : params.values(index).data(); };
  auto tables = [&](const std::vector<size_t>& indices) {
    std::vector<layers::Embedding<T>> out;
    for (size_t index : indices)
      out.push_back({p(index), params.specs()[index].dims[0]});
    return out;
  };
  const int64_t D = config_.d_model, S = layout_.static_width(), Fd = config_.decoder_dim;
  return layers::CovariateWeights<T>{
      tables(cov_.known),
      tables(cov_.past),
      tables(cov_.statics),
      {p(cov_.patch), nullptr, layout_.channels() * config_.patch_length, D},
      {p(cov_.static_weight), p(cov_.static_bias), S, D},
      {p(cov_.known_in), nullptr, layout_.known_channels(), Fd},
      {p(cov_.series_weight), p(cov_.series_bias), D + S, Fd},
      {p(cov_.out_weight), p(cov_.out_bias), Fd, config_.head_step_outputs()}};
}

template <class T>
layers::CovariateGradients<T> TrainableEncoder<T>::covariate_gradients(ParameterSet<T>& grads) const {
  auto g = [&grads](size_t index) { return index == SIZE_MAX ? nullptr : grads.values(index).data(); };
  auto tables = [&](const std::vector<size_t>& indices) {
    std::vector<T*> out;
    for (size_t index : indices) {
      grads.values(index).assign(grads.values(index).size(), T(0));  // scatter-added into
      out.push_back(g(index));
    }
    return out;
  };
  return layers::CovariateGradients<T>{tables(cov_.known),      tables(cov_.past),
                                       tables(cov_.statics),    g(cov_.patch),
                                       g(cov_.static_weight),   g(cov_.static_bias),
                                       g(cov_.known_in),        g(cov_.series_weight),
                                       g(cov_.series_bias),     g(cov_.out_weight),
                                       g(cov_.out_bias)};
}

template <class T>
void TrainableEncoder<T>::upload_covariates(const layers::CovariateBatch<T>& b, int64_t batch) {
  const CovariateLayout& l = layout_;
  const auto B = static_cast<size_t>(batch), L = static_cast<size_t>(config_.context_length),
             H = static_cast<size_t>(config_.horizon);
  const kern::Backend& be = ctx_.backend();
  auto put = [&](auto& buffer, const auto* host, size_t count, const char* name, bool real) {
    if (count == 0) return;
    if (!host) fail(ErrorCode::NullPointer, "trainable encoder: covariates' {} is null", name);
    if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(*host)>>) {
      for (size_t i = 0; real && i < count; ++i)
        if (!std::isfinite(static_cast<double>(host[i])))
          fail(ErrorCode::InvalidArgument,
               "trainable encoder: covariates' {} hold a non-finite value at index {}", name, i);
    }
    be.upload(ctx_, buffer.data(), host, count * sizeof(*host));
  };
  put(context_real_, b.context_real, B * L * static_cast<size_t>(l.real_columns()), "context_real", true);
  put(horizon_real_, b.horizon_real, B * H * static_cast<size_t>(l.known_real_channels), "horizon_real", true);
  put(static_real_, b.static_real, B * l.static_real.size(), "static_real", true);
  put(context_codes_, b.context_codes, B * L * static_cast<size_t>(l.code_columns()), "context_codes", false);
  put(horizon_codes_, b.horizon_codes, B * H * l.known_categorical.size(), "horizon_codes", false);
  put(static_codes_, b.static_codes, B * l.static_categorical.size(), "static_codes", false);
}

template <class T>
layers::CovariateBatch<T> TrainableEncoder<T>::covariate_inputs() const {
  return layers::CovariateBatch<T>{context_real_.data(),  horizon_real_.data(),
                                   context_codes_.data(), horizon_codes_.data(),
                                   static_real_.data(),   static_codes_.data()};
}

template <class T>
void TrainableEncoder<T>::forward(const ParameterSet<T>& params, const T* context, int64_t batch,
                                  const layers::CovariateBatch<T>* covariates) {
  const bool with_covariates = !layout_.empty();
  if (with_covariates && !covariates)
    fail(ErrorCode::NullPointer, "trainable encoder: the model has covariates and none were given");
  encode(params, context, batch, nullptr, with_covariates ? covariates : nullptr);
  const T* raw_add = nullptr;
  if (with_covariates) {
    layers::decoder_forward(ctx_, config_, layout_, covariate_weights(params), final_out_.data(),
                            batch, cov_acts_);
    raw_add = cov_acts_.decoder_out;
  }
  layers::head_forward(ctx_, config_, head(params), final_out_.data(), batch, raw_.data(),
                       head_out_.data(), raw_add);
  const int64_t out = raw_per_series();
  if (negbin()) {
    const auto [gamma, beta] = affine_pair(params);
    layers::negbin_forward(config_, raw_.data(), center_.data(), spread_.data(), gamma, beta, batch,
                           predictions_.data());
  } else if (revin_affine()) {
    // Without RevIN's affine pair the predictions are the head's output (predictions()).
    kern::revin_denormalize_forward(ctx_, head_out_.data(), params.values(revin_weight_).data(),
                                    params.values(revin_bias_).data(), zeros_.data(),
                                    ones_.data(), predictions_.data(), batch, out, 1);
  }
  head_ran_ = true;
}

template <class T>
std::pair<double, double> TrainableEncoder<T>::affine_pair(const ParameterSet<T>& params) const {
  if (!revin_affine()) return {1.0, 0.0};
  return {static_cast<double>(params.values(revin_weight_)[0]),
          static_cast<double>(params.values(revin_bias_)[0])};
}

template <class T>
double TrainableEncoder<T>::loss_sum(LossKind kind, const T* targets, const double* weights,
                                     double grad_scale, T* d_predictions) {
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: loss before forward");
  if (!head_ran_)
    fail(ErrorCode::InvalidArgument,
         "trainable encoder: the loss needs forward(), the last pass was forward_tokens()");
  const LossShape shape{batch_, config_.horizon, config_.quantiles, config_.median_quantile_index()};
  if (negbin()) {
    if (kind != LossKind::Pinball)
      fail(ErrorCode::InvalidArgument,
           "loss '{}' applies to the quantile head; a negbin head trains on the negative "
           "log-likelihood of the sales (leave loss unset)",
           to_string(kind));
    return negbin_loss_sum(shape, predictions().data(), targets, weights, grad_scale,
                           d_predictions);
  }
  loss_targets_.resize(static_cast<size_t>(batch_ * config_.horizon));
  normalize_targets(targets, loss_targets_.data());
  return train::loss_sum(kind, shape, predictions().data(), loss_targets_.data(), weights,
                         grad_scale, d_predictions);
}

template <class T>
void TrainableEncoder<T>::forward_tokens(const ParameterSet<T>& params, const T* context,
                                         int64_t batch, const uint8_t* token_mask) {
  if (!layout_.empty())
    fail(ErrorCode::Unsupported,
         "trainable encoder: masked pre-training reads the target alone, this model has covariates");
  encode(params, context, batch, token_mask, nullptr);
  head_ran_ = false;
}

template <class T>
void TrainableEncoder<T>::encode(const ParameterSet<T>& params, const T* context, int64_t batch,
                                 const uint8_t* token_mask,
                                 const layers::CovariateBatch<T>* covariates) {
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
  const kern::Backend& be = ctx_.backend();
  be.upload(ctx_, context_.data(), context, static_cast<size_t>(batch * L) * sizeof(T));

  // Positions covered by a masked patch, built on the host and copied over.
  masked_ = token_mask != nullptr;
  if (masked_) {
    std::vector<uint8_t> hidden(static_cast<size_t>(batch * L), 0);
    for (int64_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < N; ++t)
        if (token_mask[s * N + t])
          for (int64_t p = 0; p < P; ++p)
            hidden[static_cast<size_t>(s * L + std::min(t * config_.stride + p, L - 1))] = 1;
    be.upload(ctx_, hidden_.data(), hidden.data(), hidden.size());
  }

  layers::embed_forward(ctx_, config_, embedding(params), context_.data(), batch,
                        masked_ ? hidden_.data() : nullptr, normalized_.data(), center_.data(),
                        spread_.data(), patches_.data(), streams_[0].data());
  if (covariates) {
    upload_covariates(*covariates, batch);
    const layers::CovariateWeights<T> w = covariate_weights(params);
    layers::covariate_frames_forward(ctx_, config_, layout_, w, covariate_inputs(), batch, cov_acts_);
    layers::covariate_tokens_forward(ctx_, config_, layout_, w, batch, cov_acts_,
                                     streams_[0].data(), false);
  }
  for (size_t l = 0; l < layers_.size(); ++l)
    layers::block_forward(ctx_, config_, block(params, l), batch, streams_[l].data(),
                          streams_[l + 1].data(), layers_[l].view(), attention_workspace());
  kern::layer_norm_forward(ctx_, streams_.back().data(), params.values(final_ln_weight_).data(),
                           params.values(final_ln_bias_).data(), final_out_.data(),
                           final_mean_.data(), final_rstd_.data(), batch * N, D,
                           static_cast<T>(config_.layer_norm_eps));
}

template <class T>
void TrainableEncoder<T>::normalize_targets(const T* targets, T* out) const {
  const int64_t H = config_.horizon;
  for (int64_t s = 0; s < batch_; ++s)
    for (int64_t h = 0; h < H; ++h) {
      const T y = targets[s * H + h];
      out[s * H + h] = config_.normalization == NormKind::Revin
                           ? (y - center_.data()[static_cast<size_t>(s)]) / spread_.data()[static_cast<size_t>(s)]
                           : y / spread_.data()[static_cast<size_t>(s)];
    }
}

template <class T>
void TrainableEncoder<T>::forecast_sales(const ParameterSet<T>& params, T* out) const {
  if (negbin()) {
    const auto [gamma, beta] = affine_pair(params);
    layers::negbin_forecast(config_, raw_.data(), center_.data(), spread_.data(), gamma, beta,
                            batch_, out, static_cast<T*>(nullptr));
    return;
  }
  const int64_t outputs = outputs_per_series();
  const layers::EmbeddingWeights<T> w = embedding(params);
  Buffer sales(ctx_.backend(), static_cast<size_t>(batch_ * outputs));
  layers::to_sales(ctx_, config_, w.revin_weight, w.revin_bias, center_.data(), spread_.data(),
                   head_out_.data(), batch_, sales.data());
  ctx_.backend().download(ctx_, out, sales.data(), sales.size() * sizeof(T));
}

template <class T>
void TrainableEncoder<T>::normalized_patches(T* out) const {
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: patches before forward");
  const int64_t L = config_.context_length, P = config_.patch_length, N = tokens_;
  const bool centred = config_.normalization == NormKind::Revin;
  for (int64_t s = 0; s < batch_; ++s) {
    const T center = centred ? center_.data()[static_cast<size_t>(s)] : T(0);
    const T spread = spread_.data()[static_cast<size_t>(s)];
    for (int64_t t = 0; t < N; ++t)
      for (int64_t p = 0; p < P; ++p)
        out[(s * N + t) * P + p] =
            (context_.data()[static_cast<size_t>(s * L + std::min(t * config_.stride + p, L - 1))] -
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
  const int64_t out = raw_per_series();
  auto g = [&grads](size_t index) { return grads.values(index).data(); };
  auto p = [&params](size_t index) { return params.values(index).data(); };
  if (!negbin())
    ctx_.backend().upload(ctx_, d_predictions_.data(), d_predictions,
                          static_cast<size_t>(batch_ * out) * sizeof(T));

  T out_dgamma = 0, out_dbeta = 0;
  const T* d_head = d_predictions_.data();
  if (negbin()) {
    // The link on the host, into d_raw_ in place: head_backward takes it as the raw gradient.
    const auto [gamma, beta] = affine_pair(params);
    double d_gamma = 0.0, d_beta = 0.0;
    layers::negbin_backward(config_, raw_.data(), center_.data(), spread_.data(), gamma, beta,
                            d_predictions, batch_, d_raw_.data(), &d_gamma, &d_beta);
    out_dgamma = static_cast<T>(d_gamma);
    out_dbeta = static_cast<T>(d_beta);
    d_head = d_raw_.data();
  } else if (revin_affine()) {
    // Output side of RevIN's affine: predictions = (head_out - beta) / gamma.
    kern::revin_denormalize_backward(ctx_, head_out_.data(), p(revin_weight_), p(revin_bias_),
                                     ones_.data(), d_predictions_.data(), d_head_.data(),
                                     &out_dgamma, &out_dbeta, batch_, out, 1);
    d_head = d_head_.data();
  }
  layers::head_backward(ctx_, config_, head(params), final_out_.data(), raw_.data(), d_head,
                        batch_, d_raw_.data(), d_final_.data(), g(head_weight_), g(head_bias_));
  if (!layout_.empty())
    layers::decoder_backward(ctx_, config_, layout_, covariate_weights(params), cov_acts_, batch_,
                             d_raw_.data(), d_final_.data(), cov_grads_scratch_,
                             covariate_gradients(grads));
  backward_body(params, grads, out_dgamma, out_dbeta);
}

template <class T>
void TrainableEncoder<T>::backward_tokens(const ParameterSet<T>& params, const T* d_tokens,
                                          ParameterSet<T>& grads) {
  check_params(params, "parameters");
  check_params(grads, "gradients");
  if (batch_ == 0) fail(ErrorCode::InvalidArgument, "trainable encoder: backward before forward");
  if (!d_tokens) fail(ErrorCode::NullPointer, "trainable encoder: d_tokens is null");
  ctx_.backend().upload(ctx_, d_final_.data(), d_tokens, d_final_.size() * sizeof(T));
  grads.values(head_weight_).assign(grads.values(head_weight_).size(), T(0));
  grads.values(head_bias_).assign(grads.values(head_bias_).size(), T(0));
  backward_body(params, grads, T(0), T(0));
}

template <class T>
void TrainableEncoder<T>::backward_body(const ParameterSet<T>& params, ParameterSet<T>& grads,
                                        T out_dgamma, T out_dbeta) {
  const int64_t D = config_.d_model, R = batch_ * tokens_;
  auto g = [&grads](size_t index) { return grads.values(index).data(); };

  kern::layer_norm_backward(ctx_, streams_.back().data(), params.values(final_ln_weight_).data(),
                            d_final_.data(), final_mean_.data(), final_rstd_.data(),
                            d_stream_.data(), g(final_ln_weight_), g(final_ln_bias_), R, D);

  const layers::BlockBackwardScratch<T> scratch{d_tmp_.data(), d_ln_.data(), d_wide_.data(),
                                                d_wide2_.data(), d_qkv_.data()};
  for (size_t l = layers_.size(); l-- > 0;) {
    const LayerIndex& w = layer_index_[l];
    const layers::BlockGradients<T> block_grads{
        g(w.ln1_weight), g(w.ln1_bias), g(w.qkv_weight),  g(w.qkv_bias),
        g(w.out_weight), g(w.out_bias), g(w.ln2_weight),  g(w.ln2_bias),
        g(w.ffn1_weight), g(w.ffn1_bias), g(w.ffn2_weight), g(w.ffn2_bias)};
    layers::block_backward(ctx_, config_, block(params, l), batch_, streams_[l].data(),
                           layers_[l].view(), d_stream_.data(), scratch, block_grads,
                           attention_workspace());
  }
  // Only forward() runs the covariates (forward_tokens refuses a model with them).
  if (!layout_.empty())
    layers::covariate_tokens_backward(ctx_, config_, layout_, covariate_weights(params),
                                      covariate_inputs(), cov_acts_, batch_, d_stream_.data(),
                                      cov_grads_scratch_, covariate_gradients(grads));

  T in_dgamma = 0, in_dbeta = 0;
  layers::embed_backward(ctx_, config_, embedding(params), batch_, context_.data(),
                         center_.data(), spread_.data(), masked_ ? hidden_.data() : nullptr,
                         patches_.data(), d_stream_.data(), d_patches_.data(),
                         d_normalized_.data(), g(patch_weight_), g(patch_bias_), g(pos_embed_),
                         &in_dgamma, &in_dbeta);
  if (revin_affine()) {
    g(revin_weight_)[0] = in_dgamma + out_dgamma;
    g(revin_bias_)[0] = in_dbeta + out_dbeta;
  }
}

template class TrainableEncoder<float>;
template class TrainableEncoder<double>;

}  // namespace invforecast::train
