// invf_dataset: loading, filling from arrays, and reading a dataset.
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "boundary.hpp"
#include "data/array_input.hpp"
#include "data/future_covariates.hpp"
#include "handles.hpp"

namespace invforecast::capi {

const Dataset& built_dataset(const invf_dataset& dataset) {
  std::lock_guard lock(dataset.build_mutex);
  if (!dataset.built) dataset.built = std::make_unique<Dataset>(dataset.builder->build());
  return *dataset.built;
}

namespace {

invf_dataset& fillable(invf_dataset* dataset) {
  require(dataset, "dataset");
  if (dataset->extended)
    fail(ErrorCode::InvalidArgument,
         "dataset holds a future or static file read into it; add every row of its history "
         "before reading them");
  if (!dataset->builder)
    fail(ErrorCode::InvalidArgument,
         "dataset was loaded from a file; only datasets from invf_dataset_create accept rows");
  return *dataset;
}

// Called before the builder changes: a later read must rebuild.  The old
// build is stripped of its numbers but kept for the strings it lent out.
void invalidate(invf_dataset& dataset) {
  std::lock_guard lock(dataset.build_mutex);
  if (!dataset.built) return;
  dataset.retired.reserve(dataset.retired.size() + 1);  // so the move below cannot fail
  std::unique_ptr<Dataset> stale = std::move(dataset.built);
  for (Series& series : stale->series) {
    std::vector<double>().swap(series.values);
    std::vector<uint8_t>().swap(series.observed);
  }
  for (Column& column : stale->columns) {
    std::vector<std::vector<double>>().swap(column.numeric_values);
    std::vector<std::vector<int32_t>>().swap(column.category_codes);
  }
  dataset.retired.push_back(std::move(stale));
}

void require_name(const char* name, const char* argument) {
  require(name, argument);
  if (*name == '\0') fail(ErrorCode::InvalidArgument, "argument '{}' is empty", argument);
}

// Parses every date before anything is added, so that a bad row leaves the
// dataset as it was.
std::vector<Day> parse_dates(const char* const* dates, size_t count, std::string_view series_id) {
  std::vector<Day> days;
  days.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (dates[i] == nullptr)
      fail(ErrorCode::NullPointer, "series '{}': dates[{}] is NULL", series_id, i);
    const auto day = parse_iso_date(dates[i]);
    if (!day)
      fail(ErrorCode::Parse, "series '{}': dates[{}] '{}' is not a YYYY-MM-DD date", series_id, i,
           dates[i]);
    days.push_back(*day);
  }
  return days;
}

// An adder's dates and values, both required, as days.
std::vector<Day> array_days(const char* const* dates, const void* values, size_t count,
                            std::string_view series_id) {
  require(dates, "dates");
  require(values, "values");
  return parse_dates(dates, count, series_id);
}

// invf_dataset_add_numeric (Value double) and invf_dataset_add_categorical (Value a C string;
// NULL is the empty category).
template <class Value>
void add_column(invf_dataset* dataset, const char* series_id, const char* column,
                const char* const* dates, const Value* values, size_t count) {
  constexpr bool numeric = std::is_same_v<Value, double>;
  invf_dataset& target = fillable(dataset);
  require_name(series_id, "series_id");
  require_name(column, "column");
  if (count == 0) return;
  const std::vector<Day> days = array_days(dates, values, count, series_id);
  if constexpr (numeric) {
    for (size_t i = 0; i < count; ++i)
      if (std::isinf(values[i]))
        fail(ErrorCode::Data, "series '{}', column '{}': values[{}] is infinite", series_id,
             column, i);
  }
  invalidate(target);
  target.builder->declare_column(column, numeric);
  const uint32_t source = target.builder->add_source(fmt::format(
      "array input for series '{}', column '{}' (line = array index + 1)", series_id, column));
  for (size_t i = 0; i < count; ++i) {
    const Origin origin{source, i + 1};
    if constexpr (numeric)
      target.builder->add_numeric(series_id, column, days[i], values[i], origin);
    else
      target.builder->add_categorical(series_id, column, days[i],
                                      values[i] == nullptr ? "" : values[i], origin);
  }
}

// The string arrays of a columnar call, checked for NULL: ids and column names.
struct ColumnarNames {
  std::vector<std::string_view> ids, numeric, categorical;
};

ColumnarNames columnar_names(size_t series_count, const char* const* series_ids,
                             const int64_t* start_days, const int64_t* lengths, size_t cell_count,
                             size_t numeric_count, const char* const* numeric_names,
                             const double* const* numeric_values, size_t categorical_count,
                             const char* const* categorical_names,
                             const char* const* const* categorical_values) {
  // Beyond these no caller's arrays fit in memory: a size past them is a mistake.
  constexpr size_t kMaxValues = std::numeric_limits<ptrdiff_t>::max() / sizeof(double);
  constexpr size_t kMaxColumns = 4096;
  if (cell_count > kMaxValues || series_count > kMaxValues)
    fail(ErrorCode::InvalidArgument, "{} values in {} series is too large for this address space",
         cell_count, series_count);
  if (numeric_count > kMaxColumns || categorical_count > kMaxColumns)
    fail(ErrorCode::InvalidArgument, "{} numeric and {} categorical columns: at most {} each",
         numeric_count, categorical_count, kMaxColumns);
  if (series_count > 0) {
    require(series_ids, "series_ids");
    require(start_days, "start_days");
    require(lengths, "lengths");
  }
  if (numeric_count > 0) {
    require(numeric_names, "numeric_names");
    require(numeric_values, "numeric_values");
  }
  if (categorical_count > 0) {
    require(categorical_names, "categorical_names");
    require(categorical_values, "categorical_values");
  }
  auto names = [](const char* const* strings, size_t count, const char* argument) {
    std::vector<std::string_view> views;
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (strings[i] == nullptr)
        fail(ErrorCode::NullPointer, "argument '{}[{}]' is NULL", argument, i);
      views.emplace_back(strings[i]);
    }
    return views;
  };
  return {names(series_ids, series_count, "series_ids"),
          names(numeric_names, numeric_count, "numeric_names"),
          names(categorical_names, categorical_count, "categorical_names")};
}

