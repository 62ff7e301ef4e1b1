#include "data/future_covariates.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

#include "core/number_text.hpp"
#include "data/array_input.hpp"
#include "data/series_input.hpp"
#include "error.hpp"
#include "io/csv_file.hpp"

namespace invforecast {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A future cell no row gave (categorical; numeric ones are NaN).
constexpr int32_t kMissingCode = -2;

std::string where(const CovariateRows& rows, size_t row) {
  return rows.lines[row] > 0 ? fmt::format("{}:{}", rows.source, rows.lines[row]) : rows.source;
}

std::optional<size_t> find_series(const Dataset& data, std::string_view id) {
  const auto it =
      std::lower_bound(data.series.begin(), data.series.end(), id,
                       [](const Series& s, std::string_view key) { return s.id < key; });
  if (it == data.series.end() || it->id != id) return std::nullopt;
  return static_cast<size_t>(it - data.series.begin());
}

// The dataset's last date: a new product starts the day after it.
Day last_history_day(const Dataset& data) {
  Day last = std::numeric_limits<Day>::min();
  for (const Series& s : data.series)
    if (!s.values.empty()) last = std::max(last, s.end_day());
  return last;
}

// Adds the ids of `rows` that `data` lacks as new products, in id order,
// with one unknown cell in every column.
void add_new_products(Dataset& data, const CovariateRows& rows) {
  std::vector<std::string> ids;
  for (const std::string& id : rows.series)
    if (!find_series(data, id)) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.empty()) return;
  const Day start = last_history_day(data) + 1;
  std::vector<Series> merged;
  merged.reserve(data.series.size() + ids.size());
  std::vector<int64_t> old_index;  // -1 for a new product
  size_t next_old = 0;
  for (size_t n = 0; n < ids.size() || next_old < data.series.size();) {
    if (n == ids.size() || (next_old < data.series.size() && data.series[next_old].id < ids[n])) {
      old_index.push_back(static_cast<int64_t>(next_old));
      merged.push_back(std::move(data.series[next_old++]));
      continue;
    }
    Series product;
    product.id = ids[n++];
    product.start_day = start;
    product.stats = compute_stats(product.values, product.observed);
    old_index.push_back(-1);
    merged.push_back(std::move(product));
  }
  data.series = std::move(merged);
  for (Column& column : data.columns) {
    auto place = [&](auto& per_series, auto unknown) {
      std::remove_reference_t<decltype(per_series)> placed(old_index.size());
      for (size_t s = 0; s < old_index.size(); ++s)
        placed[s] = old_index[s] < 0 ? std::vector<decltype(unknown)>(1, unknown)
                                     : std::move(per_series[static_cast<size_t>(old_index[s])]);
      per_series = std::move(placed);
    };
    if (column.numeric)
      place(column.numeric_values, kNaN);
    else
      place(column.category_codes, int32_t{-1});
  }
}

// Level codes of a categorical column, adding the levels it lacks.
class Levels {
 public:
  explicit Levels(Column& column) : column_(column) {
    for (size_t l = 0; l < column.levels.size(); ++l)
      index_.emplace(column.levels[l], static_cast<int32_t>(l));
  }
  int32_t code(const std::string& text) {
    if (text.empty()) return -1;
    const auto [it, added] = index_.emplace(text, static_cast<int32_t>(column_.levels.size()));
    if (added) column_.levels.push_back(text);
    return it->second;
  }

 private:
  Column& column_;
  std::unordered_map<std::string, int32_t> index_;
};

// One cell of a row, as the column stores it.
struct Cell {
  double number = kNaN;
  int32_t code = -1;
  bool empty() const { return std::isnan(number) && code < 0; }
};

Cell cell_of(const CovariateRows::Cells& cells, size_t row, Levels* levels) {
  Cell cell;
  if (cells.numeric)
    cell.number = cells.numbers[row];
  else
    cell.code = levels->code(cells.texts[row]);
  return cell;
}

std::string text_of(const Column& column, const Cell& cell) {
  if (column.numeric) return std::isnan(cell.number) ? "unknown" : fmt::format("{}", cell.number);
  return cell.code < 0 ? "none" : "'" + column.levels[static_cast<size_t>(cell.code)] + "'";
}

