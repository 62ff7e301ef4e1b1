#include "train/training_run.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "error.hpp"
#include "model/features.hpp"
#include "train/parameters.hpp"
#include "train/pretrain.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::train {
namespace {

ModelConfig new_model_config(const TrainingSettings& t) {
  ModelConfig c;
  if (t.context_length) c.context_length = *t.context_length;
  if (t.patch_length) c.patch_length = *t.patch_length;
  if (t.stride) c.stride = *t.stride;
  if (t.d_model) c.d_model = *t.d_model;
  if (t.heads) c.heads = *t.heads;
  if (t.ffn_dim) c.ffn_dim = *t.ffn_dim;
  if (t.layers) c.layers = *t.layers;
  if (t.horizon) c.horizon = *t.horizon;
  if (t.normalization) {
    c.normalization = *t.normalization == "meanabs" ? NormKind::MeanAbs : NormKind::Revin;
    c.revin_affine = c.normalization == NormKind::Revin;  // RevIN's gain and bias exist only there
  }
  if (t.norm_eps) c.norm_eps = *t.norm_eps;
  if (t.head) c.head = *t.head == "negbin" ? HeadKind::NegBin : HeadKind::Quantile;
  if (t.quantiles) c.quantiles = *t.quantiles;
  if (t.embedding_dim) c.embedding_dim = *t.embedding_dim;
  if (t.decoder_dim) c.decoder_dim = *t.decoder_dim;
  try {
    validate_config(c);
  } catch (const Error& e) {
    // The same check guards model files; here the caller chose the numbers.
    fail(ErrorCode::InvalidArgument, "{}", e.what());
  }
  return c;
}

TrainOptions train_options(const TrainingSettings& t) {
  TrainOptions o;
  if (t.epochs) o.epochs = *t.epochs;
  if (t.steps_per_epoch) o.steps_per_epoch = *t.steps_per_epoch;
  if (t.batch_size) o.batch_size = *t.batch_size;
  if (t.learning_rate) o.learning_rate = *t.learning_rate;
  // A peak below the default floor lowers the floor (the decay ends at the peak).
  o.min_learning_rate =
      t.min_learning_rate.value_or(std::min(o.min_learning_rate, o.learning_rate));
  if (t.warmup_steps) o.warmup_steps = *t.warmup_steps;
  if (t.weight_decay) o.adamw.weight_decay = *t.weight_decay;
  if (t.clip_norm) o.clip_norm = *t.clip_norm;
  if (t.min_history) o.min_history = *t.min_history;
  if (t.holdout_days) o.holdout_days = *t.holdout_days;
  if (t.patience) o.patience = *t.patience;
  if (t.loss)
    o.loss = *t.loss == "mae" ? LossKind::MedianMae
             : *t.loss == "mse" ? LossKind::MedianMse
                                : LossKind::Pinball;
  if (t.sampling)
    o.sampling = *t.sampling == "volume"    ? SampleWeighting::Volume
                 : *t.sampling == "revenue" ? SampleWeighting::Revenue
                                            : SampleWeighting::Uniform;
  if (t.seed) o.seed = *t.seed;
  o.threads = t.threads > 0 ? t.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  o.backend = t.backend;
  return o;
}

// Whether the settings choose covariates (anything but the default "all" and "none").
bool selects_covariates(const TrainingSettings& t) {
  return !t.covariates.empty() || !t.past_only.empty() || t.covariates_calendar;
}

// Statistics from the training days: before each series' hold-out (TrainOptions::holdout_days,
// -1 meaning the model's horizon).
std::vector<FeatureSpec> covariate_features(const Dataset& data, const TrainingSettings& t,
                                            const TrainOptions& o, int64_t horizon) {
  FeatureSelection selection;
  selection.none = t.covariates_none;
  selection.calendar_only = t.covariates_calendar;
  selection.columns = t.covariates;
  selection.past_only = t.past_only;
  if (selection.none && !selection.past_only.empty())
    fail(ErrorCode::InvalidArgument, "covariates = none leaves nothing to be past-only");
  return fit_features(data, selection, o.holdout_days < 0 ? horizon : o.holdout_days);
}

// params (a model of the target alone) with covariate tensors added, initialised for `seed`;
// every tensor params has keeps its values.
Parameters with_features(const Parameters& params, const std::vector<FeatureSpec>& features,
                         uint64_t seed) {
  Parameters out = initialize_parameters(params.config(), seed, features);
  for (size_t i = 0; i < params.size(); ++i) out.values(params.specs()[i].name) = params.values(i);
  return out;
}

std::string number_text(double value) { return fmt::format("{:.9g}", value); }

// Provenance written into the model: what a planner or an auditor asks of a
// model file.  Only reproducible facts (no wall-clock figures), so the same
// training gives the same bytes.
void record_provenance(ModelMetadata& metadata, const Dataset& data, const TrainOptions& o,
                       const TrainResult& r, const std::string& objective,
                       const std::string& finetune) {
  auto& p = metadata.provenance;
  metadata.objective =
      objective == "masked_patch" ? TrainingObjective::MaskedPatch : TrainingObjective::Forecast;
  p["objective"] = std::string(to_string(metadata.objective));
  if (!finetune.empty()) p["finetune"] = finetune;
  p["series"] = std::to_string(data.series.size());
  p["epochs"] = std::to_string(o.epochs);
  p["epochs_run"] = std::to_string(r.epochs_run);
  p["steps"] = std::to_string(r.steps);
  p["best_epoch"] = std::to_string(r.best_epoch);
  p["best_val_loss"] = std::isnan(r.best_val_loss) ? "none" : number_text(r.best_val_loss);
  p["batch_size"] = std::to_string(o.batch_size);
  p["learning_rate"] = number_text(o.learning_rate);
  p["seed"] = std::to_string(o.seed);
  p["threads"] = std::to_string(o.threads);
  p["library_version"] = INVF_VERSION_STRING;
}

}  // namespace