// Makes `extended` (the build with a future or static file read into it)
// the dataset's build.  The old build is retired like a stale one, and adds
// are refused from now on: a rebuild from the rows would lose the file.
void extend(invf_dataset& dataset, Dataset extended) {
  auto next = std::make_unique<Dataset>(std::move(extended));
  invalidate(dataset);
  std::lock_guard lock(dataset.build_mutex);
  dataset.built = std::move(next);
  dataset.extended = true;
}

// invf_dataset_read_future_csv (`dated`) and invf_dataset_read_static_csv.
void read_covariates(invf_dataset* dataset, const char* path, const invf_options* options,
                     const char* call, bool dated) {
  require(dataset, "dataset");
  require(path, "path");
  const IngestOptions& ingest = options_for(options, call, kDataDomain).ingest;
  const Dataset& history = built_dataset(*dataset);
  const CovariateRows rows = read_covariate_csv(path, history, ingest, dated);
  extend(*dataset, dated ? with_future(history, rows, ingest) : with_statics(history, rows));
}

const Series& series_at(const invf_dataset* dataset, size_t series) {
  require(dataset, "dataset");
  const Dataset& built = built_dataset(*dataset);
  require_index(series, built.series.size(), "series");
  return built.series[series];
}

double stat_by_name(const Series& series, std::string_view name) {
  const SeriesStats& s = series.stats;
  if (name == "length") return static_cast<double>(s.length);
  if (name == "observed_days") return static_cast<double>(s.observed_days);
  if (name == "gap_days") return static_cast<double>(s.gap_days);
  if (name == "launch_offset") return static_cast<double>(s.launch_offset);
  if (name == "total") return s.total;
  if (name == "mean") return s.mean;
  if (name == "zero_fraction") return s.zero_fraction;
  if (name == "adi") return s.adi;
  if (name == "cv2") return s.cv2;
  if (name == "scale") return s.scale;
  if (name == "clipped") return static_cast<double>(s.clipped);
  if (name == "class") return static_cast<double>(static_cast<int>(s.demand_class));
  fail(ErrorCode::InvalidArgument,
       "unknown series statistic '{}' (expected length, observed_days, gap_days, launch_offset, "
       "total, mean, zero_fraction, adi, cv2, scale, clipped or class)",
       name);
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_dataset_load_csv(const char* path, const invf_options* options,
                                   invf_dataset** out) {
  return guarded([&] {
    require(path, "path");
    require(out, "out");
    auto dataset = std::make_unique<invf_dataset>();
    dataset->ingest = options_for(options, "invf_dataset_load_csv", kDataDomain).ingest;
    dataset->built = std::make_unique<Dataset>(read_csv(path, dataset->ingest));
    *out = dataset.release();
  });
}

invf_status* invf_dataset_create(const invf_options* options, invf_dataset** out) {
  return guarded([&] {
    require(out, "out");
    auto dataset = std::make_unique<invf_dataset>();
    dataset->ingest = options_for(options, "invf_dataset_create", kDataDomain).ingest;
    dataset->builder = std::make_unique<DatasetBuilder>(dataset->ingest);
    *out = dataset.release();
  });
}

void invf_dataset_release(invf_dataset* dataset) { delete dataset; }

invf_status* invf_dataset_add_series(invf_dataset* dataset, const char* series_id,
                                     const char* const* dates, const double* values,
                                     size_t count) {
  return guarded([&] {
    invf_dataset& target = fillable(dataset);
    require_name(series_id, "series_id");
    if (count == 0) return;
    const std::vector<Day> days = array_days(dates, values, count, series_id);
    check_sales(std::span<const double>(values, count), series_id, target.ingest);
    invalidate(target);
    const uint32_t source = target.builder->add_source(
        fmt::format("array input for series '{}' (line = array index + 1)", series_id));
    for (size_t i = 0; i < count; ++i)
      target.builder->add_value(series_id, days[i], values[i], Origin{source, i + 1});
  });
}

invf_status* invf_dataset_add_numeric(invf_dataset* dataset, const char* series_id,
                                      const char* column, const char* const* dates,
                                      const double* values, size_t count) {
  return guarded([&] { add_column(dataset, series_id, column, dates, values, count); });
}

invf_status* invf_dataset_add_categorical(invf_dataset* dataset, const char* series_id,
                                          const char* column, const char* const* dates,
                                          const char* const* values, size_t count) {
  return guarded([&] { add_column(dataset, series_id, column, dates, values, count); });
}

invf_status* invf_dataset_add_columns(invf_dataset* dataset, size_t series_count,
                                      const char* const* series_ids, const int64_t* start_days,
                                      const int64_t* lengths, const double* values,
                                      size_t value_count, size_t numeric_count,
                                      const char* const* numeric_names,
                                      const double* const* numeric_values,
                                      size_t categorical_count,
                                      const char* const* categorical_names,
                                      const char* const* const* categorical_values) {
  return guarded([&] {
    invf_dataset& target = fillable(dataset);
    const ColumnarNames names =
        columnar_names(series_count, series_ids, start_days, lengths, value_count, numeric_count,
                       numeric_names, numeric_values, categorical_count, categorical_names,
                       categorical_values);
    if (value_count > 0) require(values, "values");
    ColumnarSeries input;
    input.ids = names.ids;
    input.start_days = std::span<const int64_t>(start_days, series_count);
    input.lengths = std::span<const int64_t>(lengths, series_count);
    input.values = std::span<const double>(values, value_count);
    input.numeric_names = names.numeric;
    input.numeric_values = std::span<const double* const>(numeric_values, numeric_count);
    input.categorical_names = names.categorical;
    input.categorical_values =
        std::span<const char* const* const>(categorical_values, categorical_count);
    // add_columns checks everything before it adds, so a failed call adds
    // nothing; the build it invalidates is merely made again.
    invalidate(target);
    add_columns(*target.builder, input);
  });
}

invf_status* invf_dataset_read_future_csv(invf_dataset* dataset, const char* path,
                                          const invf_options* options) {
  return guarded(
      [&] { read_covariates(dataset, path, options, "invf_dataset_read_future_csv", true); });
}

invf_status* invf_dataset_read_static_csv(invf_dataset* dataset, const char* path,
                                          const invf_options* options) {
  return guarded(
      [&] { read_covariates(dataset, path, options, "invf_dataset_read_static_csv", false); });
}

invf_status* invf_dataset_add_future_columns(
    invf_dataset* dataset, size_t series_count, const char* const* series_ids,
    const int64_t* start_days, const int64_t* lengths, size_t cell_count, size_t numeric_count,
    const char* const* numeric_names, const double* const* numeric_values,
    size_t categorical_count, const char* const* categorical_names,
    const char* const* const* categorical_values, const invf_options* options) {
  return guarded([&] {
    require(dataset, "dataset");
    const IngestOptions& ingest =
        options_for(options, "invf_dataset_add_future_columns", kDataDomain).ingest;
    const ColumnarNames names =
        columnar_names(series_count, series_ids, start_days, lengths, cell_count, numeric_count,
                       numeric_names, numeric_values, categorical_count, categorical_names,
                       categorical_values);
    ColumnarCovariates input;
    input.ids = names.ids;
    input.start_days = std::span<const int64_t>(start_days, series_count);
    input.lengths = std::span<const int64_t>(lengths, series_count);
    input.cell_count = cell_count;
    input.numeric_names = names.numeric;
    input.numeric_values = std::span<const double* const>(numeric_values, numeric_count);
    input.categorical_names = names.categorical;
    input.categorical_values =
        std::span<const char* const* const>(categorical_values, categorical_count);
    extend(*dataset, with_future(built_dataset(*dataset), columnar_rows(input), ingest));
  });
}

invf_status* invf_dataset_series_count(const invf_dataset* dataset, size_t* out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    *out = built_dataset(*dataset).series.size();
  });
}

