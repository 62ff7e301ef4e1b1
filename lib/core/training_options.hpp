// Settings of invf_train as parsed from the C API's key/value strings.  Unset
// fields keep the engine's defaults (ModelConfig, train::TrainOptions), so
// those are stated in one place only; the model keys must stay unset when
// training starts from an existing model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend.hpp"

namespace invforecast {

struct TrainingSettings {
  // Architecture of a new model.
  std::optional<int64_t> context_length, patch_length, stride, d_model, heads, ffn_dim, layers,
      horizon;
  std::optional<std::string> normalization;  // revin | meanabs
  std::optional<std::string> head;           // quantile | negbin
  std::optional<double> norm_eps;
  // Covariates (docs/covariates.md): "all" columns (the default), "none" (the
  // target alone, no calendar), "calendar" (no column) or the listed columns;
  // past-only columns.
  bool covariates_none = false, covariates_calendar = false;
  std::vector<std::string> covariates, past_only;
  std::optional<int64_t> embedding_dim, decoder_dim;
  // Optimisation.
  std::optional<int64_t> epochs, steps_per_epoch, batch_size, warmup_steps, min_history,
      holdout_days, patience;
  std::optional<double> learning_rate, min_learning_rate, weight_decay, clip_norm;
  std::optional<std::string> loss;      // pinball | mae | mse
  std::optional<std::string> sampling;  // uniform | volume | revenue
  std::optional<std::string> loss_weighting;  // uniform | volume | revenue
  // Transfer.
  std::string objective = "forecast";  // forecast | masked_patch
  std::optional<double> mask_ratio;
  std::optional<std::string> finetune;  // full | head | lora
  std::optional<int64_t> lora_rank;
  std::optional<double> lora_alpha;
  // Checkpoints.
  std::string checkpoint;
  bool resume = false;
  // Shared with other domains, read here from the training's own copy.
  std::optional<std::uint64_t> seed;                // weights and window draws
  std::optional<std::vector<double>> quantiles;     // of a new model
  int threads = 0;                                  // 0 = hardware concurrency
  kernels::BackendKind backend = kernels::BackendKind::Cpu;

  bool any_model_key() const {
    return context_length || patch_length || stride || d_model || heads || ffn_dim || layers ||
           horizon || normalization || head || norm_eps || embedding_dim || decoder_dim;
  }
};

// Sets `key` when it is a training key and returns true; false for any other
// key.  Throws Error(InvalidArgument) naming the key for a bad value.
// "seed", "quantiles", "threads" and "backend" are parsed as for the other
// domains (option_parsing.hpp).
bool set_training_option(TrainingSettings& settings, std::string_view key, std::string_view value);

}  // namespace invforecast
