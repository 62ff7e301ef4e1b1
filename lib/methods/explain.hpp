// An explanation of one series' model forecast: the attention the encoder
// paid to the patches of its context, and the share of each input group
// (the history, each time-varying covariate column, the calendar, the
// statics) in every forecast day, by exact Shapley values.
//
// It sits with the forecasts (methods/), not the model: it explains the
// forecast forecast_dataset_with_model makes from the same record (the same
// context padding, the same mean), running the model through its runtime.
//
// Groups, from the model's features (docs/covariates.md):
//   history       the target's context;
//   <column>      one per time-varying column the model reads, known-future
//                 or past-only (a price with its log-ratio channel is one);
//   calendar      day of week, day of month, month, week of year;
//   static        every static attribute together.
// With more than kMaxExplanationGroups groups the columns are merged by
// role ("known_future", "past_only"), which leaves at most 5.
//
// Baselines (what a group's inputs read when it is left out):
//   history       every context day at the mean of the series' days in the
//                 context window: its level kept, its shape (trend, weekly
//                 pattern, recent moves, its launch) removed.  With RevIN a
//                 flat context has no spread, so the baseline's quantiles
//                 close in on its level and the history's share holds the
//                 forecast's spread;
//   real          0 on the normalised scale: the training mean (a log ratio
//                 0: the series' usual price), on every context and horizon
//                 day;
//   categorical   the unknown bucket (embedding row 0) on every day.
// f(S) is the model's forecast with the groups of S at their actual inputs
// and the rest at their baselines; the 2^G coalitions run as one batch.
// The Shapley value of group g is the sum over S without g of
// |S|! (G - |S| - 1)! / G! (f(S + g) - f(S)); they add up to f(all) -
// f(none), the forecast minus the baseline forecast (efficiency), for each
// day and quantile and for the mean, and so for any sum of days.  The mean
// is the forecast's (set_model_forecast): the average of the day's
// quantiles for the quantile head; for a negbin head
// (layers/negbin_head.hpp) the distribution's mean mu, which the model
// returns beside its whole-unit quantiles (EncoderExtras::mean).  Each is a
// function of the coalition, so efficiency holds for both, and for the
// negbin head's quantiles, step functions of it.
//
// The coalitions are the only forecast: the last chunk of the batch ends
// with every group actual, and its attention is read there.
//
// A new product (no history; methods/cold_start.hpp) is explained as it is
// forecast: from its cold-start record, whose history group is its
// analogues' mean daily sales (their covariates over the context, its own
// known-future values and statics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"
#include "data/series_input.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

inline constexpr size_t kMaxExplanationGroups = 12;

enum class ExplanationGroupKind { History, KnownFuture, PastOnly, Calendar, Static };
std::string_view to_string(ExplanationGroupKind kind);

// Values per forecast day: mean [horizon], quantiles [horizon * levels],
// day-major.
struct ExplainedValues {
  std::vector<double> mean, quantiles;
};

struct ExplanationGroup {
  std::string name;
  ExplanationGroupKind kind = ExplanationGroupKind::History;
  std::vector<std::string> features;  // the model's features in it ("target" for the history)
  std::string baseline;               // in words
  ExplainedValues attribution;        // its Shapley values
};

struct Explanation {
  std::string series_id;
  Day first_day = 0;  // forecast day 1
  size_t horizon = 0;
  std::vector<double> levels;
  ExplainedValues forecast;  // every group actual: the model's forecast
  ExplainedValues baseline;  // every group at its baseline
  std::vector<ExplanationGroup> groups;
  // attention [layers, tokens]: per layer, the weight each patch (key token)
  // gets, averaged over the heads and the query tokens (each layer's row
  // sums to 1).  Patch t covers the context days patch_first[t] ..
  // patch_last[t] (a patch past the context's end, PaddingMode::
  // ReplicateEnd's, repeats its last day); patch_padding[t] of them are
  // before the series' first date (the zero padding of a short series).
  int64_t layers = 0, tokens = 0;
  std::vector<double> attention;
  std::vector<Day> patch_first, patch_last;
  std::vector<int64_t> patch_padding;
  size_t history_days = 0;  // context days that hold the series' history
  // What forecast.mean and each group's attribution.mean are, in words: "the
  // average of the day's quantiles" or, for a negbin head, the
  // distribution's mean mu.
  std::string mean_definition;
  // A new product: how many analogues the history group's sales are the
  // mean of (0: the series' own history); `warning` is then the forecast's
  // (ColdStart::note: which series, the attributes they share, the days).
  size_t analogues = 0;
  std::string warning;  // a short series' padding, a new product's analogues; empty otherwise
};

// The explanation of the forecast of days 1..horizon (1 to the model's
// horizon) after the record's origin.  Errors: a model only pre-trained or a
// horizon beyond the model's (InvalidArgument), a record with no history
// (InvalidArgument: a new product is explained from its cold-start record,
// as explain_series does), a record shorter
// than the context under options.strict (SeriesTooShort; otherwise it is
// left-padded with zeros and `warning` says so), the feature encoder's
// errors (a covariate the record lacks or does not cover).  The coalitions'
// forecasts run on options.threads threads; the result does not depend on
// them.  options.open_column is refused (InvalidArgument): the explanation
// is of the model's own output.
Explanation explain_forecast(const ModelRuntime& runtime, const SeriesInput& input,
                             size_t horizon, const ForecastOptions& options);

// The same for series `series_id` of `data` at its last date, known-future
// covariates read from the data's future days (SeriesInputs::latest);
// horizon 0 is the model's.  A new product (a series without history) from
// the record forecast_dataset_with_model forecasts it from
// (ColdStart(inputs, context_length).input): its forecast is the same, its
// `analogues` and `warning` say what its history is.  Error(InvalidArgument)
// naming a series the data lacks, or a new product of data where no series
// has a history.
Explanation explain_series(const ModelRuntime& runtime, const Dataset& data,
                           std::string_view series_id, size_t horizon,
                           const ForecastOptions& options);

// {"series_id", "start_date", "horizon", "quantiles", "method",
//  "mean_definition", "history_source": "own" | "analogues", "analogues",
//  "history_days", "warning", "forecast": {"mean": [day], "quantiles":
//  [[day's levels]]}, "baseline": {...}, "groups": [{"name", "kind",
//  "features", "baseline", "total": {"mean", "quantiles"}, "mean",
//  "quantiles"}], "attention": {"layers", "patches": [{"first", "last",
//  "padding_days", "weights": [per layer]}]}}; totals sum the days.
std::string explanation_to_json(const Explanation& explanation);

}  // namespace invforecast
