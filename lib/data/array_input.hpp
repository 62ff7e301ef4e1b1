// Sales and covariates handed over as arrays (the C ABI's invf_dataset_add_*
// calls) rather than read from a file.  Every value is checked before any is
// added, so a failed call leaves the builder as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"

namespace invforecast {

// The value rules of a CSV: Error(Data) naming the series and index for a
// NaN or infinite value, or a negative one under negative=error.
// `first_index` is the index of values[0] in the caller's array.
void check_sales(std::span<const double> values, std::string_view series_id,
                 const IngestOptions& ingest, size_t first_index = 0);

// Several series at once, column by column: series s has lengths[s] days
// from start_days[s] (days since 1970-01-01), its values back to back in
// `values` after those of series s - 1.  Covariate columns run alongside
// `values`, one cell per value: numeric (NaN = not known) or categorical
// (NULL or "" = none).
struct ColumnarSeries {
  std::span<const std::string_view> ids;
  std::span<const int64_t> start_days;
  std::span<const int64_t> lengths;
  std::span<const double> values;
  std::span<const std::string_view> numeric_names;
  std::span<const double* const> numeric_values;  // each values.size() long
  std::span<const std::string_view> categorical_names;
  std::span<const char* const* const> categorical_values;  // each values.size() long
};

// Adds `input` to `builder` as the row-wise calls would, one value per day:
// the dataset built is the same as from add_series / add_numeric /
// add_categorical per series.  Error(InvalidArgument) for mismatched sizes
// (a negative length, lengths not summing to values.size()), an empty id,
// a start day outside 0001-01-01..9999-12-31 or a series running past it, an
// empty or repeated column name or one already of the other kind; Error(Data)
// for a bad sales value (check_sales) or an infinite covariate.  Rules that
// span rows (duplicate days, by the duplicates policy) are checked at build
// time, as for the row-wise calls.  Nothing is added on failure.
// The value rules are the builder's options'.
void add_columns(DatasetBuilder& builder, const ColumnarSeries& input);

// The layout checks of add_columns, shared with the future arrays
// (data/future_covariates.hpp): ids, start days and lengths summing to
// `cells`; column names (non-empty, distinct, of the kind `kind_of` gives for
// an existing column, nullopt for none) and non-NULL cells.
void check_columnar_layout(std::span<const std::string_view> ids,
                           std::span<const int64_t> start_days, std::span<const int64_t> lengths,
                           size_t cells);
void check_columnar_covariates(
    std::span<const std::string_view> numeric_names, std::span<const double* const> numeric_values,
    std::span<const std::string_view> categorical_names,
    std::span<const char* const* const> categorical_values, size_t cells,
    const std::function<std::optional<bool>(std::string_view)>& kind_of);

}  // namespace invforecast
