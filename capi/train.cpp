// invf_train and saving models: the C ABI over lib/train (the trainer, the
// masked-patch pre-training and LoRA fine-tuning) and the model writer.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "boundary.hpp"
#include "handles.hpp"
#include "model_runtime.hpp"
#include "train/lora.hpp"
#include "train/parameters.hpp"
#include "train/pretrain.hpp"
#include "train/trainer.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::capi {
namespace {

const invf_model& model_ref(const invf_model* model) {
  require(model, "model");
  return *model;
}

ModelConfig new_model_config(const Options& settings) {
  const TrainingSettings& t = settings.training;
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
  c.quantiles = settings.forecast.quantiles;
  try {
    validate_config(c);
  } catch (const Error& e) {
    // The same check guards model files; here the caller chose the numbers.
    fail(ErrorCode::InvalidArgument, "{}", e.what());
  }
  return c;
}

train::TrainOptions train_options(const Options& settings) {
  const TrainingSettings& t = settings.training;
  train::TrainOptions o;
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
    o.loss = *t.loss == "mae" ? train::LossKind::MedianMae
             : *t.loss == "mse" ? train::LossKind::MedianMse
                                : train::LossKind::Pinball;
  if (t.sampling)
    o.sampling = *t.sampling == "volume"    ? train::SampleWeighting::Volume
                 : *t.sampling == "revenue" ? train::SampleWeighting::Revenue
                                            : train::SampleWeighting::Uniform;
  if (settings.inventory.seed) o.seed = *settings.inventory.seed;
  const int threads = settings.forecast.threads;
  o.threads =
      threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  o.backend = settings.forecast.backend;
  return o;
}

std::string number_text(double value) { return fmt::format("{:.9g}", value); }

// Provenance written into the model: what a planner or an auditor asks of a
// model file.  Only reproducible facts (no wall-clock figures), so the same
// training gives the same bytes.
void record_provenance(ModelMetadata& metadata, const Dataset& data, const train::TrainOptions& o,
                       const train::TrainResult& r, const std::string& objective,
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

std::vector<NamedTensor> named_views(const ModelFile& file) {
  std::vector<NamedTensor> tensors;
  tensors.reserve(file.tensors().size());
  for (const TensorView& t : file.tensors()) tensors.push_back({t.name, t.dims, t.values});
  return tensors;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_train(const invf_dataset* dataset, const invf_model* init,
                        const invf_options* options, invf_train_fn progress, void* user_data,
                        invf_model** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    const Options& settings = options_or_defaults(options);
    const TrainingSettings& t = settings.training;
    const Dataset& data = built_dataset(*dataset);

    train::TrainOptions o = train_options(settings);
    // Per-series loss weights (the loss is normalised per series, so without
    // them a slow seller counts as much as a best seller).
    if (t.loss_weighting == "volume") o.loss_weights = train::volume_weights(data);
    if (t.loss_weighting == "revenue") o.loss_weights = train::revenue_weights(data);
    train::Parameters params;
    ModelMetadata metadata;
    std::string finetune;
    if (init != nullptr) {
      if (t.any_model_key())
        fail(ErrorCode::InvalidArgument,
             "training from an existing model keeps its configuration: leave context_length, "
             "patch_length, stride, d_model, heads, ffn_dim, layers, horizon, normalization and "
             "norm_eps unset");
      const ModelFile& base = init->runtime->model().file();
      params = train::parameters_from_model(base);
      metadata = base.metadata();
      finetune = t.finetune.value_or("full");
      if (finetune == "head") o.trainable_prefixes = {"head."};
    } else {
      if (t.finetune)
        fail(ErrorCode::InvalidArgument, "option 'finetune' needs a model to start from (init)");
      params = train::initialize_parameters(new_model_config(settings), o.seed);
      metadata = train::default_metadata(params);
    }
    const bool pretraining = t.objective == "masked_patch";
    if (pretraining && (finetune == "head" || finetune == "lora"))
      fail(ErrorCode::InvalidArgument,
           "objective masked_patch trains the whole encoder body: finetune '{}' does not apply",
           finetune);
    if (!pretraining && t.mask_ratio)
      fail(ErrorCode::InvalidArgument, "option 'mask_ratio' applies to objective masked_patch");
    if (finetune == "lora")
      o.lora = train::LoraOptions{t.lora_rank.value_or(8), t.lora_alpha.value_or(16.0), {}};
    else if (t.lora_rank || t.lora_alpha)
      fail(ErrorCode::InvalidArgument, "lora_rank and lora_alpha need finetune = lora");
    if (t.resume && t.checkpoint.empty())
      fail(ErrorCode::InvalidArgument, "resume needs option 'checkpoint' (the file to resume)");
    o.checkpoint_path = t.checkpoint;
    o.resume = t.resume;
    if (init != nullptr) {
      const auto& base_provenance = init->runtime->model().file().metadata().provenance;
      const auto base_objective = base_provenance.find("objective");
      if (base_objective != base_provenance.end())
        metadata.provenance["init_objective"] = base_objective->second;
    }

    if (progress != nullptr)
      o.progress = [progress, user_data](const train::TrainProgress& p) {
        invf_train_progress report;
        report.epoch = static_cast<size_t>(p.epoch);
        report.epochs = static_cast<size_t>(p.epochs);
        report.step = static_cast<size_t>(p.step);
        report.total_steps = static_cast<size_t>(p.total_steps);
        report.train_loss = p.train_loss;
        report.val_loss = p.val_loss;
        report.samples_per_second = p.samples_per_second;
        report.eta_seconds = p.eta_seconds;
        report.epoch_end = p.epoch_end ? 1 : 0;
        return progress(user_data, &report) == 0;
      };
    if (!o.progress_interval_steps) o.progress_interval_steps = progress ? 10 : 0;

    train::LoraAdapter adapter;
    const bool lora = o.lora.rank > 0;
    train::TrainResult result;
    if (pretraining) {
      train::PretrainOptions pretrain;
      pretrain.train = o;
      if (t.mask_ratio) pretrain.mask_ratio = *t.mask_ratio;
      result = train::pretrain_model(params, data, pretrain);
    } else {
      result = train::train_model(params, data, o, lora ? &adapter : nullptr);
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
    const std::vector<uint8_t> bytes =
        train::to_model_buffer(lora ? train::merge_adapter(params, adapter) : params, metadata);
    auto handle = make_model_handle(ModelFile::from_buffer(bytes, BufferMode::Copy), options);
    if (lora) handle->adapter = std::make_shared<const train::LoraAdapter>(std::move(adapter));
    *out = handle.release();
  });
}

invf_status* invf_model_save(const invf_model* model, const char* path) {
  return guarded([&] {
    const ModelFile& file = model_ref(model).runtime->model().file();
    require(path, "path");
    write_model_file(path, file.metadata(), named_views(file));
  });
}

invf_status* invf_model_save_buffer(const invf_model* model, void* buffer, size_t capacity,
                                    size_t* needed) {
  return guarded([&] {
    const std::span<const uint8_t> bytes = model_ref(model).runtime->model().file().bytes();
    copy_to_caller(bytes.data(), bytes.size(), buffer, capacity, needed, "the model");
  });
}

invf_status* invf_model_provenance(const invf_model* model, const char* key, const char** out) {
  return guarded([&] {
    const ModelFile& file = model_ref(model).runtime->model().file();
    require(key, "key");
    require(out, "out");
    const auto& provenance = file.metadata().provenance;
    const auto found = provenance.find(key);
    if (found == provenance.end())
      fail(ErrorCode::InvalidArgument, "the model records no provenance '{}'", key);
    *out = found->second.c_str();
  });
}

}  // extern "C"
