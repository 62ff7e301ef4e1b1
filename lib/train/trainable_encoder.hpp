// The encoder of lib/model/encoder.hpp in training form: a forward pass that
// keeps every activation the backward pass needs, and the backward pass that
// turns the gradient of a loss on the normalised-scale quantiles into the
// gradient of every parameter (ParameterSet, expected_tensors order).
//
// Scales.  The loss lives on the normalised scale of each series: with RevIN
// statistics (mean m, std s) of the context, a target y becomes (y - m) / s,
// and the model's quantiles on that scale are (z - beta) / gamma, z being the
// non-crossing head output and (gamma, beta) RevIN's affine pair; with
// mean-absolute scaling (scale a) the target is y / a and the quantiles are z.
// The sales-scale forecast (forecast_sales) is what EncoderModel::forecast
// returns: the same map with the statistics undone, clipped at zero.  The
// clip is not part of the training graph (it has no useful gradient); the
// normalisation statistics are constants, as in the kernels' design.
//
// The negbin head (HeadKind::NegBin) predicts each day's distribution on the
// sales scale instead: predictions() are (mu, alpha) per day, the link of
// layers/negbin_head.hpp computed on the host from the head's raw output and
// the statistics (read, and written, in place), and its loss is the
// negative log-likelihood of the sales themselves (loss_sum).
//
// Layers: lib/layers/'s, the same code EncoderModel runs for inference,
// here in their training form (every activation kept).
//
// Backend and scalar type: every op runs on the backend given, through the
// dispatch of kernels/ops.hpp, in T: float on any backend, double where the
// backend has float64 ops (the Reference backend; the gradient checks run
// it).  Activations live in the backend's memory (kernels::Buffer); the
// context and the output gradient are uploaded, and predictions(),
// token_outputs() and the normalisation statistics behind
// normalize_targets() are read in place, which the host backends allow (a
// device backend would download them: the loss runs on the host).
// Parameters and gradients are host arrays (ParameterSet).
//
// Not thread-safe: one instance per thread (it owns its activations and
// its kernels::Context).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "layers/covariates.hpp"
#include "layers/patch_embedding.hpp"
#include "layers/quantile_head.hpp"
#include "layers/transformer_block.hpp"
#include "ops.hpp"
#include "train/loss.hpp"
#include "train/parameters.hpp"

namespace invforecast::train {

template <class T>
class TrainableEncoder {
 public:
  // Throws Error(Unsupported) when the backend has no ops in T (float64
  // on the Cpu backend), and validates config and features (the target
  // alone by default; a model with covariates reads them through
  // layers/covariates.hpp).
  TrainableEncoder(const ModelConfig& config, const kernels::Backend& backend,
                   std::vector<FeatureSpec> features = target_features());

  const ModelConfig& config() const { return config_; }
  const CovariateLayout& layout() const { return layout_; }
  const kernels::Backend& backend() const { return ctx_.backend(); }
  kernels::Context& context() { return ctx_; }
  int64_t batch() const { return batch_; }
  // The sales-scale forecast's values per series (horizon x quantiles), and the head's raw
  // outputs' (horizon x head_step_outputs(): the size of predictions() per series).
  int64_t outputs_per_series() const { return config_.horizon * config_.num_quantiles(); }
  int64_t raw_per_series() const { return config_.horizon * config_.head_step_outputs(); }

  // context [batch, context_length] on the sales scale, all finite (checked:
  // Error(InvalidArgument) naming the series and position).  params must have
  // this encoder's config and features (Error(InvalidArgument) otherwise).
  // covariates (host memory): required when the model has covariates
  // (Error(NullPointer) otherwise), their real values finite (checked).
  void forward(const ParameterSet<T>& params, const T* context, int64_t batch,
               const layers::CovariateBatch<T>* covariates = nullptr);

