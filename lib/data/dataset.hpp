// A dataset of daily sales series on an aligned calendar, with covariates.
//
// Built in two steps: a DatasetBuilder collects raw observations in any order
// (from a CSV file or the C API's arrays), remembering where each came from so
// that errors can name a file, line and column; build() sorts, checks
// duplicates, fills missing days and applies the cleaning rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"

namespace invforecast {

enum class DemandClass { Smooth = 0, Erratic = 1, Intermittent = 2, Lumpy = 3 };
const char* demand_class_name(DemandClass c);

struct SeriesStats {
  size_t length = 0;         // calendar days first..last
  size_t observed_days = 0;  // days present in the input
  size_t gap_days = 0;       // days filled because absent
  int64_t launch_offset = -1;  // index of the first sale, -1 if none
  double total = 0.0;
  double mean = 0.0;           // mean daily sales after launch
  double zero_fraction = 0.0;  // after launch
  double adi = 0.0;            // average inter-demand interval (days) after launch
  double cv2 = 0.0;            // squared coefficient of variation of non-zero sales
  double scale = 0.0;          // mean |y_t - y_{t-1}| after launch (RMSSE/MASE uses its own)
  size_t clipped = 0;          // values changed by negative/outlier rules
  DemandClass demand_class = DemandClass::Smooth;
};

struct Series {
  std::string id;
  Day start_day = 0;                // date of values[0]
  std::vector<double> values;       // one per day, contiguous
  std::vector<uint8_t> observed;    // 1 where the day was in the input
  SeriesStats stats;

  Day end_day() const { return start_day + static_cast<Day>(values.size()) - 1; }
};

// A covariate aligned with each series' calendar.  Numeric: NaN = unknown.
// Categorical: codes index `levels`, -1 = none.
struct Column {
  std::string name;
  bool numeric = true;
  std::vector<std::vector<double>> numeric_values;    // [series][day]
  std::vector<std::string> levels;
  std::vector<std::vector<int32_t>> category_codes;   // [series][day]
};

class Dataset {
 public:
  std::vector<Series> series;      // sorted by id
  std::vector<Column> columns;     // covariates, in input order
  std::vector<std::string> warnings;

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

  // Throws Error(Data) for an empty dataset, duplicates (unless summed),
  // missing days (when refused); applies clipping and computes statistics.
  Dataset build() const;

 private:
  struct Observation {
    uint32_t series;
    Day day;
    double value;
    Origin origin;
  };
  struct CovariateObservation {
    uint32_t series;
    uint32_t column;
    Day day;
    double number;    // numeric columns
    int32_t code;     // categorical columns
    Origin origin;
  };
  uint32_t series_index(std::string_view id);
  uint32_t column_index(std::string_view name, bool numeric);
  std::string describe(Origin origin) const;

  IngestOptions options_;
  std::vector<std::string> sources_;
  std::vector<std::string> series_ids_;
  std::unordered_map<std::string, uint32_t> series_lookup_;
  std::vector<Observation> observations_;
  std::vector<Column> column_specs_;  // names, kinds, levels only
  std::unordered_map<std::string, uint32_t> column_lookup_;
  std::vector<std::unordered_map<std::string, int32_t>> level_lookup_;
  std::vector<CovariateObservation> covariates_;
  size_t negatives_clipped_ = 0;
};

SeriesStats compute_stats(const std::vector<double>& values, const std::vector<uint8_t>& observed);

// Reads a long CSV (gzip if the path ends in .gz) into a dataset.
Dataset read_csv(const std::string& path, const IngestOptions& options);

// Calendar features of a day: day of week (0=Mon), month (1..12), ISO week.
struct CalendarFeatures {
  int day_of_week;
  int month;
  int week_of_year;
};
CalendarFeatures calendar_features(Day day);

}  // namespace invforecast
