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
  explicit ModelRuntime(ModelFile file) : model_(std::move(file)) {}

  const EncoderModel& model() const { return model_; }

  // model().forecast over `batch` series split across `threads` workers (0 =
  // hardware concurrency).  Inputs must already be checked.  Workspaces are
  // taken from the pool under a lock, used without it and given back; the
  // pool grows to the most calls ever in flight at once and lives as long
  // as the model.
  void forecast(ModelBackend backend, int threads, const float* context, int64_t batch,
                float* out) const;

 private:
  using WorkspaceSet = std::vector<EncoderWorkspace>;

  EncoderModel model_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<WorkspaceSet> idle_sets_;
};

}  // namespace invforecast::capi

struct invf_model {
  // Shared with the forecasters made from the handle.
  std::shared_ptr<const invforecast::capi::ModelRuntime> runtime;
  invforecast::ModelBackend backend = invforecast::ModelBackend::Cpu;
  int threads = 0;
};
