#include "train/pretrain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "error.hpp"
#include "core/thread_pool.hpp"
#include "reference.hpp"
#include "train/checkpoint.hpp"
#include "train/optimizer.hpp"
#include "train/run_progress.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::train {

namespace kern = invforecast::kernels;

namespace {

// Stream constants that separate the run's generators drawn from one seed.
constexpr uint64_t kHeadSeedStream = 0x5245434f4e484541ull;
constexpr uint64_t kValidationMaskStream = 0x56414c49444d534bull;

// The reconstruction head as the optimiser's tensors: the weight matrix
// decays, the bias not (optimizer.hpp's rule for a model's tensors).
std::vector<AdamWTensor> head_tensors(const ReconstructionHead<float>& head) {
  return {AdamWTensor{"reconstruction.weight", head.weight.size(), true, false},
          AdamWTensor{"reconstruction.bias", head.bias.size(), false, false}};
}

void check_options(const PretrainOptions& options, const Dataset& data) {
  const TrainOptions& o = options.train;
  if (o.epochs < 1 || o.steps_per_epoch < 1 || o.batch_size < 1 || o.threads < 1)
    fail(ErrorCode::InvalidArgument,
         "pretrain: epochs {}, steps_per_epoch {}, batch_size {} and threads {} must all be >= 1",
         o.epochs, o.steps_per_epoch, o.batch_size, o.threads);
  if (!(o.learning_rate > 0.0) || !(o.min_learning_rate >= 0.0) ||
      !(o.min_learning_rate <= o.learning_rate))
    fail(ErrorCode::InvalidArgument,
         "pretrain: need learning_rate > 0 and 0 <= min_learning_rate <= learning_rate, got {} "
         "and {}",
         o.learning_rate, o.min_learning_rate);
  if (o.patience < 0 || o.holdout_days < -1 || o.progress_interval_steps < 0)
    fail(ErrorCode::InvalidArgument,
         "pretrain: patience {}, holdout_days {} or progress_interval_steps {} out of range",
         o.patience, o.holdout_days, o.progress_interval_steps);
  if (!(options.mask_ratio > 0.0 && options.mask_ratio < 1.0))
    fail(ErrorCode::InvalidArgument, "pretrain: mask_ratio must be in (0, 1), got {}",
         options.mask_ratio);
  if (!o.trainable_prefixes.empty() || o.lora.rank != 0)
    fail(ErrorCode::InvalidArgument,
         "pretrain: trainable_prefixes and LoRA do not apply (pre-training trains the whole body)");
  if (o.resume && o.checkpoint_path.empty())
    fail(ErrorCode::InvalidArgument, "pretrain: resume needs a checkpoint path");
  if (!o.loss_weights.empty() && o.loss_weights.size() != data.series.size())
    fail(ErrorCode::InvalidArgument, "pretrain: {} loss weights for {} series",
         o.loss_weights.size(), data.series.size());
  for (double w : o.loss_weights)
    if (!(w >= 0.0) || !std::isfinite(w))
      fail(ErrorCode::InvalidArgument, "pretrain: loss weight {} must be finite and >= 0", w);
}

std::vector<double> sampling_weights(const Dataset& data, SampleWeighting weighting) {
  switch (weighting) {
    case SampleWeighting::Uniform: break;
    case SampleWeighting::Volume: return volume_weights(data);
    case SampleWeighting::Revenue: return revenue_weights(data);
  }
  return {};
}

// One thread's pass, gradients and batch buffers.
struct Worker {
  Worker(const ModelConfig& config, const kern::Backend& backend,
         const ReconstructionHead<float>& head)
      : pass(config, backend), grads(config), head_grads(head) {}
  MaskedReconstruction<float> pass;
  Parameters grads;
  ReconstructionHead<float> head_grads;
  std::vector<float> context;
  std::vector<double> weights;
  double loss_sum = 0.0;
};

// A batch: windows and their masks [windows, tokens].
struct Batch {
  std::vector<Window> windows;
  std::vector<uint8_t> masks;
};

// The run's fixed state, shared read-only by the shares.
struct Run {
  const SeriesInputs& inputs;
  const PretrainOptions& options;
  WindowOptions windows;
  int64_t tokens = 0;
};

double window_weight(const Run& run, const Window& w) {
  return run.options.train.loss_weights.empty() ? 1.0 : run.options.train.loss_weights[w.series];
}

double batch_weight(const Run& run, const Batch& batch, size_t begin, size_t end) {
  double total = 0.0;
  for (size_t i = begin; i < end; ++i) total += window_weight(run, batch.windows[i]);
  return total;
}

// Windows [begin, end) of batch on one worker: loss_sum = sum_s w_s l_s and,
// when backward, the gradients of grad_scale x that sum.
void process_share(Worker& wk, const Run& run, const Parameters& params,
                   const ReconstructionHead<float>& head, const Batch& batch, int64_t begin,
                   int64_t end, double grad_scale, bool backward) {
  wk.loss_sum = 0.0;
  const int64_t n = end - begin;
  if (n <= 0) {
    if (backward) {
      wk.grads.set_zero();
      std::fill(wk.head_grads.weight.begin(), wk.head_grads.weight.end(), 0.0f);
      std::fill(wk.head_grads.bias.begin(), wk.head_grads.bias.end(), 0.0f);
    }
    return;
  }
  const int64_t L = run.windows.context_length;
  wk.context.resize(static_cast<size_t>(n * L));
  wk.weights.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const Window& w = batch.windows[static_cast<size_t>(begin + i)];
    fill_window(run.inputs, run.windows, w, wk.context.data() + i * L, nullptr);
    wk.weights[static_cast<size_t>(i)] = window_weight(run, w);
  }
  wk.loss_sum =
      wk.pass.run(params, head, wk.context.data(), batch.masks.data() + begin * run.tokens, n,
                  wk.weights.data(), grad_scale, backward ? &wk.grads : nullptr,
                  backward ? &wk.head_grads : nullptr);
}

