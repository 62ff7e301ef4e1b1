// Covariates beyond the history: known-future values for the days after each
// series' history (a future file: series_id,date plus covariate columns, no
// target) and static attributes per series (a static file: series_id plus
// attribute columns), and the new products either may bring.
//
// Layout.  A future file extends every covariate column past the history:
// every series gets the same number of future days, Series::future_days, the
// most any series has in the file (days end_day()+1 ..), and then holds
// values.size() + future_days cells in each column.  There known-future
// columns hold the file's values, static ones their constant, past-only ones
// unknown (NaN, -1).  Dataset::has_future records that a file was read, so a
// forecast refuses a horizon longer than the future days
// (SeriesInputs::latest).  A static file's columns become static columns,
// the value repeated over every cell of the series.  A series of either file
// that the history lacks is a new product: it joins the series in id order
// with no history, starting the day after the dataset's last date (so its
// forecast starts with everyone else's), and a single cell while it has no
// future days, which holds its static attributes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"

namespace invforecast {

// Rows of covariates, column by column: one per (series, day) of a future
// input, one per series of a static one (days empty).  Numeric cells: NaN is
// an empty cell (a missing value in a future input).  Categorical: "" = none.
struct CovariateRows {
  std::string source;  // the file, or a description of the arrays
  std::vector<std::string> series;
  std::vector<Day> days;
  std::vector<uint64_t> lines;  // 1-based line (or array index + 1) of each row
  struct Cells {
    std::string name;
    bool numeric = true;
    std::vector<double> numbers;
    std::vector<std::string> texts;
  };
  std::vector<Cells> columns;
};

// Reads a future (`dated`) or static CSV file (plain or gzip, RFC 4180) for
// `data`: the series and date columns of `options`, then covariates.  A
// column of `data` keeps its kind; a new one (a static file's) is numeric
// when every non-empty cell is a number.  Error(Parse) for a malformed
// header, record, date or number, Error(Data) for an empty series id, NaN or
// infinity; messages name the file, line and column.
CovariateRows read_covariate_csv(const std::string& path, const Dataset& data,
                                 const IngestOptions& options, bool dated);

// `data` with the known-future rows added (see the layout above).  Past-only
// columns: data.past_only and options.past_only (kept in the result).
// Error(Data), naming what it names: a column the history lacks, a
// past-only column, a known-future column of the history missing from the
// rows, a series of `data` without rows, a date on or before its series'
// last day, a duplicate (series, date), a date missing between a series'
// last day and the last future day, an empty numeric cell, a static value
// that differs from the series' known one, more than kMaxHorizon future
// days.  Under options.fill_future = Last the missing columns, series, dates
// and cells take each series' last known value instead, with one warning
// counting the cells.  Error(InvalidArgument) when `data` already holds a
// future file.  A categorical level the history never had is added.
Dataset with_future(const Dataset& data, const CovariateRows& rows, const IngestOptions& options);

// `data` with static attributes: each row's values over every cell of its
// series (new columns are added).  Error(Data) for a series given twice, a
// column of `data` that is not static, or a value that differs from the
// series' known one, naming the series and column; a series the rows do not
// give keeps unknown attributes.
Dataset with_statics(const Dataset& data, const CovariateRows& rows);

// Known-future rows from a caller's arrays, column by column: series s has
// lengths[s] rows from start_days[s] (days since 1970-01-01), its cells back
// to back after those of series s - 1 in each column of `cell_count` cells.
// Numeric NaN is a missing value, categorical NULL or "" none.
struct ColumnarCovariates {
  std::span<const std::string_view> ids;
  std::span<const int64_t> start_days;
  std::span<const int64_t> lengths;
  size_t cell_count = 0;
  std::span<const std::string_view> numeric_names;
  std::span<const double* const> numeric_values;
  std::span<const std::string_view> categorical_names;
  std::span<const char* const* const> categorical_values;
};
// Error(InvalidArgument) for sizes, days or names as add_columns
// (data/array_input.hpp) refuses them; Error(Data) for an infinite number.
CovariateRows columnar_rows(const ColumnarCovariates& input);

}  // namespace invforecast
