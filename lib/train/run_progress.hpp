// Bookkeeping that train_model() and pretrain_model() share around their
// step loops: progress reports built from the run's counters, the
// end-of-epoch validation record (best epoch, patience), and the sum of the
// workers' gradients.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "train/parameters.hpp"
#include "train/trainer.hpp"

namespace invforecast::train {

// Calls the caller's progress callback with a TrainProgress for the run so
// far.  Speed and ETA count only the steps of this call (a resumed run's
// earlier steps took no time here).
class ProgressReporter {
 public:
  using Clock = std::chrono::steady_clock;
  // start: when the run began (its setup counts in the elapsed time).
  ProgressReporter(const ProgressCallback& callback, int64_t epochs, int64_t total_steps,
                   int64_t batch_size, int64_t resumed_steps, Clock::time_point start);
  // False when the callback asks the run to stop; true without a callback.
  bool report(const TrainResult& result, int64_t epoch, double train_loss, double val_loss,
              bool epoch_end) const;
  // True when steps_done completes a between-epochs report interval.
  static bool interval_due(int64_t interval_steps, int64_t steps_done) {
    return interval_steps > 0 && steps_done % interval_steps == 0;
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const ProgressCallback& callback_;
  int64_t epochs_, total_steps_, batch_size_, resumed_steps_;
  Clock::time_point start_;
};

// Records an epoch's validation loss in result; true when it is the best so
// far (the caller then keeps a copy of what it trains).  epochs_without_gain
// counts the epochs since the last best.
bool record_validation(TrainResult& result, int64_t epoch, double val_loss,
                       int64_t& epochs_without_gain);

// Early stopping: validation runs, patience is set (> 0) and that many
// epochs in a row brought no better validation loss.
inline bool out_of_patience(bool validate, int64_t patience, int64_t epochs_without_gain) {
  return validate && patience > 0 && epochs_without_gain >= patience;
}

// Fails with Error(Diverged) when a step's loss or gradient norm (`quantity`)
// is not finite; `run` ("train", "pretrain") and the 1-based step go into the
// message.
void check_finite_step(std::string_view run, std::string_view quantity, double value,
                       int64_t step);

// Fails with Error(Diverged) when the parameters a run returns have a RevIN
// gain that is not positive: the encoder divides by it (and refuses such a
// model), so the run ended in no usable model.
void check_revin_gain(std::string_view run, const Parameters& params);

// sum += add, tensor by tensor (the same structure), in index order.
void add_gradients(Parameters& sum, const Parameters& add);

}  // namespace invforecast::train
