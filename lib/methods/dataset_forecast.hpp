// Forecasts of a whole dataset: every series by a built-in method or by a
// neural model in batches, and the long CSV such a forecast is written to
// and read back from (series_id,date,mean,q<level>,...).
#pragma once

#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"
#include "methods/forecaster.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

// Error(InvalidArgument) unless 1 <= horizon <= kMaxHorizon (data/dataset.hpp).
void require_horizon(size_t horizon);

// Forecasts of every series of a dataset, days 1..horizon after each
// series' last date.
struct DatasetForecast {
  size_t horizon = 0;
  std::vector<double> levels;
  std::vector<std::string> series_ids;
  std::vector<Day> start_days;  // forecast day 1 of each series
  std::vector<SeriesForecast> series;
  std::vector<std::string> warnings;  // of the series, in order
};

// Every series of `data` by a built-in method, on options.threads threads
// (see parallel_for: results do not depend on the thread count; the first
// failing series in dataset order is raised).  Levels: options.quantiles.
// Each method gets its series' whole record, known-future covariates over
// the horizon (forecast_series()); a dataset with a future file must cover
// the horizon (SeriesInputs::latest).
DatasetForecast forecast_dataset(const Forecaster& method, const ForecastOptions& options,
                                 const ProgressFn& progress, const Dataset& data, size_t horizon);

// Every series of `data` from its last context_length days with the encoder,
// in chunks so that the buffers stay small and progress is reported.  A
// series shorter than the context is left-padded with zeros (no sales before
// its first date) with a warning, or refused under options.strict
// (Error(SeriesTooShort)).  A dataset with a future file must cover the
// horizon (SeriesInputs::latest).  Levels: the model's.  options.quantiles
// does not apply.  With options.open_column the output is 0 on each series'
// closed days (closed_days.hpp), every series' calendar checked before the
// model runs.
DatasetForecast forecast_dataset_with_model(const ModelRuntime& runtime,
                                            const ForecastOptions& options,
                                            const ProgressFn& progress, const Dataset& data,
                                            size_t horizon);

// Writes the long CSV: one row per series per day, numbers in their shortest
// round-trip form, so the file holds exactly what the forecast holds.
void write_forecast_csv(const DatasetForecast& forecast, const std::string& path);
// Reads such a CSV back (methods "csv"): Error(Parse) for a malformed header
// or row, Error(Data) for negative or crossing values, series whose rows are
// not contiguous days or horizons that differ; messages name file and line.
DatasetForecast read_forecast_csv(const std::string& path);

}  // namespace invforecast
