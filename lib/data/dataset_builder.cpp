#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "error.hpp"
#include "data/dataset.hpp"
#include "data/series_input.hpp"

namespace invforecast {

DatasetBuilder::DatasetBuilder(IngestOptions options) : options_(std::move(options)) {}

uint32_t DatasetBuilder::add_source(std::string name) {
  sources_.push_back(std::move(name));
  return static_cast<uint32_t>(sources_.size() - 1);
}

std::string DatasetBuilder::describe(Origin origin) const {
  const std::string& source =
      origin.source < sources_.size() ? sources_[origin.source] : std::string("input");
  return origin.line > 0 ? fmt::format("{}:{}", source, origin.line) : source;
}

uint32_t DatasetBuilder::series_index(std::string_view id) {
  if (auto it = series_lookup_.find(id); it != series_lookup_.end()) return it->second;
  const auto index = static_cast<uint32_t>(series_ids_.size());
  series_ids_.emplace_back(id);
  series_lookup_.emplace(std::string(id), index);
  return index;
}

uint32_t DatasetBuilder::series_handle(std::string_view id) { return series_index(id); }

uint32_t DatasetBuilder::column_index(std::string_view name, bool numeric) {
  if (auto it = column_lookup_.find(name); it != column_lookup_.end()) {
    if (column_specs_[it->second].numeric != numeric)
      fail(ErrorCode::Data, "column '{}' is used both as numeric and as categorical", name);
    return it->second;
  }
  if (name == options_.series_column || name == options_.date_column ||
      name == options_.value_column)
    fail(ErrorCode::InvalidArgument, "column '{}' is reserved for the series id, date or value",
         name);
  Column spec;
  spec.name = std::string(name);
  spec.numeric = numeric;
  column_specs_.push_back(std::move(spec));
  level_lookup_.emplace_back();
  const auto index = static_cast<uint32_t>(column_specs_.size() - 1);
  column_lookup_.emplace(std::string(name), index);
  return index;
}

std::optional<bool> DatasetBuilder::column_is_numeric(std::string_view column) const {
  const auto it = column_lookup_.find(column);
  if (it == column_lookup_.end()) return std::nullopt;
  return column_specs_[it->second].numeric;
}

void DatasetBuilder::declare_column(std::string_view column, bool numeric) {
  column_index(column, numeric);
}

void DatasetBuilder::check_value(std::string_view series_id, double value, Origin origin) const {
  if (std::isnan(value))
    fail(ErrorCode::Data, "{}: column '{}': NaN is not a sales value (series '{}')",
         describe(origin), options_.value_column, series_id);
  if (std::isinf(value))
    fail(ErrorCode::Data, "{}: column '{}': infinite sales value (series '{}')", describe(origin),
         options_.value_column, series_id);
  if (value < 0.0 && options_.negative == NegativePolicy::Error)
    fail(ErrorCode::Data,
         "{}: column '{}': negative sales {} (series '{}'); set negative=clip to clip them to 0",
         describe(origin), options_.value_column, value, series_id);
}

void DatasetBuilder::add_value(std::string_view series_id, Day day, double value, Origin origin) {
  if (series_id.empty())
    fail(ErrorCode::Data, "{}: column '{}': empty series id", describe(origin),
         options_.series_column);
  check_value(series_id, value, origin);
  observations_.push_back({series_index(series_id), day, value, origin});
}

void DatasetBuilder::add_value(uint32_t series, Day day, double value, Origin origin) {
  check_value(series_ids_.at(series), value, origin);
  observations_.push_back({series, day, value, origin});
}

void DatasetBuilder::add_numeric(std::string_view series_id, std::string_view column, Day day,
                                 double value, Origin origin) {
  if (series_id.empty())
    fail(ErrorCode::Data, "{}: column '{}': empty series id", describe(origin),
         options_.series_column);
  if (std::isinf(value))
    fail(ErrorCode::Data, "{}: column '{}': infinite value (series '{}')", describe(origin), column,
         series_id);
  const uint32_t c = column_index(column, true);
  covariates_.push_back({series_index(series_id), c, day, -1, value, origin});
}

void DatasetBuilder::add_categorical(std::string_view series_id, std::string_view column, Day day,
                                     std::string_view value, Origin origin) {
  if (series_id.empty())
    fail(ErrorCode::Data, "{}: column '{}': empty series id", describe(origin),
         options_.series_column);
  const uint32_t c = column_index(column, false);
  int32_t code = -1;
  if (!value.empty()) {
    StringIndex& levels = level_lookup_[c];
    if (auto it = levels.find(value); it != levels.end()) {
      code = static_cast<int32_t>(it->second);
    } else {
      code = static_cast<int32_t>(column_specs_[c].levels.size());
      column_specs_[c].levels.emplace_back(value);
      levels.emplace(std::string(value), static_cast<uint32_t>(code));
    }
  }
  covariates_.push_back(
      {series_index(series_id), c, day, code, std::numeric_limits<double>::quiet_NaN(), origin});
}

void DatasetBuilder::attach_numeric(std::string_view column, std::vector<double> cells) {
  if (cells.size() != observations_.size())
    fail(ErrorCode::Internal, "column '{}': {} cells for {} observations", column, cells.size(),
         observations_.size());
  const uint32_t c = column_index(column, true);
  attached_.push_back({c, std::move(cells), {}});
}

void DatasetBuilder::attach_categorical(std::string_view column, std::vector<std::string> levels,
                                        std::vector<int32_t> codes) {
  if (codes.size() != observations_.size())
    fail(ErrorCode::Internal, "column '{}': {} cells for {} observations", column, codes.size(),
         observations_.size());
  const uint32_t c = column_index(column, false);
  // Translate the reader's level numbering into this column's.
  std::vector<int32_t> translate(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    StringIndex& lookup = level_lookup_[c];
    if (auto it = lookup.find(levels[i]); it != lookup.end()) {
      translate[i] = static_cast<int32_t>(it->second);
    } else {
      translate[i] = static_cast<int32_t>(column_specs_[c].levels.size());
      lookup.emplace(levels[i], static_cast<uint32_t>(translate[i]));
      column_specs_[c].levels.push_back(std::move(levels[i]));
    }
  }
  for (int32_t& code : codes) {
    if (code >= static_cast<int32_t>(translate.size()))
      fail(ErrorCode::Internal, "column '{}': code {} without a level", column, code);
    if (code >= 0) code = translate[static_cast<size_t>(code)];
  }
  attached_.push_back({c, {}, std::move(codes)});
}

namespace {

// Sets one covariate cell; a second, different known value for the same
// (series, day) is refused rather than silently overwritten.
void set_number(double& cell, double value, const Column& column, const Series& series, Day day,
                const auto& where) {
  if (std::isnan(value)) return;
  if (!std::isnan(cell) && cell != value)
    fail(ErrorCode::Data,
         "{}: column '{}': value {} for series '{}' on {} differs from an earlier {}", where(),
         column.name, value, series.id, format_iso_date(day), cell);
  cell = value;
}

void set_code(int32_t& cell, int32_t code, const Column& column, const Series& series, Day day,
              const auto& where) {
  if (code < 0) return;
  if (cell >= 0 && cell != code)
    fail(ErrorCode::Data,
         "{}: column '{}': value '{}' for series '{}' on {} differs from an earlier '{}'", where(),
         column.name, column.levels[static_cast<size_t>(code)], series.id, format_iso_date(day),
         column.levels[static_cast<size_t>(cell)]);
  cell = code;
}

}  // namespace

Dataset DatasetBuilder::build() const {
  if (observations_.empty()) fail(ErrorCode::Data, "empty dataset: no sales values were given");
  // Observations are indexed with 32 bits below.
  if (observations_.size() >= std::numeric_limits<uint32_t>::max())
    fail(ErrorCode::Data, "too many sales values ({}); at most {} are supported",
         observations_.size(), std::numeric_limits<uint32_t>::max() - 1);
  const size_t series_count = series_ids_.size();

  // Group observations by series with a counting sort (stable: input order
  // is kept within a series, so already-sorted dates need no sort).
  std::vector<size_t> first(series_count + 1, 0);
  for (const Observation& o : observations_) ++first[o.series + 1];
  std::partial_sum(first.begin(), first.end(), first.begin());
  std::vector<uint32_t> order(observations_.size());
  {
    std::vector<size_t> next(first.begin(), first.end() - 1);
    for (size_t i = 0; i < observations_.size(); ++i)
      order[next[observations_[i].series]++] = static_cast<uint32_t>(i);
  }
  auto by_day = [&](uint32_t a, uint32_t b) { return observations_[a].day < observations_[b].day; };
  for (size_t s = 0; s < series_count; ++s) {
    auto begin = order.begin() + static_cast<std::ptrdiff_t>(first[s]);
    auto end = order.begin() + static_cast<std::ptrdiff_t>(first[s + 1]);
    if (!std::is_sorted(begin, end, by_day)) std::stable_sort(begin, end, by_day);
  }

  // A series may exist only through covariates; that is an input error.
  for (size_t s = 0; s < series_count; ++s)
    if (first[s] == first[s + 1]) {
      const auto it = std::find_if(covariates_.begin(), covariates_.end(),
                                   [&](const CovariateObservation& c) { return c.series == s; });
      fail(ErrorCode::Data, "{}: series '{}' has covariates but no sales values",
           it != covariates_.end() ? describe(it->origin) : std::string("input"), series_ids_[s]);
    }

  // Output order: series sorted by id (byte order).
  std::vector<uint32_t> by_id(series_count);
  std::iota(by_id.begin(), by_id.end(), 0u);
  std::sort(by_id.begin(), by_id.end(),
            [&](uint32_t a, uint32_t b) { return series_ids_[a] < series_ids_[b]; });
  std::vector<uint32_t> rank(series_count);
  for (size_t r = 0; r < series_count; ++r) rank[by_id[r]] = static_cast<uint32_t>(r);

  Dataset out;
  out.series.resize(series_count);
  std::vector<size_t> negatives(series_count, 0);
  size_t total_negatives = 0, total_gaps = 0, series_with_gaps = 0;
  const Observation* first_negative = nullptr;
  std::string first_gap;

  // Day index within its series of each observation, in `order`: lets the
  // covariate pass below run over memory sequentially.
  std::vector<uint32_t> day_index(observations_.size());
  for (size_t s = 0; s < series_count; ++s) {
    Series& series = out.series[rank[s]];
    series.id = series_ids_[s];
    const Observation& head = observations_[order[first[s]]];
    const Observation& tail = observations_[order[first[s + 1] - 1]];
    series.start_day = head.day;
    const auto length = static_cast<size_t>(static_cast<int64_t>(tail.day) - head.day + 1);
    series.values.assign(length, 0.0);
    series.observed.assign(length, 0);
    const Observation* previous = nullptr;
    const Observation* after_first_gap = nullptr;  // the row that follows the first gap
    Day first_missing = 0;
    size_t present = 0;
    for (size_t i = first[s]; i < first[s + 1]; ++i) {
      const Observation& o = observations_[order[i]];
      if (previous != nullptr && o.day > previous->day + 1 && after_first_gap == nullptr) {
        after_first_gap = &o;
        first_missing = previous->day + 1;
      }
      double value = o.value;
      if (value < 0.0) {
        value = 0.0;
        ++negatives[s];
        if (first_negative == nullptr) first_negative = &o;
        ++total_negatives;
      }
      const size_t t = static_cast<size_t>(o.day - series.start_day);
      day_index[i] = static_cast<uint32_t>(t);
      if (previous != nullptr && previous->day == o.day) {
        if (options_.duplicates == DuplicatePolicy::Error)
          fail(ErrorCode::Data,
               "{}: column '{}': duplicate row for series '{}' on {} (first at {}); set "
               "duplicates=sum to add them",
               describe(o.origin), options_.date_column, series.id, format_iso_date(o.day),
               describe(previous->origin));
        series.values[t] += value;
      } else {
        series.values[t] = value;
        ++present;
      }
      series.observed[t] = 1;
      previous = &o;
    }
    const size_t gaps = length - present;
    if (gaps > 0) {
      const std::string missing_date = format_iso_date(first_missing);
      if (options_.missing_days == MissingDayPolicy::Error)
        fail(ErrorCode::Data,
             "{}: column '{}': series '{}' has {} missing day(s), the first on {}; set "
             "missing_days=zero to fill them with 0",
             describe(after_first_gap->origin), options_.date_column, series.id, gaps,
             missing_date);
      if (total_gaps == 0) first_gap = fmt::format("series '{}' on {}", series.id, missing_date);
      total_gaps += gaps;
      ++series_with_gaps;
    }
  }

  // Covariates, aligned with each series' calendar.
  out.columns.reserve(column_specs_.size());
  for (const Column& spec : column_specs_) {
    Column column;
    column.name = spec.name;
    column.numeric = spec.numeric;
    column.levels = spec.levels;
    if (column.numeric) {
      column.numeric_values.resize(series_count);
      for (size_t r = 0; r < series_count; ++r)
        column.numeric_values[r].assign(out.series[r].values.size(),
                                        std::numeric_limits<double>::quiet_NaN());
    } else {
      column.category_codes.resize(series_count);
      for (size_t r = 0; r < series_count; ++r)
        column.category_codes[r].assign(out.series[r].values.size(), -1);
    }
    out.columns.push_back(std::move(column));
  }
  for (const AttachedColumn& attached : attached_) {
    Column& column = out.columns[attached.column];
    for (size_t s = 0; s < series_count; ++s) {
      const Series& series = out.series[rank[s]];
      for (size_t k = first[s]; k < first[s + 1]; ++k) {
        const uint32_t i = order[k];
        const uint32_t t = day_index[k];
        const Day day = series.start_day + static_cast<Day>(t);
        const auto where = [&] { return describe(observations_[i].origin); };
        if (column.numeric)
          set_number(column.numeric_values[rank[s]][t], attached.numbers[i], column, series, day,
                     where);
        else
          set_code(column.category_codes[rank[s]][t], attached.codes[i], column, series, day,
                   where);
      }
    }
  }
  for (const CovariateObservation& c : covariates_) {
    Column& column = out.columns[c.column];
    const Series& series = out.series[rank[c.series]];
    if (c.day < series.start_day || c.day > series.end_day())
      fail(ErrorCode::Data,
           "{}: column '{}': date {} is outside the sales calendar of series '{}' ({} to {})",
           describe(c.origin), column.name, format_iso_date(c.day), series.id,
           format_iso_date(series.start_day), format_iso_date(series.end_day()));
    const auto t = static_cast<size_t>(c.day - series.start_day);
    const auto where = [&] { return describe(c.origin); };
    if (column.numeric)
      set_number(column.numeric_values[rank[c.series]][t], c.number, column, series, c.day, where);
    else
      set_code(column.category_codes[rank[c.series]][t], c.code, column, series, c.day, where);
  }

  out.past_only = options_.past_only;
  SeriesInputs{out};  // refuses a past-only name that is not a column

  if (total_gaps > 0)
    out.warnings.push_back(
        fmt::format("filled {} missing day(s) with 0 sales in {} series (first: {})", total_gaps,
                    series_with_gaps, first_gap));
  if (total_negatives > 0)
    out.warnings.push_back(fmt::format("clipped {} negative sales value(s) to 0 (first at {})",
                                       total_negatives, describe(first_negative->origin)));

  for (size_t r = 0; r < series_count; ++r) {
    Series& series = out.series[r];
    size_t outliers = 0;
    if (options_.outliers == OutlierPolicy::Clip) {
      double cap = 0.0;
      outliers = clip_outliers(series.values, options_.outlier_k, &cap);
      if (outliers > 0)
        out.warnings.push_back(fmt::format(
            "series '{}': clipped {} outlier(s) to {:.6g} (median + {} x MAD of non-zero sales)",
            series.id, outliers, cap, options_.outlier_k));
    }
    series.stats = compute_stats(series.values, series.observed);
    series.stats.clipped = negatives[by_id[r]] + outliers;
  }
  return out;
}

}  // namespace invforecast