TrainedModel run_training(const Dataset& data, const ModelFile* init,
                          const TrainingSettings& t, ProgressCallback progress) {
  TrainOptions o = train_options(t);
  // Per-series loss weights (the loss is normalised per series, so without
  // them a slow seller counts as much as a best seller).
  if (t.loss_weighting == "volume") o.loss_weights = volume_weights(data);
  if (t.loss_weighting == "revenue") o.loss_weights = revenue_weights(data);
  Parameters params;
  ModelMetadata metadata;
  std::string finetune;
  if (init != nullptr) {
    if (t.any_model_key())
      fail(ErrorCode::InvalidArgument,
           "training from an existing model keeps its configuration: leave context_length, "
           "patch_length, stride, d_model, heads, ffn_dim, layers, horizon, normalization, head "
           "and norm_eps unset");
    const ModelFile& base = *init;
    params = parameters_from_model(base);
    metadata = base.metadata();
    finetune = t.finetune.value_or("full");
    if (finetune == "head") o.trainable_prefixes = {"head."};
    const bool base_has_covariates = !covariate_layout(base.config(), base.metadata().features).empty();
    if (selects_covariates(t)) {
      if (base_has_covariates)
        fail(ErrorCode::InvalidArgument,
             "training from an existing model keeps its covariates: leave covariates and "
             "past_only unset");
      // Transfer: the base's encoder, new covariate tensors.
      params = with_features(params, covariate_features(data, t, o, base.config().horizon), o.seed);
      metadata.features = params.features();
    }
  } else {
    if (t.finetune)
      fail(ErrorCode::InvalidArgument, "option 'finetune' needs a model to start from (init)");
    const bool pretrain = t.objective == "masked_patch";
    if (pretrain && selects_covariates(t))
      fail(ErrorCode::InvalidArgument,
           "objective masked_patch trains on the target alone: leave covariates and past_only unset");
    const ModelConfig config = new_model_config(t);
    const std::vector<FeatureSpec> features =
        pretrain ? target_features() : covariate_features(data, t, o, config.horizon);
    params = initialize_parameters(config, o.seed, features);
    metadata = default_metadata(params);
  }
  const bool pretraining = t.objective == "masked_patch";
  if (pretraining && (finetune == "head" || finetune == "lora"))
    fail(ErrorCode::InvalidArgument,
         "objective masked_patch trains the whole encoder body: finetune '{}' does not apply",
         finetune);
  if (!pretraining && t.mask_ratio)
    fail(ErrorCode::InvalidArgument, "option 'mask_ratio' applies to objective masked_patch");
  if (finetune == "lora")
    o.lora = LoraOptions{t.lora_rank.value_or(8), t.lora_alpha.value_or(16.0), {}};
  else if (t.lora_rank || t.lora_alpha)
    fail(ErrorCode::InvalidArgument, "lora_rank and lora_alpha need finetune = lora");
  if (t.resume && t.checkpoint.empty())
    fail(ErrorCode::InvalidArgument, "resume needs option 'checkpoint' (the file to resume)");
  o.checkpoint_path = t.checkpoint;
  o.resume = t.resume;
  if (init != nullptr) {
    const auto& base_provenance = init->metadata().provenance;
    const auto base_objective = base_provenance.find("objective");
    if (base_objective != base_provenance.end())
      metadata.provenance["init_objective"] = base_objective->second;
  }

  o.progress = std::move(progress);
  if (!o.progress_interval_steps) o.progress_interval_steps = o.progress ? 10 : 0;

  LoraAdapter adapter;
  const bool lora = o.lora.rank > 0;
  TrainResult result;
  if (pretraining) {
    PretrainOptions pretrain;
    pretrain.train = o;
    if (t.mask_ratio) pretrain.mask_ratio = *t.mask_ratio;
    result = pretrain_model(params, data, pretrain);
  } else {
    result = train_model(params, data, o, lora ? &adapter : nullptr);
  }
  if (result.cancelled)
    fail(ErrorCode::Cancelled, "training cancelled by the progress callback after {} steps{}",
         result.steps, o.checkpoint_path.empty() ? "" : "; resume from the checkpoint");
  record_provenance(metadata, data, o, result, t.objective, finetune);
  if (lora) {
    metadata.provenance["lora_rank"] = std::to_string(adapter.rank);
    metadata.provenance["lora_alpha"] = number_text(adapter.alpha);
  }
  // With LoRA, params stay the base: the model is base + adapter, merged.
  TrainedModel trained;
  trained.bytes = to_model_buffer(lora ? merge_adapter(params, adapter) : params, metadata);
  if (lora) trained.adapter = std::move(adapter);
  return trained;
}

}  // namespace invforecast::train
