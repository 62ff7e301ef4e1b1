#include "train/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <utility>

#include "error.hpp"
#include "core/thread_pool.hpp"
#include "model/features.hpp"
#include "train/checkpoint.hpp"
#include "train/run_progress.hpp"
#include "train/trainable_encoder.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::train {

namespace {

// One thread's encoder, gradients and batch buffers.
struct Worker {
  Worker(const ModelConfig& config, const std::vector<FeatureSpec>& features,
         const kernels::Backend& backend)
      : encoder(config, backend, features), grads(config, features), features(config, features) {}
  TrainableEncoder<float> encoder;
  Parameters grads;
  FeatureEncoder features;
  CovariateArrays covariates;
  std::vector<float> context, targets, d_predictions;
  std::vector<double> weights;
  double loss_sum = 0.0;
};

// Forward (and backward when `backward`) of windows [begin, end) of `batch`
// on one worker; loss_sum gets sum_s w_s l_s, grads d(sum)/d(params) * grad_scale.
void process_share(Worker& wk, const Parameters& params, const SeriesInputs& inputs,
                   const WindowOptions& wo, const std::vector<Window>& batch, int64_t begin,
                   int64_t end, const TrainOptions& options, double grad_scale, bool backward) {
  wk.loss_sum = 0.0;
  const int64_t n = end - begin;
  if (n <= 0) {
    if (backward) wk.grads.set_zero();
    return;
  }
  const ModelConfig& c = params.config();
  const int64_t L = c.context_length, H = c.horizon;
  wk.context.resize(static_cast<size_t>(n * L));
  wk.targets.resize(static_cast<size_t>(n * H));
  wk.weights.resize(static_cast<size_t>(n));
  const bool covariates = !wk.features.layout().empty();
  if (covariates) wk.covariates.resize(wk.features.sizes(), n);
  for (int64_t i = 0; i < n; ++i) {
    const Window& w = batch[static_cast<size_t>(begin + i)];
    fill_window(inputs, wo, w, wk.context.data() + i * L, wk.targets.data() + i * H);
    if (covariates) wk.features.encode(window_input(inputs, wo, w), i, wk.covariates);
    wk.weights[static_cast<size_t>(i)] =
        options.loss_weights.empty() ? 1.0 : options.loss_weights[w.series];
  }
  const layers::CovariateBatch<float> arrays = wk.covariates.batch();
  wk.encoder.forward(params, wk.context.data(), n, covariates ? &arrays : nullptr);
  if (backward) wk.d_predictions.resize(wk.encoder.predictions().size());
  wk.loss_sum = wk.encoder.loss_sum(options.loss, wk.targets.data(), wk.weights.data(), grad_scale,
                                    backward ? wk.d_predictions.data() : nullptr);
  if (backward) wk.encoder.backward(params, wk.d_predictions.data(), wk.grads);
}

double batch_weight(const std::vector<Window>& batch, const TrainOptions& options) {
  double total = 0.0;
  for (const Window& w : batch)
    total += options.loss_weights.empty() ? 1.0 : options.loss_weights[w.series];
  return total;
}

void check_options(const TrainOptions& o, const Dataset& data) {
  if (o.epochs < 1 || o.steps_per_epoch < 1 || o.batch_size < 1 || o.threads < 1)
    fail(ErrorCode::InvalidArgument,
         "train: epochs {}, steps_per_epoch {}, batch_size {} and threads {} must all be >= 1",
         o.epochs, o.steps_per_epoch, o.batch_size, o.threads);
  if (!(o.learning_rate > 0.0) || !(o.min_learning_rate >= 0.0) ||
      !(o.min_learning_rate <= o.learning_rate))
    fail(ErrorCode::InvalidArgument,
         "train: need learning_rate > 0 and 0 <= min_learning_rate <= learning_rate, got {} and {}",
         o.learning_rate, o.min_learning_rate);
  if (o.patience < 0 || o.holdout_days < -1 || o.progress_interval_steps < 0)
    fail(ErrorCode::InvalidArgument,
         "train: patience {}, holdout_days {} or progress_interval_steps {} out of range",
         o.patience, o.holdout_days, o.progress_interval_steps);
  if (!o.loss_weights.empty() && o.loss_weights.size() != data.series.size())
    fail(ErrorCode::InvalidArgument, "train: {} loss weights for {} series", o.loss_weights.size(),
         data.series.size());
  for (double w : o.loss_weights)
    if (!(w >= 0.0) || !std::isfinite(w))
      fail(ErrorCode::InvalidArgument, "train: loss weight {} must be finite and >= 0", w);
}

std::vector<bool> frozen_tensors(const Parameters& params, const TrainOptions& options) {
  std::vector<bool> frozen(params.size(), !options.trainable_prefixes.empty());
  for (size_t t = 0; t < params.size(); ++t)
    for (const std::string& prefix : options.trainable_prefixes)
      if (params.specs()[t].name.starts_with(prefix)) frozen[t] = false;
  if (std::find(frozen.begin(), frozen.end(), false) == frozen.end())
    fail(ErrorCode::InvalidArgument, "train: no tensor name starts with a trainable prefix");
  return frozen;
}

std::vector<double> sampling_weights(const Dataset& data, SampleWeighting weighting) {
  switch (weighting) {
    case SampleWeighting::Uniform: break;
    case SampleWeighting::Volume: return volume_weights(data);
    case SampleWeighting::Revenue: return revenue_weights(data);
  }
  return {};
}

WindowOptions window_options(const ModelConfig& c, const TrainOptions& o) {
  return WindowOptions{c.context_length, c.horizon, o.min_history,
                       o.holdout_days < 0 ? c.horizon : o.holdout_days};
}

std::vector<Worker> make_workers(const Parameters& params, const TrainOptions& options) {
  std::vector<Worker> workers;
  workers.reserve(static_cast<size_t>(options.threads));
  for (int i = 0; i < options.threads; ++i)
    workers.emplace_back(params.config(), params.features(), kernels::backend_of(options.backend));
  return workers;
}

double evaluate_with(ThreadPool& pool, std::vector<Worker>& workers, const Parameters& params,
                     const SeriesInputs& inputs, const std::vector<Window>& windows,
                     const TrainOptions& options) {
  const WindowOptions wo = window_options(params.config(), options);
  double loss = 0.0, weight = 0.0;
  for (size_t first = 0; first < windows.size(); first += static_cast<size_t>(options.batch_size)) {
    const size_t last = std::min(windows.size(), first + static_cast<size_t>(options.batch_size));
    const std::vector<Window> batch(windows.begin() + static_cast<std::ptrdiff_t>(first),
                                    windows.begin() + static_cast<std::ptrdiff_t>(last));
    pool.run_shares(workers, static_cast<int64_t>(batch.size()),
               [&](Worker& wk, int64_t b, int64_t e) {
                 process_share(wk, params, inputs, wo, batch, b, e, options, 0.0, false);
               });
    for (const Worker& wk : workers) loss += wk.loss_sum;
    weight += batch_weight(batch, options);
  }
  if (!(weight > 0.0))
    fail(ErrorCode::InvalidArgument, "train: the validation windows have total weight 0");
  return loss / weight;
}

// What the optimiser updates for a LoRA fine-tune: each adapted weight's A
// and B, decayed like the weights they adapt.
std::vector<AdamWTensor> adapter_tensors(const LoraAdapter& adapter) {
  std::vector<AdamWTensor> tensors;
  for (const LoraTensor& t : adapter.tensors) {
    tensors.push_back(AdamWTensor{t.target + ".lora_a", t.a.size(), true, false});
    tensors.push_back(AdamWTensor{t.target + ".lora_b", t.b.size(), true, false});
  }
  return tensors;
}

std::vector<std::span<float>> adapter_spans(LoraAdapter& adapter) {
  std::vector<std::span<float>> spans;
  for (LoraTensor& t : adapter.tensors) {
    spans.emplace_back(t.a);
    spans.emplace_back(t.b);
  }
  return spans;
}

// What a run changes as it goes besides the parameters themselves: what a
// checkpoint stores (with them) and a resumed run restores.
struct RunState {
  RunState(uint64_t seed, AdamW optimizer) : random(seed), optimizer(std::move(optimizer)) {}
  TrainResult result;
  Random random;
  AdamW optimizer;
  Parameters best;                    // full or head-only training
  LoraAdapter adapter, best_adapter;  // LoRA: the trained adapter and the best one
  int64_t epochs_without_gain = 0;
  double last_val = std::numeric_limits<double>::quiet_NaN();
};

void save_checkpoint(const std::string& path, const Fingerprint& fingerprint, const RunState& state,
                     const Parameters& params, bool lora) {
  TrainCheckpoint c;
  c.fingerprint = fingerprint;
  store_position(c, state.result, state.random, state.epochs_without_gain, state.last_val);
  c.optimizer = state.optimizer.state();
  if (lora) {
    c.adapter = state.adapter;
    c.best_adapter = state.best_adapter;
  } else {
    store_parameters(c, params, state.best);
  }
  write_checkpoint_file(path, c);
}

// Restores state (and params, unless LoRA) from the checkpoint at path,
// written by a run with the same fingerprint.
void resume_from(const std::string& path, const Fingerprint& fingerprint, RunState& state,
                 Parameters& params, bool lora) {
  TrainCheckpoint c = read_checkpoint_file(path);
  check_fingerprint(path, c.fingerprint, fingerprint);
  if (lora != c.adapter.has_value())
    fail(ErrorCode::CorruptModel, "checkpoint '{}': holds {} for a {} run", path,
         lora ? "parameters" : "an adapter", lora ? "LoRA" : "parameter");
  if (lora) {
    state.adapter = std::move(*c.adapter);
    state.best_adapter = std::move(*c.best_adapter);
    check_adapter_matches(params, state.adapter);
    check_adapter_matches(params, state.best_adapter);
  } else {
    restore_parameters(path, c.tensors, params, state.best);
  }
  state.optimizer.restore(std::move(c.optimizer));
  restore_position(c, state.result, state.random, state.epochs_without_gain, state.last_val);
}

}  // namespace

