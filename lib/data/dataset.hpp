// A dataset of daily sales series on an aligned calendar, with covariates.
//
// Built in two steps: a DatasetBuilder collects raw observations in any order
// (from a CSV file or the C API's arrays), remembering where each came from so
// that errors can name a file, line and column; build() sorts, checks
// duplicates, fills missing days and applies the cleaning rules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"

namespace invforecast {

// Forecast horizons, and the future days a dataset holds, beyond ten years
// of days are refused before allocating.
inline constexpr size_t kMaxHorizon = 3660;

enum class DemandClass { Smooth = 0, Erratic = 1, Intermittent = 2, Lumpy = 3 };
const char* demand_class_name(DemandClass c);

// "After launch" means from the first day with sales > 0 to the last day.
struct SeriesStats {
  size_t length = 0;           // calendar days first..last
  size_t observed_days = 0;    // days present in the input
  size_t gap_days = 0;         // days filled because absent
  int64_t launch_offset = -1;  // index of the first sale, -1 if none
  double total = 0.0;          // sum of all values
  double mean = 0.0;           // mean daily sales after launch (0 if never sold)
  double zero_fraction = 0.0;  // share of zero days after launch (1 if never sold)
  // Mean interval (days) between consecutive non-zero sales after launch.
  // With fewer than two sales the interval is at least the days from launch
  // to the end (the whole length if never sold), which is used instead.
  double adi = 0.0;
  double cv2 = 0.0;    // population variance / mean^2 of non-zero sales (0 if < 2)
  double scale = 0.0;  // mean |y_t - y_{t-1}| after launch (RMSSE/MASE uses its own)
  size_t clipped = 0;  // values changed by negative/outlier rules
  DemandClass demand_class = DemandClass::Smooth;  // Syntetos-Boylan: ADI 1.32, CV2 0.49
};

// A series of the history, or a new product (no history: values empty,
// start_day the day after the dataset's last date) known from a future or
// a static file.
struct Series {
  std::string id;
  Day start_day = 0;              // date of values[0]
  std::vector<double> values;     // one per day, contiguous
  std::vector<uint8_t> observed;  // 1 where the day was in the input
  SeriesStats stats;
  // Days after end_day() the covariate columns cover too (from a future file).
  size_t future_days = 0;

  Day end_day() const { return start_day + static_cast<Day>(values.size()) - 1; }
  // Cells of every covariate column for this series: its history and future
  // days, or one for a new product with neither (known from a static file
  // alone), which holds its static attributes.  (truncated_before leaves a
  // series with no day before its cutoff none.)
  size_t cells() const { return std::max<size_t>(values.size() + future_days, 1); }
};

// A covariate aligned with each series' calendar: series s has
// series[s].cells() cells, index 0 on its start_day.  Numeric: NaN = unknown.
// Categorical: codes index `levels`, -1 = none.
struct Column {
  std::string name;
  bool numeric = true;
  std::vector<std::vector<double>> numeric_values;  // [series][day]
  std::vector<std::string> levels;
  std::vector<std::vector<int32_t>> category_codes;  // [series][day]
};

class Dataset {
 public:
  std::vector<Series> series;   // sorted by id
  std::vector<Column> columns;  // covariates, in input order
  std::vector<std::string> warnings;
  // Columns named past-only (IngestOptions::past_only) when it was read.
  std::vector<std::string> past_only;
  // A future file was read: every series' known-future covariates must then
  // cover a forecast's whole horizon (SeriesInputs::latest).
  bool has_future = false;

  // Index of a column by name, or -1.
  int find_column(std::string_view name) const;
  // Series restricted to days strictly before `cutoff` (dropping series that
  // would be empty is NOT done: a series with no day before cutoff keeps an
  // empty value vector so indices stay aligned).
  Dataset truncated_before(Day cutoff) const;
};

// Where an observation came from, for error messages: a source name (file
// path or "array input for series X"), a line (1-based; 0 if none) and a
// column name.
struct Origin {
  uint32_t source = 0;  // index into DatasetBuilder's source names
  uint64_t line = 0;
};

class DatasetBuilder {
 public:
  explicit DatasetBuilder(IngestOptions options);
  const IngestOptions& options() const { return options_; }