// A static column's value for series s from a file: where the series' value
// is known they must agree; where unknown the file's value becomes it, over
// every cell.
void set_static(Column& column, const Series& series, size_t s, const Cell& cell,
                const std::string& origin) {
  if (cell.empty()) return;
  if (column.numeric) {
    std::vector<double>& cells = column.numeric_values[s];
    if (!std::isnan(cells.front()) && cells.front() != cell.number)
      fail(ErrorCode::Data, "{}: column '{}': {} for series '{}' differs from its static value {}",
           origin, column.name, cell.number, series.id, cells.front());
    std::fill(cells.begin(), cells.end(), cell.number);
  } else {
    std::vector<int32_t>& cells = column.category_codes[s];
    if (cells.front() >= 0 && cells.front() != cell.code)
      fail(ErrorCode::Data, "{}: column '{}': {} for series '{}' differs from its static value {}",
           origin, column.name, text_of(column, cell), series.id,
           text_of(column, Cell{kNaN, cells.front()}));
    std::fill(cells.begin(), cells.end(), cell.code);
  }
}

// The column of each of the rows' columns in `data`, -1 for none.
std::vector<int> column_indices(const Dataset& data, const CovariateRows& rows) {
  std::vector<int> indices;
  for (const CovariateRows::Cells& cells : rows.columns)
    indices.push_back(data.find_column(cells.name));
  return indices;
}

}  // namespace

