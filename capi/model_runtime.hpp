// A loaded encoder as the C ABI runs it: the model, plus a pool of activation
// workspaces shared by every call on the handle, so that concurrent calls
// never share mutable state and steady-state calls reuse buffers.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/options.hpp"
#include "model/encoder.hpp"

namespace invforecast::capi {

class ModelRuntime {
 public:
  ModelRuntime(ModelFile file, const kernels::Backend& backend)
      : model_(std::move(file), backend) {}

  const EncoderModel& model() const { return model_; }

  // model().forecast over `batch` series split across `threads` workers (0 =
  // hardware concurrency).  Inputs must already be checked.  Workspaces are
  // taken from the pool under a lock, used without it and given back; the
  // pool grows to the most calls ever in flight at once and lives as long
  // as the model.
  void forecast(int threads, const float* context, int64_t batch, float* out) const;

 private:
  using WorkspaceSet = std::vector<EncoderWorkspace>;

  EncoderModel model_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<WorkspaceSet> idle_sets_;
};

}  // namespace invforecast::capi

namespace invforecast::train {
struct LoraAdapter;
}

struct invf_options;

struct invf_model {
  // Shared with the forecasters made from the handle.
  std::shared_ptr<const invforecast::capi::ModelRuntime> runtime;
  // Set for a model made by a LoRA fine-tune or loaded with an adapter: the
  // adapter alone, for invf_model_save_adapter (runtime holds base + adapter).
  std::shared_ptr<const invforecast::train::LoraAdapter> adapter;
  int threads = 0;
};

namespace invforecast::capi {
// Throws Error(InvalidArgument) for a model that was only pre-trained
// (objective masked_patch): its forecast head was never trained.
void require_forecasting_model(const ModelRuntime& runtime);

// A handle over a validated model file; "backend" and "threads" from
// `options` (NULL = defaults).
std::unique_ptr<invf_model> make_model_handle(ModelFile file, const invf_options* options);
}  // namespace invforecast::capi
