#include "data/dataset.hpp"

#include <algorithm>

namespace invforecast {

int Dataset::find_column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  return -1;
}

Dataset Dataset::truncated_before(Day cutoff) const {
  Dataset out;
  out.warnings = warnings;
  out.past_only = past_only;
  out.series.reserve(series.size());
  std::vector<size_t> kept(series.size());
  for (size_t s = 0; s < series.size(); ++s) {
    const Series& in = series[s];
    const int64_t days_before = static_cast<int64_t>(cutoff) - in.start_day;
    kept[s] = static_cast<size_t>(
        std::clamp<int64_t>(days_before, 0, static_cast<int64_t>(in.values.size())));
    Series cut;
    cut.id = in.id;
    cut.start_day = in.start_day;
    cut.values.assign(in.values.begin(), in.values.begin() + static_cast<std::ptrdiff_t>(kept[s]));
    cut.observed.assign(in.observed.begin(),
                        in.observed.begin() + static_cast<std::ptrdiff_t>(kept[s]));
    cut.stats = compute_stats(cut.values, cut.observed);
    // Cleaning happened on the full input; its count stays with the series.
    cut.stats.clipped = in.stats.clipped;
    out.series.push_back(std::move(cut));
  }
  out.columns.reserve(columns.size());
  for (const Column& column : columns) {
    Column cut;
    cut.name = column.name;
    cut.numeric = column.numeric;
    cut.levels = column.levels;
    auto prefix = [&](const auto& per_series, auto& into) {
      into.resize(per_series.size());
      for (size_t s = 0; s < per_series.size(); ++s)
        into[s].assign(per_series[s].begin(),
                       per_series[s].begin() +
                           static_cast<std::ptrdiff_t>(std::min(kept[s], per_series[s].size())));
    };
    if (column.numeric)
      prefix(column.numeric_values, cut.numeric_values);
    else
      prefix(column.category_codes, cut.category_codes);
    out.columns.push_back(std::move(cut));
  }
  return out;
}

CalendarFeatures calendar_features(Day day) {
  return {day_of_week(day), civil_from_days(day).month, iso_week(day)};
}

}  // namespace invforecast