double evaluate_loss(const Parameters& params, const Dataset& data,
                     const std::vector<Window>& windows, const TrainOptions& options) {
  check_options(options, data);
  std::vector<Worker> workers = make_workers(params, options);
  ThreadPool& pool = ThreadPool::shared();
  return evaluate_with(pool, workers, params, SeriesInputs(data), windows, options);
}

TrainResult train_model(Parameters& params, const Dataset& data, const TrainOptions& options,
                        LoraAdapter* adapter_out) {
  check_options(options, data);
  const bool lora = options.lora.rank > 0;
  if (options.lora.rank < 0)
    fail(ErrorCode::InvalidArgument, "train: LoRA rank {} must be >= 0 (0 = off)",
         options.lora.rank);
  if (lora && adapter_out == nullptr)
    fail(ErrorCode::InvalidArgument, "train: a LoRA fine-tune needs an adapter to return");
  if (lora && !options.trainable_prefixes.empty())
    fail(ErrorCode::InvalidArgument,
         "train: LoRA trains the adapter alone; trainable_prefixes must be empty");
  if (options.resume && options.checkpoint_path.empty())
    fail(ErrorCode::InvalidArgument, "train: resume needs a checkpoint path");
  const auto start = ProgressReporter::Clock::now();
  const ModelConfig& config = params.config();
  const WindowOptions wo = window_options(config, options);
  const SeriesInputs inputs(data);
  const WindowSampler sampler(data, wo, sampling_weights(data, options.sampling));
  const std::vector<Window> validation =
      wo.holdout_days > 0 ? holdout_windows(data, wo) : std::vector<Window>{};
  const bool validate = !validation.empty();
  const bool checkpoints = !options.checkpoint_path.empty();
  const Fingerprint fingerprint =
      checkpoints ? run_fingerprint(params, data, options) : Fingerprint{};

  std::vector<Worker> workers = make_workers(params, options);
  ThreadPool& pool = ThreadPool::shared();
  Parameters grads(config, params.features());
  const int64_t total_steps = options.epochs * options.steps_per_epoch;
  const LrSchedule schedule{options.learning_rate, options.min_learning_rate,
                            options.warmup_steps < 0 ? total_steps / 20 : options.warmup_steps,
                            total_steps};

  // The trained tensors: params themselves (some of them frozen), or an
  // adapter over them; then `merged` holds base + adapter, the weights the
  // forward pass runs on.
  constexpr uint64_t kLoraSeedSalt = 0x4c6f5241;  // "LoRA": A's stream differs from the windows'
  LoraAdapter initial_adapter;
  std::vector<bool> frozen;
  if (lora)
    initial_adapter = init_adapter(params, options.lora, options.seed ^ kLoraSeedSalt);
  else
    frozen = frozen_tensors(params, options);
  RunState state(options.seed, lora ? AdamW(adapter_tensors(initial_adapter), options.adamw)
                                    : AdamW(params, options.adamw, frozen));
  TrainResult& result = state.result;
  LoraAdapter& adapter = state.adapter;
  Parameters merged;
  if (lora) {
    adapter = std::move(initial_adapter);
    state.best_adapter = adapter;
    merged = params;
  } else {
    state.best = params;
  }
  const Parameters& model = lora ? merged : params;
  std::vector<std::vector<float>> adapter_grads;
  result.best_val_loss =
      validate ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();

  if (options.resume) {
    resume_from(options.checkpoint_path, fingerprint, state, params, lora);
    // A run cancelled at an epoch's report had not yet applied early stopping.
    if (out_of_patience(validate, options.patience, state.epochs_without_gain))
      result.stopped_early = true;
  } else if (checkpoints) {
    // A fresh run writes its starting point at once, so that a path that cannot be written
    // fails before any work (and a run cancelled in its first epoch can still be resumed).
    save_checkpoint(options.checkpoint_path, fingerprint, state, params, lora);
  }

  const ProgressReporter reporter(options.progress, options.epochs, total_steps,
                                  options.batch_size, result.steps, start);
  auto report = [&](int64_t epoch, double train_loss, bool epoch_end) {
    return reporter.report(result, epoch, train_loss, state.last_val, epoch_end);
  };

  std::vector<Window> batch(static_cast<size_t>(options.batch_size));
  for (int64_t epoch = result.epochs_run + 1; epoch <= options.epochs && !result.stopped_early;
       ++epoch) {
    double epoch_loss = 0.0;
    for (int64_t s = 0; s < options.steps_per_epoch; ++s) {
      for (Window& w : batch) w = sampler.sample(state.random);
      const double weight = batch_weight(batch, options);
      // A batch whose windows all weigh 0 teaches nothing: count it, skip the update.
      if (weight > 0.0) {
        if (lora) apply_adapter(params, adapter, merged);
        pool.run_shares(workers, options.batch_size, [&](Worker& wk, int64_t b, int64_t e) {
          process_share(wk, model, inputs, wo, batch, b, e, options, 1.0 / weight, true);
        });
        double loss = 0.0;
        for (const Worker& wk : workers) loss += wk.loss_sum;
        loss /= weight;
        check_finite_step("train", "loss", loss, result.steps + 1);
        // Share 0's buffers become the sum (no copy); its next backward
        // overwrites every tensor of what it gets back.
        std::swap(grads, workers[0].grads);
        for (size_t w = 1; w < workers.size(); ++w) add_gradients(grads, workers[w].grads);
        if (lora) {
          adapter_gradients(adapter, grads, adapter_grads);
          const std::vector<std::span<float>> g(adapter_grads.begin(), adapter_grads.end());
          check_finite_step("train", "gradient norm", clip_grad_norm(g, options.clip_norm),
                            result.steps + 1);
          const std::vector<std::span<const float>> const_g(g.begin(), g.end());
          state.optimizer.step(adapter_spans(adapter), const_g, schedule.at(result.steps));
        } else {
          for (size_t t = 0; t < grads.size(); ++t)
            if (frozen[t]) std::fill(grads.values(t).begin(), grads.values(t).end(), 0.0f);
          check_finite_step("train", "gradient norm", clip_grad_norm(grads, options.clip_norm),
                            result.steps + 1);
          state.optimizer.step(params, grads, schedule.at(result.steps));
        }
        epoch_loss += loss;
      }
      ++result.steps;
      if (ProgressReporter::interval_due(options.progress_interval_steps, result.steps) &&
          !report(epoch, epoch_loss / static_cast<double>(s + 1), false)) {
        result.cancelled = true;
        break;
      }
    }
    if (result.cancelled) break;
    result.epochs_run = epoch;
    result.train_losses.push_back(epoch_loss / static_cast<double>(options.steps_per_epoch));
    if (validate) {
      if (lora) apply_adapter(params, adapter, merged);
      state.last_val = evaluate_with(pool, workers, model, inputs, validation, options);
      if (record_validation(result, epoch, state.last_val, state.epochs_without_gain)) {
        if (lora)
          state.best_adapter = adapter;
        else
          state.best = params;
      }
    } else {
      result.best_epoch = epoch;
    }
    // Before the report, so that a run cancelled there resumes from this epoch.
    if (checkpoints) save_checkpoint(options.checkpoint_path, fingerprint, state, params, lora);
    if (!report(epoch, result.train_losses.back(), true)) {
      result.cancelled = true;
      break;
    }
    if (out_of_patience(validate, options.patience, state.epochs_without_gain))
      result.stopped_early = true;
  }
  // Keep the best checkpoint (when there is one: validation, and at least one epoch validated).
  const bool keep_best = validate && result.best_epoch > 0;
  if (lora)
    *adapter_out = keep_best ? std::move(state.best_adapter) : std::move(adapter);
  else if (keep_best)
    params = std::move(state.best);
  if (!lora) check_revin_gain("train", params);
  result.seconds = reporter.seconds();
  return std::move(result);
}

}  // namespace invforecast::train