Dataset with_future(const Dataset& data, const CovariateRows& rows, const IngestOptions& options) {
  if (data.has_future)
    fail(ErrorCode::InvalidArgument,
         "{}: the dataset already holds a future file; read its history again for another",
         rows.source);
  if (rows.series.empty()) fail(ErrorCode::Data, "{}: no future rows", rows.source);
  std::vector<std::string> past_only = data.past_only;
  for (const std::string& name : options.past_only)
    if (std::find(past_only.begin(), past_only.end(), name) == past_only.end())
      past_only.push_back(name);
  const bool fill = options.fill_future == FutureFill::Last;

  Dataset out = data;
  out.past_only = past_only;
  const SeriesInputs roles(out);  // before new products: the history decides the roles
  const std::vector<int> given = column_indices(out, rows);
  for (size_t k = 0; k < rows.columns.size(); ++k) {
    if (given[k] < 0)
      fail(ErrorCode::Data, "{}: column '{}' is not a column of the history", rows.source,
           rows.columns[k].name);
    if (roles.role(static_cast<size_t>(given[k])) == CovariateRole::PastOnly)
      fail(ErrorCode::Data,
           "{}: column '{}' is past-only: its values are not known in advance, leave it out",
           rows.source, rows.columns[k].name);
  }
  std::vector<int> source_of(out.columns.size(), -1);  // rows column of each column
  for (size_t k = 0; k < given.size(); ++k)
    source_of[static_cast<size_t>(given[k])] = static_cast<int>(k);
  std::vector<CovariateRole> role_of;
  for (size_t c = 0; c < out.columns.size(); ++c) {
    role_of.push_back(roles.role(c));
    if (role_of[c] == CovariateRole::KnownFuture && source_of[c] < 0 && !fill)
      fail(ErrorCode::Data,
           "{}: known-future column '{}' of the history is missing (name it past-only if it is "
           "not known in advance, or set fill_future=last to carry its last value forward)",
           rows.source, out.columns[c].name);
  }

  add_new_products(out, rows);
  const size_t count = out.series.size();
  // Each row's series and day offset after its history (1 = the first future day).
  std::vector<size_t> row_series(rows.series.size());
  std::vector<size_t> row_offset(rows.series.size());
  size_t future_days = 0;
  for (size_t r = 0; r < rows.series.size(); ++r) {
    row_series[r] = *find_series(out, rows.series[r]);
    const Series& series = out.series[row_series[r]];
    const int64_t offset = static_cast<int64_t>(rows.days[r]) - series.end_day();
    if (offset < 1)
      fail(ErrorCode::Data,
           "{}: series '{}': date {} does not follow its history, which ends on {}", where(rows, r),
           series.id, format_iso_date(rows.days[r]), format_iso_date(series.end_day()));
    if (offset > static_cast<int64_t>(kMaxHorizon))
      fail(ErrorCode::Data,
           "{}: series '{}': date {} is {} days after its history; at most {} future days are "
           "supported",
           where(rows, r), series.id, format_iso_date(rows.days[r]), offset, kMaxHorizon);
    row_offset[r] = static_cast<size_t>(offset);
    future_days = std::max(future_days, row_offset[r]);
  }

  // The row of each (series, future day), SIZE_MAX for none.
  std::vector<std::vector<size_t>> row_at(count, std::vector<size_t>(future_days, SIZE_MAX));
  for (size_t r = 0; r < rows.series.size(); ++r) {
    size_t& slot = row_at[row_series[r]][row_offset[r] - 1];
    if (slot != SIZE_MAX)
      fail(ErrorCode::Data, "{}: duplicate row for series '{}' on {} (first at line {})",
           where(rows, r), rows.series[r], format_iso_date(rows.days[r]), rows.lines[slot]);
    slot = r;
  }
  if (!fill)
    for (size_t s = 0; s < count; ++s) {
      const Series& series = out.series[s];
      const auto first_missing = std::find(row_at[s].begin(), row_at[s].end(), SIZE_MAX);
      if (first_missing == row_at[s].end()) continue;
      if (first_missing == row_at[s].begin() &&
          static_cast<size_t>(std::ranges::count(row_at[s], SIZE_MAX)) == future_days)
        fail(ErrorCode::Data,
             "{}: series '{}' {} has no rows (set fill_future=last to carry its last values "
             "forward)",
             rows.source, series.id, series.values.empty() ? "(a new product)" : "of the history");
      fail(ErrorCode::Data,
           "{}: series '{}' has no row for {}: every series needs the {} day(s) after its "
           "history the file covers (set fill_future=last to carry the last values forward)",
           rows.source, series.id,
           format_iso_date(series.end_day() + static_cast<Day>(first_missing - row_at[s].begin()) +
                           1),
           future_days);
    }

  size_t filled = 0;
  std::string first_filled;
  for (size_t c = 0; c < out.columns.size(); ++c) {
    Column& column = out.columns[c];
    const CovariateRows::Cells* cells =
        source_of[c] >= 0 ? &rows.columns[static_cast<size_t>(source_of[c])] : nullptr;
    std::optional<Levels> levels;
    if (!column.numeric) levels.emplace(column);
    for (size_t s = 0; s < count; ++s) {
      const Series& series = out.series[s];
      const size_t history = series.values.size();
      const size_t size = history + future_days;
      if (role_of[c] == CovariateRole::Static) {
        // Extended with the series' constant, then checked against the rows.
        if (column.numeric)
          column.numeric_values[s].resize(size, column.numeric_values[s].front());
        else
          column.category_codes[s].resize(size, column.category_codes[s].front());
        if (cells != nullptr)
          for (size_t r : row_at[s])
            if (r != SIZE_MAX)
              set_static(column, series, s, cell_of(*cells, r, levels ? &*levels : nullptr),
                         where(rows, r));
        continue;
      }
      // Cut to the history first: a new product's single cell was a placeholder.
      const bool known = role_of[c] == CovariateRole::KnownFuture;
      if (column.numeric) {
        column.numeric_values[s].resize(history);
        column.numeric_values[s].resize(size, kNaN);
      } else {
        column.category_codes[s].resize(history);
        column.category_codes[s].resize(size, known ? kMissingCode : -1);
      }
      if (!known) continue;
      for (size_t d = 0; d < future_days; ++d) {
        const size_t r = row_at[s][d];
        const size_t t = history + d;
        if (cells != nullptr && r != SIZE_MAX) {
          const Cell cell = cell_of(*cells, r, levels ? &*levels : nullptr);
          if (column.numeric) {
            if (std::isnan(cell.number) && !fill)
              fail(ErrorCode::Data,
                   "{}: column '{}': missing value for series '{}' on {} (set fill_future=last "
                   "to carry the last value forward)",
                   where(rows, r), column.name, series.id, format_iso_date(rows.days[r]));
            column.numeric_values[s][t] = cell.number;
          } else {
            column.category_codes[s][t] = cell.code;
          }
        }
        const bool missing = column.numeric ? std::isnan(column.numeric_values[s][t])
                                            : column.category_codes[s][t] == kMissingCode;
        if (!missing) continue;
        // Only under fill_future=last: the checks above refused every gap otherwise.
        if (column.numeric) {
          const auto& v = column.numeric_values[s];
          const auto last = std::find_if(v.rbegin() + static_cast<ptrdiff_t>(size - t), v.rend(),
                                         [](double x) { return !std::isnan(x); });
          column.numeric_values[s][t] = last == v.rend() ? kNaN : *last;
        } else {
          column.category_codes[s][t] = t > 0 ? column.category_codes[s][t - 1] : -1;
        }
        if (filled++ == 0)
          first_filled = fmt::format("series '{}', column '{}' on {}", series.id, column.name,
                                     format_iso_date(series.end_day() + static_cast<Day>(d) + 1));
      }
    }
  }
  for (Series& series : out.series) series.future_days = future_days;
  out.has_future = true;
  if (filled > 0)
    out.warnings.push_back(fmt::format(
        "{}: fill_future=last filled {} missing future cell(s) with each series' last known "
        "value (first: {})",
        rows.source, filled, first_filled));
  return out;
}