double evaluate(ThreadPool& pool, std::vector<Worker>& workers, const Run& run,
                const Parameters& params, const ReconstructionHead<float>& head,
                const Batch& validation) {
  const auto batch_size = static_cast<size_t>(run.options.train.batch_size);
  const auto N = static_cast<size_t>(run.tokens);
  double loss = 0.0;
  for (size_t first = 0; first < validation.windows.size(); first += batch_size) {
    const size_t last = std::min(validation.windows.size(), first + batch_size);
    const Batch part{{validation.windows.begin() + static_cast<std::ptrdiff_t>(first),
                      validation.windows.begin() + static_cast<std::ptrdiff_t>(last)},
                     {validation.masks.begin() + static_cast<std::ptrdiff_t>(first * N),
                      validation.masks.begin() + static_cast<std::ptrdiff_t>(last * N)}};
    pool.run_shares(workers, static_cast<int64_t>(last - first),
               [&](Worker& wk, int64_t b, int64_t e) {
                 process_share(wk, run, params, head, part, b, e, 0.0, false);
               });
    for (const Worker& wk : workers) loss += wk.loss_sum;
  }
  const double weight = batch_weight(run, validation, 0, validation.windows.size());
  if (!(weight > 0.0))
    fail(ErrorCode::InvalidArgument, "pretrain: the validation windows have total weight 0");
  return loss / weight;
}

// What a pre-training run changes as it goes besides the body's parameters:
// what a checkpoint stores (with them) and a resumed run restores.
struct RunState {
  RunState(const Parameters& params, const std::vector<bool>& frozen,
           ReconstructionHead<float> initial_head, const TrainOptions& o)
      : random(o.seed),
        best(params),
        head(std::move(initial_head)),
        optimizer(params, o.adamw, frozen),
        head_optimizer(head_tensors(head), o.adamw) {}
  TrainResult result;
  Random random;
  Parameters best;
  ReconstructionHead<float> head;
  AdamW optimizer, head_optimizer;
  int64_t epochs_without_gain = 0;
  double last_val = std::numeric_limits<double>::quiet_NaN();
};