  // After forward(): quantiles on the normalised scale [batch, horizon, quantiles]; a negbin
  // head's (mu, alpha) of each day on the sales scale [batch, horizon, 2].
  std::span<const T> predictions() const {
    return view(revin_affine() || negbin() ? predictions_ : head_out_);
  }
  // After forward(): targets [batch, horizon] (sales scale) mapped to the normalised scale.
  void normalize_targets(const T* targets, T* out) const;
  // After forward(): the batch's loss sum_s w_s l_s (loss.hpp) against targets [batch,
  // horizon] on the sales scale: the quantile head's `kind` on the normalised scale
  // (normalize_targets), a negbin head's negative log-likelihood of the sales (there `kind`
  // must be Pinball, the default: Error(InvalidArgument) otherwise).  d_predictions (null:
  // none) receives grad_scale x its gradient w.r.t. predictions().  weights: as loss_sum's.
  double loss_sum(LossKind kind, const T* targets, const double* weights, double grad_scale,
                  T* d_predictions);
  // After forward(): the sales-scale quantiles EncoderModel::forecast gives [batch, horizon,
  // quantiles].
  void forecast_sales(const ParameterSet<T>& params, T* out) const;

  // After forward() with the same params: d_predictions [batch, horizon,
  // quantiles] (gradient of the loss w.r.t. predictions()) -> grads, every
  // tensor overwritten.  grads must have this encoder's config.
  void backward(const ParameterSet<T>& params, const T* d_predictions, ParameterSet<T>& grads);

  // Self-supervised pre-training (pretrain.hpp): normalisation, patching and
  // the encoder body up to the final LayerNorm, without the forecast head;
  // a model of the target alone (Error(Unsupported) for one with covariates).
  // token_mask [batch, tokens] (non-zero = masked; null = nothing masked).
  // Masking works on context positions: every position a masked patch
  // covers reads 0 on the normalised scale (after RevIN's affine) in every
  // patch, so that with overlapping patches (stride < patch_length) a visible
  // neighbour does not reveal a masked patch's values.  0 is the context mean
  // (RevIN without affine) or a zero sale (mean-absolute scaling).  The
  // normalisation statistics are taken over the whole context, masked
  // positions included, as PatchTST normalises before masking.
  void forward_tokens(const ParameterSet<T>& params, const T* context, int64_t batch,
                      const uint8_t* token_mask);
  // After forward() or forward_tokens(): the final LayerNorm's output [batch,
  // tokens, d_model].
  std::span<const T> token_outputs() const { return view(final_out_); }
  // After forward() or forward_tokens(): every token's patch of the context
  // on the loss scale (normalize_targets' map: RevIN statistics or the
  // mean-absolute scale, no affine), masked or not [batch, tokens,
  // patch_length]: what a reconstruction head predicts.
  void normalized_patches(T* out) const;
  // After forward_tokens() or forward() with the same params: d_tokens
  // [batch, tokens, d_model] (gradient w.r.t. token_outputs()) -> grads of
  // every parameter; the forecast head's (head.*) are set to zero.
  void backward_tokens(const ParameterSet<T>& params, const T* d_tokens, ParameterSet<T>& grads);