Dataset with_statics(const Dataset& data, const CovariateRows& rows) {
  Dataset out = data;
  const SeriesInputs roles(out);
  const std::vector<int> given = column_indices(out, rows);
  for (size_t k = 0; k < rows.columns.size(); ++k)
    if (given[k] >= 0 && roles.role(static_cast<size_t>(given[k])) != CovariateRole::Static)
      fail(ErrorCode::Data,
           "{}: column '{}' varies within a series of the history; a static file gives "
           "attributes constant per series",
           rows.source, rows.columns[k].name);
  add_new_products(out, rows);
  std::vector<size_t> row_series(rows.series.size());
  std::vector<size_t> row_of(out.series.size(), SIZE_MAX);
  for (size_t r = 0; r < rows.series.size(); ++r) {
    row_series[r] = *find_series(out, rows.series[r]);
    size_t& slot = row_of[row_series[r]];
    if (slot != SIZE_MAX)
      fail(ErrorCode::Data, "{}: series '{}' is given twice (first at line {})", where(rows, r),
           rows.series[r], rows.lines[slot]);
    slot = r;
  }
  for (size_t k = 0; k < rows.columns.size(); ++k) {
    const CovariateRows::Cells& cells = rows.columns[k];
    if (given[k] < 0) {
      Column column;
      column.name = cells.name;
      column.numeric = cells.numeric;
      for (const Series& series : out.series)
        if (column.numeric)
          column.numeric_values.emplace_back(series.cells(), kNaN);
        else
          column.category_codes.emplace_back(series.cells(), -1);
      out.columns.push_back(std::move(column));
    }
    Column& column =
        out.columns[given[k] < 0 ? out.columns.size() - 1 : static_cast<size_t>(given[k])];
    std::optional<Levels> levels;
    if (!column.numeric) levels.emplace(column);
    for (size_t r = 0; r < rows.series.size(); ++r)
      set_static(column, out.series[row_series[r]], row_series[r],
                 cell_of(cells, r, levels ? &*levels : nullptr), where(rows, r));
  }
  return out;
}

namespace {

}  // namespace

