#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "train/share_pool.hpp"
#include "train/trainable_encoder.hpp"
#include "train/window_sampler.hpp"

namespace invforecast::train {

namespace {

// One thread's encoder, gradients and batch buffers.
struct Worker {
  Worker(const ModelConfig& config, kernels::Backend backend)
      : encoder(config, backend), grads(config) {}
  TrainableEncoder<float> encoder;
  Parameters grads;
  std::vector<float> context, targets, normalized, d_predictions;
  std::vector<double> weights;
  double loss_sum = 0.0;
};

// Runs work(worker, begin, end) over `count` items split into contiguous
// shares, one per worker (a share may be empty).
template <class Work>
void run_shares(SharePool& pool, std::vector<Worker>& workers, int64_t count, Work&& work) {
  const auto shares = static_cast<int64_t>(workers.size());
  pool.run([&](int w) {
    work(workers[static_cast<size_t>(w)], w * count / shares, (w + 1) * count / shares);
  });
}

// Forward (and backward when `backward`) of windows [begin, end) of `batch`
// on one worker; loss_sum gets sum_s w_s l_s, grads d(sum)/d(params) * grad_scale.
void process_share(Worker& wk, const Parameters& params, const Dataset& data,
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
  wk.normalized.resize(static_cast<size_t>(n * H));
  wk.weights.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const Window& w = batch[static_cast<size_t>(begin + i)];
    fill_window(data, wo, w, wk.context.data() + i * L, wk.targets.data() + i * H);
    wk.weights[static_cast<size_t>(i)] =
        options.loss_weights.empty() ? 1.0 : options.loss_weights[w.series];
  }
  wk.encoder.forward(params, wk.context.data(), n);
  wk.encoder.normalize_targets(wk.targets.data(), wk.normalized.data());
  const LossShape shape{n, H, c.quantiles, c.median_quantile_index()};
  if (backward) wk.d_predictions.resize(wk.encoder.predictions().size());
  wk.loss_sum =
      loss_sum(options.loss, shape, wk.encoder.predictions().data(), wk.normalized.data(),
               wk.weights.data(), grad_scale, backward ? wk.d_predictions.data() : nullptr);
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

std::vector<Worker> make_workers(const ModelConfig& config, const TrainOptions& options) {
  std::vector<Worker> workers;
  workers.reserve(static_cast<size_t>(options.threads));
  for (int i = 0; i < options.threads; ++i) workers.emplace_back(config, options.backend);
  return workers;
}

double evaluate_with(SharePool& pool, std::vector<Worker>& workers, const Parameters& params,
                     const Dataset& data, const std::vector<Window>& windows,
                     const TrainOptions& options) {
  const WindowOptions wo = window_options(params.config(), options);
  double loss = 0.0, weight = 0.0;
  for (size_t first = 0; first < windows.size(); first += static_cast<size_t>(options.batch_size)) {
    const size_t last = std::min(windows.size(), first + static_cast<size_t>(options.batch_size));
    const std::vector<Window> batch(windows.begin() + static_cast<std::ptrdiff_t>(first),
                                    windows.begin() + static_cast<std::ptrdiff_t>(last));
    run_shares(pool, workers, static_cast<int64_t>(batch.size()),
               [&](Worker& wk, int64_t b, int64_t e) {
                 process_share(wk, params, data, wo, batch, b, e, options, 0.0, false);
               });
    for (const Worker& wk : workers) loss += wk.loss_sum;
    weight += batch_weight(batch, options);
  }
  if (!(weight > 0.0))
    fail(ErrorCode::InvalidArgument, "train: the validation windows have total weight 0");
  return loss / weight;
}

}  // namespace

double evaluate_loss(const Parameters& params, const Dataset& data,
                     const std::vector<Window>& windows, const TrainOptions& options) {
  check_options(options, data);
  std::vector<Worker> workers = make_workers(params.config(), options);
  SharePool pool(options.threads);
  return evaluate_with(pool, workers, params, data, windows, options);
}

TrainResult train_model(Parameters& params, const Dataset& data, const TrainOptions& options) {
  check_options(options, data);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const ModelConfig& config = params.config();
  const WindowOptions wo = window_options(config, options);
  const WindowSampler sampler(data, wo, sampling_weights(data, options.sampling));
  const std::vector<Window> validation =
      wo.holdout_days > 0 ? holdout_windows(data, wo) : std::vector<Window>{};
  const bool validate = !validation.empty();

  std::vector<Worker> workers = make_workers(config, options);
  SharePool pool(options.threads);
  Parameters grads(config);
  const int64_t total_steps = options.epochs * options.steps_per_epoch;
  const LrSchedule schedule{options.learning_rate, options.min_learning_rate,
                            options.warmup_steps < 0 ? total_steps / 20 : options.warmup_steps,
                            total_steps};
  Random random(options.seed);
  const std::vector<bool> frozen = frozen_tensors(params, options);
  AdamW optimizer(params, options.adamw, frozen);

  TrainResult result;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  result.best_val_loss = validate ? std::numeric_limits<double>::infinity() : nan;
  Parameters best = params;
  int64_t epochs_without_gain = 0;
  double last_val = nan;
  std::vector<Window> batch(static_cast<size_t>(options.batch_size));

  auto report = [&](int64_t epoch, double train_loss, bool epoch_end) {
    if (!options.progress) return true;
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    TrainProgress p;
    p.epoch = epoch;
    p.epochs = options.epochs;
    p.step = result.steps;
    p.total_steps = total_steps;
    p.train_loss = train_loss;
    p.val_loss = last_val;
    p.samples_per_second =
        seconds > 0.0 ? static_cast<double>(result.steps * options.batch_size) / seconds : 0.0;
    p.eta_seconds = result.steps > 0 ? seconds / static_cast<double>(result.steps) *
                                           static_cast<double>(total_steps - result.steps)
                                     : 0.0;
    p.epoch_end = epoch_end;
    return options.progress(p);
  };

  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    double epoch_loss = 0.0;
    for (int64_t s = 0; s < options.steps_per_epoch; ++s) {
      for (Window& w : batch) w = sampler.sample(random);
      const double weight = batch_weight(batch, options);
      // A batch whose windows all weigh 0 teaches nothing: count it, skip the update.
      if (weight > 0.0) {
        run_shares(pool, workers, options.batch_size, [&](Worker& wk, int64_t b, int64_t e) {
          process_share(wk, params, data, wo, batch, b, e, options, 1.0 / weight, true);
        });
        double loss = 0.0;
        for (const Worker& wk : workers) loss += wk.loss_sum;
        loss /= weight;
        if (!std::isfinite(loss))
          fail(ErrorCode::Internal, "train: the loss is {} at step {} (diverged)", loss,
               result.steps + 1);
        grads = workers[0].grads;
        for (size_t w = 1; w < workers.size(); ++w)
          for (size_t t = 0; t < grads.size(); ++t) {
            std::vector<float>& sum = grads.values(t);
            const std::vector<float>& add = workers[w].grads.values(t);
            for (size_t i = 0; i < sum.size(); ++i) sum[i] += add[i];
          }
        for (size_t t = 0; t < grads.size(); ++t)
          if (frozen[t]) std::fill(grads.values(t).begin(), grads.values(t).end(), 0.0f);
        clip_grad_norm(grads, options.clip_norm);
        optimizer.step(params, grads, schedule.at(result.steps));
        epoch_loss += loss;
      }
      ++result.steps;
      if (options.progress_interval_steps > 0 &&
          result.steps % options.progress_interval_steps == 0 &&
          !report(epoch, epoch_loss / static_cast<double>(s + 1), false)) {
        result.cancelled = true;
        break;
      }
    }
    if (result.cancelled) break;
    result.epochs_run = epoch;
    result.train_losses.push_back(epoch_loss / static_cast<double>(options.steps_per_epoch));
    if (validate) {
      last_val = evaluate_with(pool, workers, params, data, validation, options);
      result.val_losses.push_back(last_val);
      if (last_val < result.best_val_loss) {
        result.best_val_loss = last_val;
        result.best_epoch = epoch;
        best = params;
        epochs_without_gain = 0;
      } else {
        ++epochs_without_gain;
      }
    } else {
      result.best_epoch = epoch;
    }
    if (!report(epoch, result.train_losses.back(), true)) {
      result.cancelled = true;
      break;
    }
    if (validate && options.patience > 0 && epochs_without_gain >= options.patience) {
      result.stopped_early = true;
      break;
    }
  }
  // Keep the best checkpoint (when there is one: validation, and at least one epoch validated).
  if (validate && result.best_epoch > 0) params = best;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace invforecast::train