// The forecasting run's fingerprint (the same options matter) and what only pre-training has.
Fingerprint pretrain_fingerprint(const Parameters& initial, const Dataset& data,
                                 const PretrainOptions& options) {
  Fingerprint fingerprint = run_fingerprint(initial, data, options.train);
  fingerprint.emplace_back("objective", "masked_patch");
  fingerprint.emplace_back("mask_ratio", fmt::format("{}", options.mask_ratio));
  return fingerprint;
}

// checkpoint.hpp's layout for pre-training: the head follows the model's
// tensors, its optimiser's moments follow the model's optimiser's.
void save_checkpoint(const std::string& path, const Fingerprint& fingerprint, const RunState& state,
                     const Parameters& params) {
  TrainCheckpoint c;
  c.fingerprint = fingerprint;
  store_position(c, state.result, state.random, state.epochs_without_gain, state.last_val);
  c.optimizer = state.optimizer.state();
  const AdamWState& head_moments = state.head_optimizer.state();
  c.optimizer.m.insert(c.optimizer.m.end(), head_moments.m.begin(), head_moments.m.end());
  c.optimizer.v.insert(c.optimizer.v.end(), head_moments.v.begin(), head_moments.v.end());
  store_parameters(c, params, state.best);
  const std::vector<AdamWTensor>& head = state.head_optimizer.tensors();
  c.tensors.push_back({head[0].name, state.head.weight, state.head.weight});
  c.tensors.push_back({head[1].name, state.head.bias, state.head.bias});
  write_checkpoint_file(path, c);
}

// Restores state and params from the checkpoint at path, written by a run
// with the same fingerprint.
void resume_from(const std::string& path, const Fingerprint& fingerprint, RunState& state,
                 Parameters& params) {
  TrainCheckpoint c = read_checkpoint_file(path);
  check_fingerprint(path, c.fingerprint, fingerprint);
  const size_t body = params.size();
  const std::vector<AdamWTensor>& head = state.head_optimizer.tensors();
  if (c.adapter.has_value() || c.tensors.size() != body + head.size() ||
      c.optimizer.m.size() != body + head.size())
    fail(ErrorCode::CorruptModel,
         "checkpoint '{}': {} tensors and {} optimiser tensors, a pre-training run of this model "
         "has {} of each (the model's and its reconstruction head's)",
         path, c.tensors.size(), c.optimizer.m.size(), body + head.size());
  for (size_t i = 0; i < head.size(); ++i) {
    const CheckpointTensor& saved = c.tensors[body + i];
    if (saved.name != head[i].name || saved.current.size() != head[i].size)
      fail(ErrorCode::CorruptModel,
           "checkpoint '{}': tensor {} is '{}' of {} values, expected '{}' of {}", path, body + i,
           saved.name, saved.current.size(), head[i].name, head[i].size);
  }
  state.head.weight = std::move(c.tensors[body].current);
  state.head.bias = std::move(c.tensors[body + 1].current);
  restore_parameters(path, std::span(c.tensors).first(body), params, state.best);
  AdamWState head_moments{c.optimizer.steps, {}, {}};
  for (size_t i = body; i < body + head.size(); ++i) {
    head_moments.m.push_back(std::move(c.optimizer.m[i]));
    head_moments.v.push_back(std::move(c.optimizer.v[i]));
  }
  c.optimizer.m.resize(body);
  c.optimizer.v.resize(body);
  state.optimizer.restore(std::move(c.optimizer));
  state.head_optimizer.restore(std::move(head_moments));
  restore_position(c, state.result, state.random, state.epochs_without_gain, state.last_val);
}

}  // namespace

int64_t masked_token_count(int64_t tokens, double mask_ratio) {
  const auto wanted = static_cast<int64_t>(std::llround(mask_ratio * static_cast<double>(tokens)));
  return std::clamp<int64_t>(wanted, 1, std::max<int64_t>(1, tokens - 1));
}

