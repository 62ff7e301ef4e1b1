// Training loop of the global encoder over every series of a Dataset:
// mini-batches of windows (window_sampler.hpp), the loss on the normalised
// scale (loss.hpp; a negbin head's likelihood of the sales), backward (trainable_encoder.hpp), global gradient-norm
// clipping, AdamW with warm-up then cosine decay (optimizer.hpp), validation
// on a temporal hold-out after every epoch, early stopping with patience, and
// the best checkpoint kept.  Fine-tuning modes: full, some tensors only
// (trainable_prefixes, e.g. the head), or low-rank adapters over a frozen
// base (lora.hpp).  With a checkpoint path the whole training state is
// written after every epoch (checkpoint.hpp), and a run resumed from it ends
// with the same bits as one that never stopped.
//
// Determinism: windows are drawn on the calling thread from one Random seeded
// with options.seed; each batch is split into `threads` contiguous shares
// whose gradients are summed in share order; so the same data, options,
// initial parameters, thread count and backend give bit-identical parameters.
// The progress callback sees wall-clock figures but cannot change the result
// (other than by cancelling).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "ops.hpp"
#include "train/lora.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
#include "train/parameters.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::train {

struct TrainProgress {
  int64_t epoch = 0;  // 1-based, the epoch in progress or just finished
  int64_t epochs = 0;
  int64_t step = 0;  // optimiser steps done
  int64_t total_steps = 0;
  double train_loss = 0.0;  // mean batch loss of the epoch so far
  double val_loss = 0.0;    // latest validation loss; NaN before the first or without validation
  double samples_per_second = 0.0;
  double eta_seconds = 0.0;
  bool epoch_end = false;  // true for the report after an epoch's validation
};
// Returns false to cancel training.
using ProgressCallback = std::function<bool(const TrainProgress&)>;

enum class SampleWeighting { Uniform, Volume, Revenue };

struct TrainOptions {
  int64_t epochs = 10;
  int64_t steps_per_epoch = 100;
  int64_t batch_size = 64;
  double learning_rate = 1e-3;
  double min_learning_rate = 1e-5;
  int64_t warmup_steps = -1;  // -1: 5% of all steps
  AdamWOptions adamw;
  double clip_norm = 1.0;  // <= 0: no clipping
  LossKind loss = LossKind::Pinball;  // the quantile head's; a negbin head needs the default
  uint64_t seed = 1;
  int threads = 1;
  kernels::BackendKind backend = kernels::BackendKind::Cpu;
  // Days at the end of every series kept for validation: -1 = the horizon,
  // 0 = no validation (no early stopping; the last parameters are kept).
  int64_t holdout_days = -1;
  int64_t patience = 3;      // epochs without improvement before stopping; 0 = never stop early
  int64_t min_history = 28;  // days of history after launch a window's context needs
  // How windows are drawn: every window equally likely, or series weighted by
  // volume / revenue (window_sampler.hpp; revenue reads the "price" column).
  SampleWeighting sampling = SampleWeighting::Uniform;
  std::vector<double> loss_weights;  // per series (dataset order); empty = all 1
  // Tensors updated: empty = all; otherwise only those whose name starts with
  // one of these prefixes (e.g. {"head."} fine-tunes the head alone).  Frozen
  // tensors' gradients are zeroed before clipping, so they count in no norm.
  std::vector<std::string> trainable_prefixes;
  // LoRA fine-tuning (rank > 0): params stay the frozen base and only the
  // adapter is trained (trainable_prefixes must then be empty).  The
  // adapter's A is drawn from a stream derived from seed.
  LoraOptions lora;
  // Written after every epoch (temporary name + rename); empty = none.
  std::string checkpoint_path;
  // Continue from checkpoint_path (which must exist).  Every option that
  // changes the result (configuration, data, initial parameters, seed, batch
  // size, threads, epochs, steps per epoch, ...) must equal the checkpoint's;
  // any difference is Error(InvalidArgument) naming it.
  bool resume = false;
  ProgressCallback progress;
  int64_t progress_interval_steps = 0;  // also report every N steps (0 = only after epochs)
};

struct TrainResult {
  int64_t epochs_run = 0;
  int64_t steps = 0;
  int64_t best_epoch = 0;      // epoch of the kept parameters (the last one without validation)
  double best_val_loss = 0.0;  // NaN without validation
  std::vector<double> train_losses;  // per epoch
  std::vector<double> val_losses;    // per epoch (empty without validation)
  bool stopped_early = false;
  bool cancelled = false;
  int64_t resumed_epochs = 0;  // epochs restored from the checkpoint (options.resume)
  double seconds = 0.0;
};

// Trains params in place; on return they hold the best checkpoint (lowest
// validation loss; the last parameters without validation; the best so far
// when cancelled).  With options.lora.rank > 0, params are left bit for bit
// as they were and *adapter_out (required) receives the adapter chosen by
// the same rule.  A resumed run's TrainResult covers the whole run (epochs,
// steps and losses before the interruption included), except `seconds`.
// Errors: bad options (InvalidArgument), no window to train on
// (SeriesTooShort), a non-finite loss or gradient norm (Diverged, naming the
// step), a RevIN gain trained to zero or below (Diverged; not checked for a
// LoRA run, whose adapters leave it alone), a checkpoint that cannot be written or read (Io), a damaged one
// (CorruptModel), one from other settings (InvalidArgument).
TrainResult train_model(Parameters& params, const Dataset& data, const TrainOptions& options,
                        LoraAdapter* adapter_out = nullptr);

// Weighted mean loss of params on the given windows (a validation pass),
// batches of batch_size split over threads.
double evaluate_loss(const Parameters& params, const Dataset& data,
                     const std::vector<Window>& windows, const TrainOptions& options);

}  // namespace invforecast::train
