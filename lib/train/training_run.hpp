// A training run as invf_train makes it, from the "train" domain's settings:
// a new model from the configuration keys or a fine-tune of an existing one
// (full, head or LoRA), forecasting or masked-patch pre-training, with
// checkpoints and the provenance recorded in the model file.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/training_options.hpp"
#include "data/dataset.hpp"
#include "model/model_file.hpp"
#include "train/lora.hpp"
#include "train/trainer.hpp"

namespace invforecast::train {

struct TrainedModel {
  std::vector<uint8_t> bytes;          // a model file (LoRA: base + adapter, merged)
  std::optional<LoraAdapter> adapter;  // with finetune = lora
};

// Trains on every series of `data`, from `init` (NULL: a new model from the
// settings' configuration keys, which must be unset otherwise).  `progress`
// (may be empty) is called every 10 steps and after each epoch.
// Error(InvalidArgument) for conflicting settings, Error(Cancelled) when
// progress asks to stop; the trainer's errors otherwise.
TrainedModel run_training(const Dataset& data, const ModelFile* init,
                          const TrainingSettings& settings, ProgressCallback progress);

}  // namespace invforecast::train
