// A covariate model's features on the host side: which of a dataset's
// columns a model uses and in which role, their training statistics
// (fit_features), and the arrays the model reads for one series at one
// origin (FeatureEncoder), from the per-series input record.
// docs/covariates.md describes the whole design.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/series_input.hpp"
#include "layers/covariates.hpp"
#include "model/model_config.hpp"

namespace invforecast {

// Which covariates a model is trained with.
struct FeatureSelection {
  // The target alone: no column, no calendar (the model format's original
  // shape, bit for bit the model of before covariates).
  bool none = false;
  // The calendar alone, no column.
  bool calendar_only = false;
  // The columns to use; empty: every column of the data.  The calendar
  // comes with any selection but none.
  std::vector<std::string> columns;
  // Columns known only up to the forecast origin (e.g. a shelf price that
  // is not planned ahead).  Every other time-varying column is known-future.
  std::vector<std::string> past_only;
};

// The features of a model trained on `data`: the target, then the selected
// columns in data order, then the calendar.  A column constant within every
// series is static.  Statistics come from each series' days before its last
// `holdout_days` (the training days): numeric columns' mean and standard
// deviation (scale 1 when constant), whether a log ratio channel applies
// (every value > 0), categorical vocabularies (the levels that occur, in
// the data's level order).  Errors (InvalidArgument): a selected or
// past-only name that is not a column, a past-only column that is static.
std::vector<FeatureSpec> fit_features(const Dataset& data, const FeatureSelection& selection,
                                      int64_t holdout_days);

// A batch's covariate arrays in host memory (layers::CovariateBatch's
// layout), resized for a number of series.
struct CovariateArrays {
  std::vector<float> context_real, horizon_real, static_real;
  std::vector<int32_t> context_codes, horizon_codes, static_codes;

  void resize(const layers::CovariateInputSizes& sizes, int64_t series);
  layers::CovariateBatch<float> batch() const;
};

// Writes one series' covariates the way the model reads them.  Columns are
// found by name in the record, whatever group the record put them in (a
// small forecast set may see a price constant that training saw vary); the
// model's role decides how each is read:
//   known-future  the context's days and the horizon's: the record must
//                 hold `horizon` days after its origin (Error(InvalidArgument)
//                 naming the feature and the series otherwise); a column the
//                 record holds as static reads its value on every day;
//   past-only     the context's days; the horizon reads nothing;
//   static        the series' value (Error(InvalidArgument) when it varies
//                 over the context).
// Real values are normalised with the feature's statistics; a missing value
// (NaN) reads 0, the mean, and so does a day before the series' start.
// Categorical levels map to the model's vocabulary by name: a level the
// model has not seen, a missing value and a day before the start read the
// unknown bucket (0).  The calendar comes from the record's dates (start).
// A feature the record lacks: Error(InvalidArgument) naming it.  Const and
// thread-safe.
class FeatureEncoder {
 public:
  FeatureEncoder(const ModelConfig& config, std::vector<FeatureSpec> features);

  const CovariateLayout& layout() const { return layout_; }
  const layers::CovariateInputSizes& sizes() const { return sizes_; }
  // Series `row` of `out` (already resized) from the record, whose target
  // ends at the forecast origin.  Known-future columns must cover the first
  // `horizon_days` days after it (at most the model's horizon; the model's
  // own by default): the model forecasts every day of its horizon, each
  // day's decoder step reading that day's values alone, so days the caller
  // does not read may be unknown (they read as missing).
  void encode(const SeriesInput& input, int64_t row, CovariateArrays& out,
              int64_t horizon_days = -1) const;

 private:
  ModelConfig config_;
  std::vector<FeatureSpec> features_;
  // Per feature (empty for a real one): level -> embedding row (level i is row i + 1).
  std::vector<std::unordered_map<std::string, int32_t>> vocabularies_;
  CovariateLayout layout_;
  layers::CovariateInputSizes sizes_;
};

}  // namespace invforecast
