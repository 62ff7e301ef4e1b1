#include "model/model_runtime.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"
#include "error.hpp"

namespace invforecast {

void ModelRuntime::forecast(int threads, const float* context, int64_t batch, float* out,
                            const layers::CovariateBatch<float>* covariates,
                            const EncoderExtras& extras) const {
  if (batch == 0) return;
  const int64_t tile = EncoderWorkspace::kDefaultTileSeries;
  const int64_t tiles = (batch + tile - 1) / tile;
  // Shares of the batch, each on its own workspace; the engine's pool runs them.
  const int64_t wanted =
      threads > 0 ? threads : static_cast<int64_t>(ThreadPool::shared().size());
  const auto workers = static_cast<size_t>(std::min(wanted, tiles));

  WorkspaceSet set;
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_sets_.empty()) {
      set = std::move(idle_sets_.back());
      idle_sets_.pop_back();
    }
  }
  // Returned to the pool whether the forecast succeeds or throws.
  struct GiveBack {
    const ModelRuntime& runtime;
    WorkspaceSet& set;
    ~GiveBack() {
      if (set.empty()) return;
      try {
        std::lock_guard lock(runtime.pool_mutex_);
        runtime.idle_sets_.push_back(std::move(set));
      } catch (...) {
        // Out of memory growing the pool: the buffers are simply freed.
      }
    }
  } give_back{*this, set};
  while (set.size() < workers) set.push_back(model_.make_workspace(tile));
  // The encoder's kernels are single-threaded (no oneDNN, no OpenMP team):
  // the workers are the only threads.
  forecast_parallel(model_, context, batch, out,
                    std::span<EncoderWorkspace>(set.data(), workers), covariates, extras);
}

void require_forecasting_model(const ModelRuntime& runtime) {
  if (runtime.model().file().metadata().objective == TrainingObjective::MaskedPatch)
    fail(ErrorCode::InvalidArgument,
         "this model was only pre-trained (masked patch reconstruction); its forecast head is "
         "untrained: fine-tune it first (invf_train with it as init, or invforecast train "
         "--init)");
}

void check_model_context(const float* context, size_t batch, size_t length) {
  for (size_t s = 0; s < batch; ++s)
    for (size_t t = 0; t < length; ++t) {
      const float value = context[s * length + t];
      if (!std::isfinite(value))
        fail(ErrorCode::Data, "context of series {} holds {} at day {}: sales must be finite", s,
             value, t);
      if (value < 0.0f)
        fail(ErrorCode::Data, "context of series {} holds {} at day {}: sales must be >= 0", s,
             value, t);
    }
}

}  // namespace invforecast
