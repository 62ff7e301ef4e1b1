// Self-supervised pre-training of the encoder body by masked patch
// reconstruction (PatchTST's self-supervised mode), the base for a later
// forecasting fine-tune (train_model starting from the pre-trained
// parameters).
//
// A window's context is normalised and cut into patches as for forecasting;
// a random subset of the tokens is masked (trainable_encoder.hpp,
// forward_tokens: the positions they cover read 0 before the patch
// embedding); the body and the final LayerNorm run; a reconstruction head, a
// linear map d_model -> patch_length of its own applied to every masked
// token's output, predicts that patch's values on the loss scale (RevIN
// statistics or the mean-absolute scale, without RevIN's affine, as the
// forecast loss).  Per window, the loss is the mean squared error over the
// values of its masked patches; the batch loss is the mean over windows
// weighted as in train_model.  The reconstruction head belongs to the run and
// is discarded; the model's forecast head (head.*) is neither read nor
// changed.
//
// Windows: the forecasting windows of train_model (WindowSampler with the
// model's horizon and the same hold-out), of which only the context is used.
// The context is always whole, and pre-training reads exactly the days a
// forecasting fine-tune with the same hold-out trains on, never the hold-out
// targets, so that fine-tune's validation stays clean.  Validation: the
// contexts of the hold-out windows (those ending where the hold-out starts),
// each with a fixed mask drawn once from the seed.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"
#include "ops.hpp"
#include "train/parameters.hpp"
#include "train/random.hpp"
#include "train/trainable_encoder.hpp"
#include "train/trainer.hpp"

namespace invforecast::train {

struct PretrainOptions {
  // The fields of TrainOptions that apply, with the same meaning: epochs,
  // steps_per_epoch, batch_size, learning_rate, min_learning_rate,
  // warmup_steps, adamw, clip_norm, seed, threads, backend, holdout_days,
  // patience, min_history, sampling, loss_weights, progress,
  // progress_interval_steps, checkpoint_path, resume.  loss is not used (the
  // loss is the masked squared error); trainable_prefixes and lora must be
  // unset (the whole body trains, the forecast head stays as it is).
  TrainOptions train;
  // Share of each window's tokens masked, in (0, 1): masked_token_count().
  double mask_ratio = 0.4;
};

// Pre-trains the body of params in place (every tensor but head.*, which is
// left bit for bit unchanged); on return params hold the best checkpoint by
// validation loss (the last parameters without validation, the best so far
// when cancelled), as train_model.  Deterministic for the same data,
// options, initial parameters, thread count and backend.  With
// train.checkpoint_path the whole run (the reconstruction head and its
// optimiser included) is written after every epoch (checkpoint.hpp), and a
// run resumed from it (train.resume) ends with the same bits as one that
// never stopped; the checkpoint's fingerprint adds the objective and
// mask_ratio to train_model's, so a forecasting checkpoint is refused here
// and this one by train_model.  Errors: bad options (InvalidArgument), no
// window (SeriesTooShort), a non-finite loss or gradient norm (Diverged,
// naming the step), a RevIN gain trained to zero or below (Diverged), a
// checkpoint that cannot be written or read (Io), a damaged one
// (CorruptModel), one from other settings or another objective
// (InvalidArgument, naming the setting).
TrainResult pretrain_model(Parameters& params, const Dataset& data, const PretrainOptions& options);

// Tokens masked per window: round(mask_ratio * tokens), at least 1 and, when
// there are two tokens or more, at most tokens - 1 (something stays visible).
int64_t masked_token_count(int64_t tokens, double mask_ratio);

// mask [tokens] gets exactly `masked` ones at positions drawn uniformly
// without replacement (a partial Fisher-Yates shuffle on random).
void draw_token_mask(Random& random, int64_t tokens, int64_t masked, uint8_t* mask);

// The reconstruction head: predictions [patch_length] = weight [patch_length,
// d_model] x token + bias.
template <class T>
struct ReconstructionHead {
  std::vector<T> weight;
  std::vector<T> bias;
};

// Weight uniform in +-1/sqrt(d_model) (nn.Linear's bound), bias 0; seeded.
ReconstructionHead<float> initialize_reconstruction_head(const ModelConfig& config, uint64_t seed);

// One thread's masked-reconstruction pass: encoder forward with the mask,
// reconstruction head and loss, and its backward.  T = double runs on the
// Reference backend only (gradient checks).  Not thread-safe.
template <class T>
class MaskedReconstruction {
 public:
  MaskedReconstruction(const ModelConfig& config, const kernels::Backend& backend);

  // context [batch, context_length] (sales scale), token_mask [batch, tokens]
  // (non-zero = masked; every series needs one, Error(InvalidArgument)
  // otherwise), weights [batch] or null (all 1).  Returns sum_s w_s l_s, l_s
  // the mean squared error over the values of series s's masked patches.
  // When grads is not null, grads and head_grads receive grad_scale x the
  // gradient of that sum (grads' head.* set to 0).
  double run(const ParameterSet<T>& params, const ReconstructionHead<T>& head, const T* context,
             const uint8_t* token_mask, int64_t batch, const double* weights, double grad_scale,
             ParameterSet<T>* grads, ReconstructionHead<T>* head_grads);

  const TrainableEncoder<T>& encoder() const { return encoder_; }

 private:
  TrainableEncoder<T> encoder_;
  std::vector<T> targets_, gathered_, predictions_, d_predictions_, d_gathered_, d_tokens_;
  std::vector<int64_t> rows_;        // masked token rows (series * tokens + token)
  std::vector<double> value_share_;  // per series: w_s / (its masked values)
};

}  // namespace invforecast::train
