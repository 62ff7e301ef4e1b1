#include "train/run_progress.hpp"

#include <cmath>

#include "error.hpp"

namespace invforecast::train {

ProgressReporter::ProgressReporter(const ProgressCallback& callback, int64_t epochs,
                                   int64_t total_steps, int64_t batch_size, int64_t resumed_steps,
                                   Clock::time_point start)
    : callback_(callback),
      epochs_(epochs),
      total_steps_(total_steps),
      batch_size_(batch_size),
      resumed_steps_(resumed_steps),
      start_(start) {}

bool ProgressReporter::report(const TrainResult& result, int64_t epoch, double train_loss,
                              double val_loss, bool epoch_end) const {
  if (!callback_) return true;
  const double elapsed = seconds();
  const auto steps_now = static_cast<double>(result.steps - resumed_steps_);
  TrainProgress p;
  p.epoch = epoch;
  p.epochs = epochs_;
  p.step = result.steps;
  p.total_steps = total_steps_;
  p.train_loss = train_loss;
  p.val_loss = val_loss;
  p.samples_per_second =
      elapsed > 0.0 ? steps_now * static_cast<double>(batch_size_) / elapsed : 0.0;
  p.eta_seconds =
      steps_now > 0.0 ? elapsed / steps_now * static_cast<double>(total_steps_ - result.steps)
                      : 0.0;
  p.epoch_end = epoch_end;
  return callback_(p);
}

bool record_validation(TrainResult& result, int64_t epoch, double val_loss,
                       int64_t& epochs_without_gain) {
  result.val_losses.push_back(val_loss);
  if (val_loss < result.best_val_loss) {
    result.best_val_loss = val_loss;
    result.best_epoch = epoch;
    epochs_without_gain = 0;
    return true;
  }
  ++epochs_without_gain;
  return false;
}

void check_finite_step(std::string_view run, std::string_view quantity, double value,
                       int64_t step) {
  if (!std::isfinite(value))
    fail(ErrorCode::Diverged, "{}: the {} is {} at step {} (diverged: lower learning_rate)", run,
         quantity, value, step);
}

void check_revin_gain(std::string_view run, const Parameters& params) {
  const ModelConfig& c = params.config();
  if (c.normalization != NormKind::Revin || !c.revin_affine) return;
  const float gain = params.values("revin.weight")[0];
  if (!(gain > 0.0f))
    fail(ErrorCode::Diverged,
         "{}: training drove revin.weight to {}, but it must stay positive (diverged: lower "
         "learning_rate)",
         run, gain);
}

void add_gradients(Parameters& sum, const Parameters& add) {
  for (size_t t = 0; t < sum.size(); ++t) {
    std::vector<float>& s = sum.values(t);
    const std::vector<float>& a = add.values(t);
    for (size_t i = 0; i < s.size(); ++i) s[i] += a[i];
  }
}

}  // namespace invforecast::train