invf_status* invf_dataset_series_id(const invf_dataset* dataset, size_t series,
                                    const char** out) {
  return guarded([&] {
    require(out, "out");
    *out = series_at(dataset, series).id.c_str();
  });
}

invf_status* invf_dataset_series_length(const invf_dataset* dataset, size_t series,
                                        size_t* out) {
  return guarded([&] {
    require(out, "out");
    *out = series_at(dataset, series).values.size();
  });
}

invf_status* invf_dataset_series_future_days(const invf_dataset* dataset, size_t series,
                                             size_t* out) {
  return guarded([&] {
    require(out, "out");
    *out = series_at(dataset, series).future_days;
  });
}

invf_status* invf_dataset_series_start_date(const invf_dataset* dataset, size_t series,
                                            char out[INVF_DATE_BUFFER]) {
  return guarded([&] {
    require(out, "out");
    format_iso_date(series_at(dataset, series).start_day, out);
  });
}

invf_status* invf_dataset_series_values(const invf_dataset* dataset, size_t series,
                                        double* buffer, size_t capacity) {
  return guarded([&] {
    const Series& s = series_at(dataset, series);
    if (s.values.empty()) return;  // a new product: `buffer` may be NULL
    require(buffer, "buffer");
    require_capacity(capacity, s.values.size(), fmt::format("series '{}'", s.id).c_str());
    std::memcpy(buffer, s.values.data(), s.values.size() * sizeof(double));
  });
}

invf_status* invf_dataset_series_stat(const invf_dataset* dataset, size_t series,
                                      const char* name, double* out) {
  return guarded([&] {
    require(name, "name");
    require(out, "out");
    *out = stat_by_name(series_at(dataset, series), name);
  });
}

invf_status* invf_dataset_column_count(const invf_dataset* dataset, size_t* out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    *out = built_dataset(*dataset).columns.size();
  });
}

invf_status* invf_dataset_column_name(const invf_dataset* dataset, size_t column,
                                      const char** out, int* is_numeric) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    require(is_numeric, "is_numeric");
    const Dataset& built = built_dataset(*dataset);
    require_index(column, built.columns.size(), "column");
    *out = built.columns[column].name.c_str();
    *is_numeric = built.columns[column].numeric ? 1 : 0;
  });
}

invf_status* invf_dataset_warning_count(const invf_dataset* dataset, size_t* out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    *out = built_dataset(*dataset).warnings.size();
  });
}

invf_status* invf_dataset_warning(const invf_dataset* dataset, size_t index, const char** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    const Dataset& built = built_dataset(*dataset);
    require_index(index, built.warnings.size(), "warning");
    *out = built.warnings[index].c_str();
  });
}

}  // extern "C"
