// Definitions of the opaque C handles shared across capi/*.cpp files.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"
#include "invforecast.h"
#include "methods/forecaster.hpp"

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
};

// Forecasts of every series: made by a forecaster, or read back from the CSV
// it writes (capi/forecast_csv.cpp).
struct invf_forecast {
  size_t horizon = 0;
  std::vector<double> levels;
  std::vector<std::string> series_ids;
  std::vector<invforecast::Day> start_days;  // forecast day 1 of each series
  std::vector<invforecast::SeriesForecast> series;
  std::vector<std::string> warnings;
};

namespace invforecast::capi {

// The built dataset; builds it (and caches it) on first use.
const Dataset& built_dataset(const invf_dataset& dataset);

// Options of a possibly NULL handle ("all defaults" for NULL).
const Options& options_or_defaults(const invf_options* options);

}  // namespace invforecast::capi
