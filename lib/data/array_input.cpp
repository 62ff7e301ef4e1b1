#include "data/array_input.hpp"

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>

#include <fmt/format.h>

#include "error.hpp"

namespace invforecast {

void check_sales(std::span<const double> values, std::string_view series_id,
                 const IngestOptions& ingest, size_t first_index) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      fail(ErrorCode::Data, "series '{}': values[{}] is {}, not a finite number", series_id,
           first_index + i, values[i]);
    if (values[i] < 0.0 && ingest.negative == NegativePolicy::Error)
      fail(ErrorCode::Data,
           "series '{}': values[{}] is negative ({}); set option negative=clip to clip it to 0",
           series_id, first_index + i, values[i]);
  }
}

namespace {

// Column names: non-empty, distinct, and of the same kind as an existing
// column of that name.
void check_columns(std::span<const std::string_view> names, bool numeric,
                   const std::function<std::optional<bool>(std::string_view)>& kind_of,
                   std::unordered_set<std::string_view>& seen) {
  for (std::string_view name : names) {
    if (name.empty()) fail(ErrorCode::InvalidArgument, "a covariate column name is empty");
    if (!seen.insert(name).second)
      fail(ErrorCode::InvalidArgument, "covariate column '{}' is given twice", name);
    const std::optional<bool> existing = kind_of(name);
    if (existing && *existing != numeric)
      fail(ErrorCode::InvalidArgument, "column '{}' is already {}", name,
           *existing ? "numeric" : "categorical");
  }
}

}  // namespace

void check_columnar_layout(std::span<const std::string_view> ids,
                           std::span<const int64_t> start_days, std::span<const int64_t> lengths,
                           size_t cells) {
  const size_t count = ids.size();
  if (start_days.size() != count || lengths.size() != count)
    fail(ErrorCode::InvalidArgument, "{} series ids but {} start days and {} lengths", count,
         start_days.size(), lengths.size());
  const int64_t first_day = days_from_civil({1, 1, 1});
  const int64_t last_day = days_from_civil({9999, 12, 31});
  // Lengths are summed against the cells given, so no sum can overflow.
  size_t remaining = cells;
  for (size_t s = 0; s < count; ++s) {
    if (ids[s].empty()) fail(ErrorCode::InvalidArgument, "series_ids[{}] is empty", s);
    const int64_t length = lengths[s];
    if (length < 0)
      fail(ErrorCode::InvalidArgument, "series '{}': lengths[{}] is negative ({})", ids[s], s,
           length);
    if (static_cast<uint64_t>(length) > remaining)
      fail(ErrorCode::InvalidArgument,
           "series '{}': lengths up to lengths[{}] add up to more than the {} values given",
           ids[s], s, cells);
    remaining -= static_cast<size_t>(length);
    const int64_t start = start_days[s];
    if (start < first_day || start > last_day || length > last_day - start + 1)
      fail(ErrorCode::InvalidArgument,
           "series '{}': start_days[{}] = {} with {} days runs outside 0001-01-01..9999-12-31 "
           "(day numbers count days since 1970-01-01)",
           ids[s], s, start, length);
  }
  if (remaining != 0)
    fail(ErrorCode::InvalidArgument, "lengths add up to {} but {} values are given",
         cells - remaining, cells);
}

void check_columnar_covariates(
    std::span<const std::string_view> numeric_names, std::span<const double* const> numeric_values,
    std::span<const std::string_view> categorical_names,
    std::span<const char* const* const> categorical_values, size_t cells,
    const std::function<std::optional<bool>(std::string_view)>& kind_of) {
  if (numeric_values.size() != numeric_names.size() ||
      categorical_values.size() != categorical_names.size())
    fail(ErrorCode::InvalidArgument, "a covariate column has no name or no values");
  std::unordered_set<std::string_view> seen;
  check_columns(numeric_names, true, kind_of, seen);
  check_columns(categorical_names, false, kind_of, seen);
  for (size_t c = 0; c < numeric_values.size(); ++c)
    if (numeric_values[c] == nullptr && cells > 0)
      fail(ErrorCode::NullPointer, "the values of numeric column '{}' are NULL", numeric_names[c]);
  for (size_t c = 0; c < categorical_values.size(); ++c)
    if (categorical_values[c] == nullptr && cells > 0)
      fail(ErrorCode::NullPointer, "the values of categorical column '{}' are NULL",
           categorical_names[c]);
}

void add_columns(DatasetBuilder& builder, const ColumnarSeries& in) {
  const size_t count = in.ids.size();
  check_columnar_layout(in.ids, in.start_days, in.lengths, in.values.size());
  check_columnar_covariates(
      in.numeric_names, in.numeric_values, in.categorical_names, in.categorical_values,
      in.values.size(), [&](std::string_view name) { return builder.column_is_numeric(name); });
  size_t first = 0;
  for (size_t s = 0; s < count; ++s) {
    const auto length = static_cast<size_t>(in.lengths[s]);
    check_sales(in.values.subspan(first, length), in.ids[s], builder.options(), first);
    for (size_t c = 0; c < in.numeric_values.size(); ++c)
      for (size_t i = first; i < first + length; ++i)
        if (std::isinf(in.numeric_values[c][i]))
          fail(ErrorCode::Data, "series '{}', column '{}': values[{}] is infinite", in.ids[s],
               in.numeric_names[c], i);
    first += length;
  }

  // Checked: from here on nothing fails.
  for (std::string_view name : in.numeric_names) builder.declare_column(name, true);
  for (std::string_view name : in.categorical_names) builder.declare_column(name, false);
  const uint32_t source = builder.add_source("columnar input (line = values index + 1)");
  first = 0;
  for (size_t s = 0; s < count; ++s) {
    const auto length = static_cast<size_t>(in.lengths[s]);
    if (length == 0) continue;
    const uint32_t series = builder.series_handle(in.ids[s]);
    for (size_t i = first; i < first + length; ++i) {
      const auto day = static_cast<Day>(in.start_days[s] + static_cast<int64_t>(i - first));
      const Origin origin{source, i + 1};
      builder.add_value(series, day, in.values[i], origin);
      for (size_t c = 0; c < in.numeric_values.size(); ++c)
        builder.add_numeric(in.ids[s], in.numeric_names[c], day, in.numeric_values[c][i], origin);
      for (size_t c = 0; c < in.categorical_values.size(); ++c) {
        const char* cell = in.categorical_values[c][i];
        builder.add_categorical(in.ids[s], in.categorical_names[c], day,
                                cell == nullptr ? "" : cell, origin);
      }
    }
    first += length;
  }
}

}  // namespace invforecast
