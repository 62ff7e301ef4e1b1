// The per-series input record: everything a forecaster may read of one series
// at one forecast origin, from the dataset through the window sampler, the
// trainer and every forecaster (built-in methods, the transformer, the
// backtest, the policy simulator) to the C ABI.
//
// Every field is a view into a Dataset (or a caller's arrays): a record is
// cheap to make and to cut, and copies nothing.  Calendar alignment: index 0
// of the target and of every time-varying covariate is the same day.
//
// Today the transformer and the built-in methods read only the target; the
// covariates issue gives the model the rest.  The roles follow that issue's
// rule: a column constant within every series is static; any other is
// known-future (its values over the horizon are known in advance: price,
// promotions, events) unless it is named past-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "data/dataset.hpp"

namespace invforecast {

enum class CovariateRole { Static, PastOnly, KnownFuture };

// One covariate of one series: numeric (values, NaN = unknown) or categorical
// (codes indexing levels, -1 = none).  A static covariate holds one value.
struct CovariateView {
  std::string_view name;
  bool numeric = true;
  std::span<const double> values;
  std::span<const int32_t> codes;
  std::span<const std::string> levels;

  size_t size() const { return numeric ? values.size() : codes.size(); }
  // Days [offset, offset + count).
  CovariateView slice(size_t offset, size_t count) const;
};

struct SeriesInput {
  SeriesInput() = default;
  // A series known by its sales alone (no covariates), from any contiguous
  // range of doubles: the history tests and callers with bare arrays give.
  template <class Range>
    requires std::ranges::contiguous_range<Range> &&
             std::same_as<std::ranges::range_value_t<Range>, double>
  SeriesInput(const Range& sales) : target(std::ranges::data(sales), std::ranges::size(sales)) {}

  std::string_view id;
  // Date of target[0] (and of index 0 of every time-varying covariate): the
  // calendar the model derives its day-of-week, month and week features from.
  Day start = 0;
  // Sales of the days before the origin, oldest first.
  std::span<const double> target;
  // Aligned with target, the same length.
  std::vector<CovariateView> past;
  // Aligned with target, then up to the horizon's days after the origin where
  // they are known (known_days() tells how many).
  std::vector<CovariateView> known;
  std::vector<CovariateView> statics;
  // An optional vector describing the series (product text, a caller's own
  // embedding); empty when none.
  std::span<const float> embedding;

  // Days after the origin every known-future covariate covers (0 without any).
  size_t known_days() const;
  // The record without its first `days` days (a series read from its launch).
  SeriesInput from(size_t days) const;
  // The record cut at an earlier origin (origin <= target.size()), known-future
  // covariates over up to `horizon` days after it: what a rolling-origin
  // backtest inside a method may read.
  SeriesInput before(size_t origin, size_t horizon) const;
};

// The model's input row for a history: its last row.size() days, left-padded
// with zeros (no sales before the series' first date) when shorter.
void fill_context(std::span<const double> history, std::span<float> row);

// Whether every day of every series holds the series' first value (NaN equal
// to NaN): the rule that makes a column static.
bool constant_per_series(const Column& column);

// The roles of a dataset's covariate columns, decided once, and the records
// of its series.  Keeps a reference to the dataset, which must outlive it.
class SeriesInputs {
 public:
  // Past-only columns: those named in `past_only` or in data.past_only.
  // Error(InvalidArgument) for a name in either that is not a column.
  explicit SeriesInputs(const Dataset& data, std::span<const std::string> past_only = {});

  const Dataset& data() const { return *data_; }
  CovariateRole role(size_t column) const { return roles_[column]; }
  // Series `series` with the origin at index `origin` of its values (at most
  // their length), known-future covariates over up to `horizon` days after
  // it where the data holds them.  Error(InvalidArgument) for a series or
  // origin out of range.
  SeriesInput at(size_t series, size_t origin, size_t horizon) const;
  // The whole history: the origin is the day after the series' last, and
  // known-future covariates over up to `horizon` days after it (the future
  // days the dataset holds).  When a future file was read, Error(Data)
  // naming the series and the dates unless they cover all `horizon` days.
  SeriesInput latest(size_t series, size_t horizon = 0) const;

 private:
  const Dataset* data_;
  std::vector<CovariateRole> roles_;
};

}  // namespace invforecast
