// Definitions of the opaque C handles shared across capi/*.cpp files.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"
#include "inventory/inventory_state.hpp"
#include "invforecast.h"
#include "methods/forecaster.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/model_forecaster.hpp"
#include "model/model_runtime.hpp"

namespace invforecast::train {
struct LoraAdapter;
}

struct invf_options {
  invforecast::Options options;
};

// A dataset either loaded whole from a file, or filled from arrays through a
// DatasetBuilder and built on first read.  Reads may come from many threads,
// so the lazy build is serialised by `build_mutex`.
struct invf_dataset {
  invforecast::IngestOptions ingest;
  std::unique_ptr<invforecast::DatasetBuilder> builder;  // null when loaded from a file
  mutable std::mutex build_mutex;
  mutable std::unique_ptr<invforecast::Dataset> built;
  // Builds superseded by later additions.  Their ids, column names and
  // warnings stay alive because strings handed out point into them.
  mutable std::vector<std::unique_ptr<invforecast::Dataset>> retired;
  // A future or static file was read into the build: no more adds.
  bool extended = false;
};

// Forecasts of every series: made by a forecaster, or read back from the CSV
// it writes (capi/forecast_csv.cpp).
struct invf_forecast : invforecast::DatasetForecast {};

struct invf_model {
  // Shared with the forecasters made from the handle.
  std::shared_ptr<const invforecast::ModelRuntime> runtime;
  // Set for a model made by a LoRA fine-tune or loaded with an adapter: the
  // adapter alone, for invf_model_save_adapter (runtime holds base + adapter).
  std::shared_ptr<const invforecast::train::LoraAdapter> adapter;
  int threads = 0;
};

struct invf_inventory : invforecast::InventoryState {};
struct invf_replenishment : invforecast::ReplenishmentResult {};

// A built-in method or an ensemble, with or without a model (impl), or a
// neural model alone (model).
struct invf_forecaster {
  std::string method;
  invforecast::Options options;
  std::unique_ptr<invforecast::Forecaster> impl;
  std::shared_ptr<const invforecast::ModelRuntime> model;
};

namespace invforecast::capi {

// The built dataset; builds it (and caches it) on first use.
const Dataset& built_dataset(const invf_dataset& dataset);

// Options of a possibly NULL handle ("all defaults" for NULL) for the C
// function `call`, which reads `domains`: Error(InvalidArgument) naming a key
// set on them that belongs to none of those domains.
const Options& options_for(const invf_options* options, const char* call, OptionDomains domains);

// The runtime of a forecasting model on `backend`: a model runs on the backend its weights were
// prepared by, so another backend gets its own preparation of the same file.
std::shared_ptr<const ModelRuntime> runtime_on(const invf_model& model,
                                               kernels::BackendKind backend);

// A handle over a validated model file; "backend" and "threads" from `options`.
std::unique_ptr<invf_model> make_model_handle(ModelFile file, const Options& options);

// The runtime of a forecasting model (Error(InvalidArgument) for one only
// pre-trained) on `backend`: a model runs on the backend its weights were
// prepared by, so another backend gets its own preparation of the same file.
std::shared_ptr<const ModelRuntime> runtime_on(const invf_model& model,
                                               kernels::BackendKind backend);

}  // namespace invforecast::capi
