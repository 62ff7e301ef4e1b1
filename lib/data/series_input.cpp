#include "data/series_input.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace invforecast {

namespace {

CovariateView view_of(const Column& column, size_t series) {
  CovariateView v;
  v.name = column.name;
  v.numeric = column.numeric;
  if (column.numeric)
    v.values = column.numeric_values[series];
  else {
    v.codes = column.category_codes[series];
    v.levels = column.levels;
  }
  return v;
}

}  // namespace

bool constant_per_series(const Column& column) {
  if (column.numeric) {
    for (const std::vector<double>& days : column.numeric_values)
      for (double v : days)
        if (!(v == days.front() || (std::isnan(v) && std::isnan(days.front())))) return false;
    return true;
  }
  for (const std::vector<int32_t>& days : column.category_codes)
    if (std::any_of(days.begin(), days.end(), [&](int32_t c) { return c != days.front(); }))
      return false;
  return true;
}

CovariateView CovariateView::slice(size_t offset, size_t count) const {
  CovariateView v = *this;
  if (numeric)
    v.values = values.subspan(offset, count);
  else
    v.codes = codes.subspan(offset, count);
  return v;
}

size_t SeriesInput::known_days() const {
  size_t days = known.empty() ? 0 : SIZE_MAX;
  for (const CovariateView& c : known) days = std::min(days, c.size() - target.size());
  return days;
}

SeriesInput SeriesInput::from(size_t days) const {
  SeriesInput out = *this;
  out.start = start + static_cast<Day>(days);
  out.target = target.subspan(days);
  for (CovariateView& c : out.past) c = c.slice(days, c.size() - days);
  for (CovariateView& c : out.known) c = c.slice(days, c.size() - days);
  return out;
}

SeriesInput SeriesInput::before(size_t origin, size_t horizon) const {
  if (origin > target.size())
    fail(ErrorCode::InvalidArgument, "series input '{}': origin {} is past its {} days", id,
         origin, target.size());
  SeriesInput out = *this;
  out.target = target.first(origin);
  for (CovariateView& c : out.past) c = c.slice(0, origin);
  for (CovariateView& c : out.known) c = c.slice(0, std::min(c.size(), origin + horizon));
  return out;
}

void fill_context(std::span<const double> history, std::span<float> row) {
  const size_t kept = std::min(history.size(), row.size());
  const size_t pad = row.size() - kept;
  std::fill(row.begin(), row.begin() + static_cast<ptrdiff_t>(pad), 0.0f);
  std::transform(history.end() - static_cast<ptrdiff_t>(kept), history.end(),
                 row.begin() + static_cast<ptrdiff_t>(pad),
                 [](double v) { return static_cast<float>(v); });
}

SeriesInputs::SeriesInputs(const Dataset& data, std::span<const std::string> past_only)
    : data_(&data) {
  const std::span<const std::string> lists[] = {past_only, data.past_only};
  for (std::span<const std::string> list : lists)
    for (const std::string& name : list)
      if (data.find_column(name) < 0)
        fail(ErrorCode::InvalidArgument, "past-only covariate '{}' is not a column of the data",
             name);
  const auto named = [&](const std::string& name) {
    return std::ranges::any_of(lists, [&](std::span<const std::string> list) {
      return std::ranges::find(list, name) != list.end();
    });
  };
  for (const Column& column : data.columns) {
    const bool past = named(column.name);
    roles_.push_back(past ? CovariateRole::PastOnly
                          : constant_per_series(column) ? CovariateRole::Static
                                                        : CovariateRole::KnownFuture);
  }
}

SeriesInput SeriesInputs::at(size_t series, size_t origin, size_t horizon) const {
  if (series >= data_->series.size())
    fail(ErrorCode::InvalidArgument, "series index {} is out of range (count {})", series,
         data_->series.size());
  const Series& s = data_->series[series];
  if (origin > s.values.size())
    fail(ErrorCode::InvalidArgument, "series '{}': origin {} is past its {} days", s.id, origin,
         s.values.size());
  SeriesInput in;
  in.id = s.id;
  in.start = s.start_day;
  in.target = std::span<const double>(s.values).first(origin);
  const size_t known_end = std::min(s.values.size() + s.future_days, origin + horizon);
  for (size_t c = 0; c < data_->columns.size(); ++c) {
    const CovariateView all = view_of(data_->columns[c], series);
    switch (roles_[c]) {
      case CovariateRole::Static:
        if (all.size() > 0) in.statics.push_back(all.slice(0, 1));
        break;
      case CovariateRole::PastOnly: in.past.push_back(all.slice(0, origin)); break;
      case CovariateRole::KnownFuture: in.known.push_back(all.slice(0, known_end)); break;
    }
  }
  return in;
}

SeriesInput SeriesInputs::latest(size_t series, size_t horizon) const {
  if (series >= data_->series.size())
    fail(ErrorCode::InvalidArgument, "series index {} is out of range (count {})", series,
         data_->series.size());
  const Series& s = data_->series[series];
  const bool known_future = std::ranges::find(roles_, CovariateRole::KnownFuture) != roles_.end();
  if (data_->has_future && known_future && s.future_days < horizon)
    fail(ErrorCode::Data,
         "series '{}': the future covariates cover {} day(s) after its history, to {}; the "
         "horizon of {} days needs them to {}",
         s.id, s.future_days, format_iso_date(s.end_day() + static_cast<Day>(s.future_days)),
         horizon, format_iso_date(s.end_day() + static_cast<Day>(horizon)));
  return at(series, s.values.size(), horizon);
}

}  // namespace invforecast
