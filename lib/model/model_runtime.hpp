// A loaded encoder as calls run it: the model, plus a pool of activation
// workspaces shared by every call on it, so that concurrent calls never
// share mutable state and steady-state calls reuse buffers.  A C ABI model
// handle and the forecasters made from it share one.
#pragma once

#include <mutex>
#include <vector>

#include "core/options.hpp"
#include "model/encoder.hpp"
#include "model/features.hpp"

namespace invforecast {

class ModelRuntime {
 public:
  // The model's weights are prepared by `backend`, which runs every forecast.
  ModelRuntime(ModelFile file, const kernels::Backend& backend)
      : model_(std::move(file), backend),
        features_(model_.config(), model_.file().metadata().features) {}

  const EncoderModel& model() const { return model_; }
  // Writes the covariate arrays of the model's inputs (covariate models).
  const FeatureEncoder& features() const { return features_; }

  // model().forecast over `batch` series split across `threads` workers (0 =
  // hardware concurrency).  Inputs must already be checked
  // (check_model_context).  Workspaces are
  // taken from the pool under a lock, used without it and given back; the
  // pool grows to the most calls ever in flight at once and lives as long
  // as the model.  covariates and extras (the negbin head's mean, the
  // attention): as EncoderModel::forecast's.
  void forecast(int threads, const float* context, int64_t batch, float* out,
                const layers::CovariateBatch<float>* covariates = nullptr,
                const EncoderExtras& extras = {}) const;

 private:
  using WorkspaceSet = std::vector<EncoderWorkspace>;

  EncoderModel model_;
  FeatureEncoder features_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<WorkspaceSet> idle_sets_;
};

// The raw sales forecast() takes, batch x length floats, series-major:
// Error(Data) naming the series and day for a NaN, infinite or negative value.
void check_model_context(const float* context, size_t batch, size_t length);

// Throws Error(InvalidArgument) for a model that was only pre-trained
// (objective masked_patch): its forecast head was never trained.
void require_forecasting_model(const ModelRuntime& runtime);

}  // namespace invforecast