  uint32_t add_source(std::string name);
  // Value may be anything; checks (NaN, negative) happen here and throw
  // Error(Data) naming the origin and `column`.
  void add_value(std::string_view series_id, Day day, double value, Origin origin);
  void add_numeric(std::string_view series_id, std::string_view column, Day day, double value,
                   Origin origin);
  void add_categorical(std::string_view series_id, std::string_view column, Day day,
                       std::string_view value, Origin origin);
  // Declares a covariate column so it exists even if all its cells are empty.
  void declare_column(std::string_view column, bool numeric);
  // Whether a column of that name exists and is numeric; nullopt if none.
  std::optional<bool> column_is_numeric(std::string_view column) const;

  // Bulk path for readers that see whole rows (the CSV reader): series are
  // referred to by the handle series_handle() returns, and covariate columns
  // come as one cell per observation added so far, in insertion order.
  uint32_t series_handle(std::string_view id);
  void add_value(uint32_t series, Day day, double value, Origin origin);
  void reserve(size_t observations) { observations_.reserve(observations); }
  // `cells` (NaN = unknown) / `codes` (index into `levels`, -1 = none) hold
  // exactly one entry per value added so far, in the order they were added.
  void attach_numeric(std::string_view column, std::vector<double> cells);
  void attach_categorical(std::string_view column, std::vector<std::string> levels,
                          std::vector<int32_t> codes);

  // Throws Error(Data) for an empty dataset, duplicates (unless summed),
  // missing days (when refused); applies clipping and computes statistics.
  Dataset build() const;

 private:
  struct Observation {
    uint32_t series;
    Day day;
    double value;  // raw: negatives are clipped in build() so each series can count them
    Origin origin;
  };
  struct CovariateObservation {
    uint32_t series;
    uint32_t column;
    Day day;
    int32_t code;   // categorical columns
    double number;  // numeric columns
    Origin origin;
  };
  // Covariate cells attached to observations (bulk path), one per observation.
  struct AttachedColumn {
    uint32_t column;
    std::vector<double> numbers;
    std::vector<int32_t> codes;
  };
  uint32_t series_index(std::string_view id);
  uint32_t column_index(std::string_view name, bool numeric);
  std::string describe(Origin origin) const;
  void check_value(std::string_view series_id, double value, Origin origin) const;

  // Transparent hashing so lookups by string_view allocate nothing.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  IngestOptions options_;
  std::vector<std::string> sources_;
  std::vector<std::string> series_ids_;
  StringIndex series_lookup_;
  std::vector<Observation> observations_;
  std::vector<Column> column_specs_;  // names, kinds, levels only
  StringIndex column_lookup_;
  std::vector<StringIndex> level_lookup_;
  std::vector<CovariateObservation> covariates_;
  std::vector<AttachedColumn> attached_;
};

// Statistics of one aligned series (see SeriesStats); `clipped` is left 0
// for the caller to fill.
SeriesStats compute_stats(const std::vector<double>& values, const std::vector<uint8_t>& observed);

// Robust outlier rule: values above median + k * MAD of the non-zero values
// after launch are set to that cap.  Returns how many were changed and
// stores the cap in *cap (when some were changed).
size_t clip_outliers(std::vector<double>& values, double k, double* cap);

// Reads a long CSV (gzip if the path ends in .gz or starts with the gzip
// magic bytes) into a dataset.  Large files are parsed in slices on the
// thread pool (see core/thread_pool.hpp).  RFC 4180 quoting, with line
// breaks inside quoted fields; errors name the file, the first line of the
// record and the column.
Dataset read_csv(const std::string& path, const IngestOptions& options);
// The same with explicit slicing: at most `max_slices` slices of at least
// `min_slice_bytes` each (whole records).  The result never depends on them.
Dataset read_csv(const std::string& path, const IngestOptions& options, size_t min_slice_bytes,
                 size_t max_slices);

// Calendar features of a day: day of week (0=Mon), month (1..12), ISO week.
struct CalendarFeatures {
  int day_of_week;
  int month;
  int week_of_year;
};
CalendarFeatures calendar_features(Day day);

}  // namespace invforecast