void draw_token_mask(Random& random, int64_t tokens, int64_t masked, uint8_t* mask) {
  if (masked < 0 || masked > tokens)
    fail(ErrorCode::InvalidArgument, "pretrain: cannot mask {} of {} tokens", masked, tokens);
  // order[0, masked) ends as a uniform sample without replacement.
  std::vector<int64_t> order(static_cast<size_t>(tokens));
  for (int64_t t = 0; t < tokens; ++t) order[static_cast<size_t>(t)] = t;
  for (int64_t i = 0; i < masked; ++i) {
    const auto j = i + static_cast<int64_t>(random.below(static_cast<uint64_t>(tokens - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  std::fill(mask, mask + tokens, uint8_t{0});
  for (int64_t i = 0; i < masked; ++i) mask[order[static_cast<size_t>(i)]] = 1;
}

ReconstructionHead<float> initialize_reconstruction_head(const ModelConfig& config, uint64_t seed) {
  validate_config(config);
  ReconstructionHead<float> head;
  head.weight.resize(static_cast<size_t>(config.patch_length * config.d_model));
  head.bias.assign(static_cast<size_t>(config.patch_length), 0.0f);
  Random random(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(config.d_model));
  for (float& w : head.weight) w = static_cast<float>(random.uniform(-bound, bound));
  return head;
}

template <class T>
MaskedReconstruction<T>::MaskedReconstruction(const ModelConfig& config,
                                              const kern::Backend& backend)
    : encoder_(config, backend) {}

template <class T>
double MaskedReconstruction<T>::run(const ParameterSet<T>& params,
                                    const ReconstructionHead<T>& head, const T* context,
                                    const uint8_t* token_mask, int64_t batch, const double* weights,
                                    double grad_scale, ParameterSet<T>* grads,
                                    ReconstructionHead<T>* head_grads) {
  const ModelConfig& c = encoder_.config();
  const int64_t N = c.num_tokens(), P = c.patch_length, D = c.d_model;
  if (!token_mask) fail(ErrorCode::NullPointer, "pretrain: token_mask is null");
  if (head.weight.size() != static_cast<size_t>(P * D) ||
      head.bias.size() != static_cast<size_t>(P))
    fail(ErrorCode::InvalidArgument,
         "pretrain: the reconstruction head holds {} + {} values, the model needs {} + {}",
         head.weight.size(), head.bias.size(), P * D, P);
  if (grads && !head_grads) fail(ErrorCode::NullPointer, "pretrain: head_grads is null");
  encoder_.forward_tokens(params, context, batch, token_mask);

  // Masked token rows, and each series' share of the loss: w_s / (masked values of s).
  rows_.clear();
  value_share_.resize(static_cast<size_t>(batch));
  for (int64_t s = 0; s < batch; ++s) {
    const size_t before = rows_.size();
    for (int64_t t = 0; t < N; ++t)
      if (token_mask[s * N + t]) rows_.push_back(s * N + t);
    const auto masked = static_cast<int64_t>(rows_.size() - before);
    if (masked == 0)
      fail(ErrorCode::InvalidArgument, "pretrain: series {} of the batch has no masked token", s);
    const double w = weights ? weights[s] : 1.0;
    if (!(w >= 0.0) || !std::isfinite(w))
      fail(ErrorCode::InvalidArgument, "pretrain: weight of series {} is {}", s, w);
    value_share_[static_cast<size_t>(s)] = w / static_cast<double>(masked * P);
  }
  const auto M = static_cast<int64_t>(rows_.size());
  targets_.resize(static_cast<size_t>(batch * N * P));
  encoder_.normalized_patches(targets_.data());
  const std::span<const T> tokens = encoder_.token_outputs();
  gathered_.resize(static_cast<size_t>(M * D));
  for (int64_t r = 0; r < M; ++r)
    std::copy_n(tokens.begin() + rows_[static_cast<size_t>(r)] * D, D, gathered_.begin() + r * D);
  predictions_.resize(static_cast<size_t>(M * P));
  // The reconstruction head and its loss run on host arrays, as the forecasting loss does
  // (trainable_encoder.hpp: the host backends let the tokens be read in place).
  kern::linear_forward(encoder_.context(), gathered_.data(), head.weight.data(), head.bias.data(),
                       predictions_.data(), M, D, P);

  double loss = 0.0;
  d_predictions_.resize(predictions_.size());
  for (int64_t r = 0; r < M; ++r) {
    const int64_t row = rows_[static_cast<size_t>(r)];
    const double share = value_share_[static_cast<size_t>(row / N)];
    for (int64_t p = 0; p < P; ++p) {
      const double diff = static_cast<double>(predictions_[static_cast<size_t>(r * P + p)]) -
                          static_cast<double>(targets_[static_cast<size_t>(row * P + p)]);
      loss += share * diff * diff;
      d_predictions_[static_cast<size_t>(r * P + p)] =
          static_cast<T>(grad_scale * share * 2.0 * diff);
    }
  }
  if (!grads) return loss;

  head_grads->weight.resize(head.weight.size());
  head_grads->bias.resize(head.bias.size());
  d_gathered_.resize(gathered_.size());
  kern::linear_backward(encoder_.context(), gathered_.data(), head.weight.data(),
                        d_predictions_.data(), d_gathered_.data(), head_grads->weight.data(),
                        head_grads->bias.data(), M, D, P);
  d_tokens_.assign(tokens.size(), T(0));
  for (int64_t r = 0; r < M; ++r)
    std::copy_n(d_gathered_.begin() + r * D, D,
                d_tokens_.begin() + rows_[static_cast<size_t>(r)] * D);
  encoder_.backward_tokens(params, d_tokens_.data(), *grads);
  return loss;
}

template class MaskedReconstruction<float>;
template class MaskedReconstruction<double>;

TrainResult pretrain_model(Parameters& params, const Dataset& data,
                           const PretrainOptions& options) {
  check_options(options, data);
  const TrainOptions& o = options.train;
  const auto start = ProgressReporter::Clock::now();
  const ModelConfig& config = params.config();
  const SeriesInputs inputs(data);
  const Run run{inputs, options,
                WindowOptions{config.context_length, config.horizon, o.min_history,
                              o.holdout_days < 0 ? config.horizon : o.holdout_days},
                config.num_tokens()};
  const int64_t N = run.tokens, masked = masked_token_count(N, options.mask_ratio);
  const WindowSampler sampler(data, run.windows, sampling_weights(data, o.sampling));
  const bool checkpoints = !o.checkpoint_path.empty();
  const Fingerprint fingerprint =
      checkpoints ? pretrain_fingerprint(params, data, options) : Fingerprint{};

  Batch validation;
  if (run.windows.holdout_days > 0) validation.windows = holdout_windows(data, run.windows);
  validation.masks.resize(validation.windows.size() * static_cast<size_t>(N));
  Random validation_random(o.seed ^ kValidationMaskStream);
  for (size_t i = 0; i < validation.windows.size(); ++i)
    draw_token_mask(validation_random, N, masked, validation.masks.data() + i * N);
  const bool validate = !validation.windows.empty();

  // The forecast head is frozen: AdamW leaves it untouched (no decay either).
  std::vector<bool> frozen(params.size(), false);
  for (size_t t = 0; t < params.size(); ++t)
    frozen[t] = params.specs()[t].name.starts_with("head.");
  RunState state(params, frozen, initialize_reconstruction_head(config, o.seed ^ kHeadSeedStream),
                 o);
  TrainResult& result = state.result;
  ReconstructionHead<float>& head = state.head;
  std::vector<Worker> workers;
  workers.reserve(static_cast<size_t>(o.threads));
  for (int i = 0; i < o.threads; ++i) workers.emplace_back(config, kern::backend_of(o.backend), head);
  ThreadPool& pool = ThreadPool::shared();
  Parameters grads(config);
  ReconstructionHead<float> head_grads = head;

  const int64_t total_steps = o.epochs * o.steps_per_epoch;
  const LrSchedule schedule{o.learning_rate, o.min_learning_rate,
                            o.warmup_steps < 0 ? total_steps / 20 : o.warmup_steps, total_steps};
  result.best_val_loss = validate ? std::numeric_limits<double>::infinity()
                                  : std::numeric_limits<double>::quiet_NaN();

  if (o.resume) {
    resume_from(o.checkpoint_path, fingerprint, state, params);
    // A run cancelled at an epoch's report had not yet applied early stopping.
    if (out_of_patience(validate, o.patience, state.epochs_without_gain))
      result.stopped_early = true;
  } else if (checkpoints) {
    // Written at once: an unwritable path fails before any work, and a run
    // cancelled in its first epoch can be resumed.
    save_checkpoint(o.checkpoint_path, fingerprint, state, params);
  }

  Batch batch{std::vector<Window>(static_cast<size_t>(o.batch_size)),
              std::vector<uint8_t>(static_cast<size_t>(o.batch_size * N))};
  const ProgressReporter reporter(o.progress, o.epochs, total_steps, o.batch_size, result.steps,
                                  start);
  auto report = [&](int64_t epoch, double train_loss, bool epoch_end) {
    return reporter.report(result, epoch, train_loss, state.last_val, epoch_end);
  };

  for (int64_t epoch = result.epochs_run + 1; epoch <= o.epochs && !result.stopped_early;
       ++epoch) {
    double epoch_loss = 0.0;
    for (int64_t s = 0; s < o.steps_per_epoch; ++s) {
      // Windows, then their masks, from the one generator on this thread.
      for (Window& w : batch.windows) w = sampler.sample(state.random);
      for (size_t i = 0; i < batch.windows.size(); ++i)
        draw_token_mask(state.random, N, masked, batch.masks.data() + i * static_cast<size_t>(N));
      const double weight = batch_weight(run, batch, 0, batch.windows.size());
      // A batch whose windows all weigh 0 teaches nothing: count it, skip the update.
      if (weight > 0.0) {
        pool.run_shares(workers, o.batch_size, [&](Worker& wk, int64_t b, int64_t e) {
          process_share(wk, run, params, head, batch, b, e, 1.0 / weight, true);
        });
        double loss = 0.0;
        for (const Worker& wk : workers) loss += wk.loss_sum;
        loss /= weight;
        check_finite_step("pretrain", "loss", loss, result.steps + 1);
        // Summed in share order, so the result does not depend on timing.
        grads = workers[0].grads;
        head_grads = workers[0].head_grads;
        for (size_t w = 1; w < workers.size(); ++w) {
          add_gradients(grads, workers[w].grads);
          for (size_t i = 0; i < head_grads.weight.size(); ++i)
            head_grads.weight[i] += workers[w].head_grads.weight[i];
          for (size_t i = 0; i < head_grads.bias.size(); ++i)
            head_grads.bias[i] += workers[w].head_grads.bias[i];
        }
        // One global norm over the body and the reconstruction head.
        std::vector<std::span<float>> all_grads = tensor_spans(grads);
        all_grads.emplace_back(head_grads.weight);
        all_grads.emplace_back(head_grads.bias);
        check_finite_step("pretrain", "gradient norm", clip_grad_norm(all_grads, o.clip_norm),
                          result.steps + 1);
        const double lr = schedule.at(result.steps);
        state.optimizer.step(params, grads, lr);
        const std::span<float> head_values[] = {head.weight, head.bias};
        const std::span<const float> head_steps[] = {head_grads.weight, head_grads.bias};
        state.head_optimizer.step(head_values, head_steps, lr);
        epoch_loss += loss;
      }
      ++result.steps;
      if (ProgressReporter::interval_due(o.progress_interval_steps, result.steps) &&
          !report(epoch, epoch_loss / static_cast<double>(s + 1), false)) {
        result.cancelled = true;
        break;
      }
    }
    if (result.cancelled) break;
    result.epochs_run = epoch;
    result.train_losses.push_back(epoch_loss / static_cast<double>(o.steps_per_epoch));
    if (validate) {
      state.last_val = evaluate(pool, workers, run, params, head, validation);
      if (record_validation(result, epoch, state.last_val, state.epochs_without_gain))
        state.best = params;
    } else {
      result.best_epoch = epoch;
    }
    // Before the report, so that a run cancelled there resumes from this epoch.
    if (checkpoints) save_checkpoint(o.checkpoint_path, fingerprint, state, params);
    if (!report(epoch, result.train_losses.back(), true)) {
      result.cancelled = true;
      break;
    }
    if (out_of_patience(validate, o.patience, state.epochs_without_gain))
      result.stopped_early = true;
  }
  if (validate && result.best_epoch > 0) params = std::move(state.best);
  check_revin_gain("pretrain", params);
  result.seconds = reporter.seconds();
  return std::move(result);
}

}  // namespace invforecast::train