CovariateRows read_covariate_csv(const std::string& path, const Dataset& data,
                                 const IngestOptions& options, bool dated) {
  io::CsvFile csv(path, dated ? "future file" : "static file");
  std::vector<std::string> header;
  if (!csv.next(header))
    fail(ErrorCode::Parse, "{}: empty file: expected a header with column '{}'{}", path,
         options.series_column, dated ? fmt::format(" and '{}'", options.date_column) : "");
  size_t series_field = SIZE_MAX, date_field = SIZE_MAX;
  CovariateRows rows;
  rows.source = path;
  std::vector<size_t> fields;  // of the covariate columns
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty())
      fail(ErrorCode::Parse, "{}:{}: header: column {} has an empty name", path, csv.line(), i + 1);
    if (std::find(header.begin(), header.begin() + static_cast<ptrdiff_t>(i), name) !=
        header.begin() + static_cast<ptrdiff_t>(i))
      fail(ErrorCode::Parse, "{}:{}: header: column '{}' appears twice", path, csv.line(), name);
    if (name == options.series_column) {
      series_field = i;
    } else if (dated && name == options.date_column) {
      date_field = i;
    } else if (name == options.value_column || name == options.date_column) {
      fail(ErrorCode::Parse, "{}:{}: header: column '{}' has no place in a {} file", path,
           csv.line(), name, dated ? "future" : "static");
    } else {
      fields.push_back(i);
      rows.columns.push_back({name, true, {}, {}});
    }
  }
  if (series_field == SIZE_MAX || (dated && date_field == SIZE_MAX))
    fail(ErrorCode::Parse, "{}:{}: header lacks column '{}'", path, csv.line(),
         series_field == SIZE_MAX ? options.series_column : options.date_column);

  std::vector<std::string> record;
  while (csv.next(record)) {
    if (record.size() != header.size())
      fail(ErrorCode::Parse, "{}:{}: {} fields, expected {}", path, csv.line(), record.size(),
           header.size());
    if (record[series_field].empty())
      fail(ErrorCode::Data, "{}:{}: column '{}': empty series id", path, csv.line(),
           options.series_column);
    rows.series.push_back(record[series_field]);
    rows.lines.push_back(csv.line());
    if (dated) {
      const std::optional<Day> day = parse_iso_date(record[date_field]);
      if (!day)
        fail(ErrorCode::Parse, "{}:{}: column '{}': cannot parse '{}' as a date YYYY-MM-DD", path,
             csv.line(), options.date_column, record[date_field]);
      rows.days.push_back(*day);
    }
    for (size_t k = 0; k < fields.size(); ++k) rows.columns[k].texts.push_back(record[fields[k]]);
  }

  for (CovariateRows::Cells& cells : rows.columns) {
    const int index = data.find_column(cells.name);
    cells.numeric = index >= 0 ? data.columns[static_cast<size_t>(index)].numeric
                               : std::ranges::all_of(cells.texts, [](const std::string& text) {
                                   return text.empty() || parse_double(text).has_value();
                                 });
    if (!cells.numeric) continue;
    cells.numbers.reserve(cells.texts.size());
    for (size_t r = 0; r < cells.texts.size(); ++r) {
      const std::string& text = cells.texts[r];
      const std::optional<double> number = text.empty() ? kNaN : parse_double(text);
      if (!number)
        fail(ErrorCode::Parse, "{}:{}: column '{}': cannot parse '{}' as a number", path,
             rows.lines[r], cells.name, text);
      if (!text.empty() && !std::isfinite(*number))
        fail(ErrorCode::Data, "{}:{}: column '{}': '{}' is not a known value (NaN or infinite)",
             path, rows.lines[r], cells.name, text);
      cells.numbers.push_back(*number);
    }
    std::vector<std::string>().swap(cells.texts);
  }
  return rows;
}

CovariateRows columnar_rows(const ColumnarCovariates& in) {
  check_columnar_layout(in.ids, in.start_days, in.lengths, in.cell_count);
  check_columnar_covariates(in.numeric_names, in.numeric_values, in.categorical_names,
                            in.categorical_values, in.cell_count,
                            [](std::string_view) { return std::optional<bool>(); });
  CovariateRows rows;
  rows.source = "future arrays (line = cell index + 1)";
  for (size_t s = 0, first = 0; s < in.ids.size(); ++s) {
    const auto length = static_cast<size_t>(in.lengths[s]);
    for (size_t i = 0; i < length; ++i) {
      rows.series.emplace_back(in.ids[s]);
      rows.days.push_back(static_cast<Day>(in.start_days[s] + static_cast<int64_t>(i)));
      rows.lines.push_back(first + i + 1);
    }
    first += length;
  }
  for (size_t c = 0; c < in.numeric_names.size(); ++c) {
    CovariateRows::Cells cells{std::string(in.numeric_names[c]), true, {}, {}};
    cells.numbers.assign(in.numeric_values[c], in.numeric_values[c] + in.cell_count);
    for (size_t i = 0; i < in.cell_count; ++i)
      if (std::isinf(cells.numbers[i]))
        fail(ErrorCode::Data, "series '{}', column '{}': values[{}] is infinite", rows.series[i],
             cells.name, i);
    rows.columns.push_back(std::move(cells));
  }
  for (size_t c = 0; c < in.categorical_names.size(); ++c) {
    CovariateRows::Cells cells{std::string(in.categorical_names[c]), false, {}, {}};
    for (size_t i = 0; i < in.cell_count; ++i) {
      const char* text = in.categorical_values[c][i];
      cells.texts.emplace_back(text == nullptr ? "" : text);
    }
    rows.columns.push_back(std::move(cells));
  }
  return rows;
}

}  // namespace invforecast
