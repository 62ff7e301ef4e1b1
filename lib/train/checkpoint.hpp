// A training checkpoint: everything train_model (or pretrain_model) needs to
// continue a run as if it had never stopped (bit-identical final parameters),
// written after every epoch with an atomic replace (temporary name + rename).
//
// Contents: a fingerprint of the run (key/value pairs: configuration, seed,
// batch size, threads, ...; resuming with any other value is refused), the
// position (epochs done, optimiser steps), early-stopping state, per-epoch
// losses, the window sampler's Random state, AdamW's moments and step count,
// and the trained tensors: the current and best parameters, or, for a LoRA
// fine-tune, the current and best adapters (the frozen base is not stored).
//
// Masked-patch pre-training (pretrain.hpp) writes the same format, kind 1:
// its fingerprint adds "objective" = "masked_patch" and "mask_ratio" (a
// fingerprint without "objective" is a forecasting run's); after the model's
// tensors come the run's reconstruction head, "reconstruction.weight" and
// "reconstruction.bias" (best = current: no best head is kept), and after
// the model's optimiser moments come the head's own AdamW moments (weight,
// then bias; that optimiser steps with the body's, so one step count serves).
//
// File layout, version 1 (integers little-endian; f32/f64 IEEE-754 LE):
//    0  magic "INVFCKPT", u32 version
//       u32 n, n x (text key, text value)        the fingerprint
//       i64 epochs_done, i64 steps, i64 best_epoch, f64 best_val_loss,
//       f64 last_val_loss, i64 epochs_without_gain, u32 stopped_early (0/1)
//       u64 n, f64 x n  train_losses;  u64 n, f64 x n  val_losses
//       u64 x 4  Random state
//       i64 AdamW steps, u32 n, n x (u64 size, f32 m[size], f32 v[size])
//       u32 kind: 1 = parameters, 2 = LoRA adapters
//       kind 1: u32 n, n x (text name, u64 size, f32 current[size], f32 best[size])
//       kind 2: u64 len, adapter file bytes (current); u64 len, adapter file bytes (best)
//   size-4  u32 CRC-32 of bytes [0, size-4)
// (text = u32 length, then printable ASCII.)  Every length is checked
// against the bytes left before use; any inconsistency is
// Error(CorruptModel) naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "train/lora.hpp"
#include "train/optimizer.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainer.hpp"

namespace invforecast::train {

inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr char kCheckpointMagic[8] = {'I', 'N', 'V', 'F', 'C', 'K', 'P', 'T'};

using Fingerprint = std::vector<std::pair<std::string, std::string>>;

// One tensor's current and best values.
struct CheckpointTensor {
  std::string name;
  std::vector<float> current, best;
};

struct TrainCheckpoint {
  Fingerprint fingerprint;
  int64_t epochs_done = 0;
  int64_t steps = 0;
  int64_t best_epoch = 0;
  double best_val_loss = 0.0;
  double last_val_loss = 0.0;
  int64_t epochs_without_gain = 0;
  bool stopped_early = false;
  std::vector<double> train_losses, val_losses;
  Random::State random{};
  AdamWState optimizer;
  // Exactly one of: the parameters (full or head-only training) ...
  std::vector<CheckpointTensor> tensors;
  // ... or the adapters (LoRA).
  std::optional<LoraAdapter> adapter, best_adapter;
};

std::vector<uint8_t> write_checkpoint_buffer(const TrainCheckpoint& checkpoint);
void write_checkpoint_file(const std::string& path, const TrainCheckpoint& checkpoint);
// Error(CorruptModel) for a damaged or truncated checkpoint, Error(Io) when
// the file cannot be read.
TrainCheckpoint read_checkpoint(std::span<const uint8_t> bytes);
TrainCheckpoint read_checkpoint_file(const std::string& path);

// Everything that changes a forecasting run's result (train_model: the
// configuration, initial parameters, data and every option that matters);
// a pre-training run adds its own entries.  Resuming is allowed only when
// every entry is the same.
Fingerprint run_fingerprint(const Parameters& initial, const Dataset& data,
                            const TrainOptions& options);
// Error(InvalidArgument) naming the first setting that differs between the
// checkpoint at path (saved) and this run (current): the objective first (a
// fingerprint without "objective" is a forecasting run's), then every entry
// of current, then the number of entries.
void check_fingerprint(const std::string& path, const Fingerprint& saved,
                       const Fingerprint& current);

// A run's position and bookkeeping (everything but its tensors and
// optimiser state) into a checkpoint, and back into a resumed run.
void store_position(TrainCheckpoint& checkpoint, const TrainResult& result, const Random& random,
                    int64_t epochs_without_gain, double last_val_loss);
void restore_position(TrainCheckpoint& checkpoint, TrainResult& result, Random& random,
                      int64_t& epochs_without_gain, double& last_val_loss);

// Appends params' tensors with their best values (same structure) to the
// checkpoint's tensors.
void store_parameters(TrainCheckpoint& checkpoint, const Parameters& params, const Parameters& best);
// Moves saved, one tensor per tensor of params in order, into params and
// best; Error(CorruptModel) naming the checkpoint at path when a count, a
// name or a size differs.
void restore_parameters(const std::string& path, std::span<CheckpointTensor> saved,
                        Parameters& params, Parameters& best);

}  // namespace invforecast::train