 private:
  using Buffer = kernels::Buffer<T>;
  struct LayerIndex {
    size_t ln1_weight, ln1_bias, qkv_weight, qkv_bias, out_weight, out_bias, ln2_weight, ln2_bias,
        ffn1_weight, ffn1_bias, ffn2_weight, ffn2_bias;
  };
  struct LayerActivations {
    Buffer ln1_mean, ln1_rstd, ln1_out, qkv, attended, lse, mid, ln2_mean, ln2_rstd, ln2_out,
        ffn_pre, ffn_act;
    layers::BlockActivations<T> view();
  };
  static std::span<const T> view(const Buffer& buffer) { return {buffer.data(), buffer.size()}; }
  bool revin_affine() const {
    return config_.normalization == NormKind::Revin && config_.revin_affine;
  }
  bool negbin() const { return config_.head == HeadKind::NegBin; }
  // RevIN's affine pair, (1, 0) without one.
  std::pair<double, double> affine_pair(const ParameterSet<T>& params) const;
  void check_params(const ParameterSet<T>& params, const char* what) const;
  void resize(int64_t batch);
  layers::EmbeddingWeights<T> embedding(const ParameterSet<T>& params) const;
  layers::BlockWeights<T> block(const ParameterSet<T>& params, size_t layer) const;
  layers::Linear<T> head(const ParameterSet<T>& params) const;
  layers::CovariateWeights<T> covariate_weights(const ParameterSet<T>& params) const;
  // Zeroes the embedding tables' gradients, which are scatter-added into.
  layers::CovariateGradients<T> covariate_gradients(ParameterSet<T>& grads) const;
  // Uploads a batch's covariates into the input buffers (checked finite).
  void upload_covariates(const layers::CovariateBatch<T>& covariates, int64_t batch);
  layers::CovariateBatch<T> covariate_inputs() const;
  float* attention_workspace();
  // forward() and forward_tokens() up to the final LayerNorm.
  void encode(const ParameterSet<T>& params, const T* context, int64_t batch,
              const uint8_t* token_mask, const layers::CovariateBatch<T>* covariates);
  // From d_final_ (gradient w.r.t. token_outputs()) to every body parameter;
  // out_dgamma/out_dbeta: RevIN's affine gradient from the output side.
  void backward_body(const ParameterSet<T>& params, ParameterSet<T>& grads, T out_dgamma,
                     T out_dbeta);

  ModelConfig config_;
  std::vector<FeatureSpec> features_;
  CovariateLayout layout_;
  kernels::Context ctx_;
  int64_t tokens_ = 0, batch_ = 0;
  bool head_ran_ = false;  // the last forward pass was forward(), not forward_tokens()
  bool masked_ = false;    // the last forward pass hid positions (hidden_)
  size_t revin_weight_ = 0, revin_bias_ = 0, patch_weight_ = 0, patch_bias_ = 0, pos_embed_ = 0,
         final_ln_weight_ = 0, final_ln_bias_ = 0, head_weight_ = 0, head_bias_ = 0;
  std::vector<LayerIndex> layer_index_;
  // Covariate tensors (layers::CovariateWeights order); SIZE_MAX when absent.
  struct CovariateIndex {
    std::vector<size_t> known, past, statics;
    size_t patch = SIZE_MAX, static_weight = SIZE_MAX, static_bias = SIZE_MAX, known_in = SIZE_MAX,
           series_weight = SIZE_MAX, series_bias = SIZE_MAX, out_weight = SIZE_MAX,
           out_bias = SIZE_MAX;
  } cov_;

  // Forward activations, in the backend's memory.
  Buffer context_, normalized_, center_, spread_, patches_;
  kernels::Buffer<uint8_t> hidden_;  // [batch, context]: position covered by a masked patch
  std::vector<Buffer> streams_;  // streams_[i]: input of layer i; [layers]: its output
  std::vector<LayerActivations> layers_;
  Buffer final_mean_, final_rstd_, final_out_, raw_, head_out_, predictions_;
  Buffer unit_;  // {1, 0}: RevIN's pair when the model has no affine one
  std::vector<T> loss_targets_;  // loss_sum's normalised targets (quantile head)
  Buffer ones_, zeros_;  // per-series constants for the affine-only (de)normalisation
  // Covariate inputs and activations (empty without covariates).
  Buffer context_real_, horizon_real_, static_real_;
  kernels::Buffer<int32_t> context_codes_, horizon_codes_, static_codes_;
  Buffer cov_storage_, cov_scratch_;
  layers::CovariateActivations<T> cov_acts_;
  layers::CovariateScratch<T> cov_grads_scratch_{};
  // Backward scratch.
  Buffer d_predictions_, d_stream_, d_tmp_, d_ln_, d_wide_, d_wide2_, d_qkv_, d_final_, d_raw_,
      d_head_, d_patches_, d_normalized_;
};

}  // namespace invforecast::train
