#include "model/features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "error.hpp"

namespace invforecast {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

// Running mean and variance (Welford), and the smallest value.
struct Moments {
  double count = 0, mean = 0, m2 = 0, min = std::numeric_limits<double>::infinity();
  void add(double x) {
    if (std::isnan(x)) return;
    count += 1;
    const double d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
    min = std::min(min, x);
  }
  void set(FeatureSpec& f) const {
    const double sd = count > 1 ? std::sqrt(m2 / count) : 0.0;
    f.mean = count > 0 ? mean : 0.0;
    f.scale = sd > 1e-12 ? sd : 1.0;
  }
};

double calendar_value(std::string_view name, Day day) {
  if (name == "day_of_month") return civil_from_days(day).day;
  return iso_week(day);  // week_of_year
}

// Training days of series s: those before its last holdout_days.
size_t training_days(const Dataset& data, size_t s, int64_t holdout_days) {
  const size_t n = data.series[s].values.size();
  return n > static_cast<size_t>(std::max<int64_t>(holdout_days, 0))
             ? n - static_cast<size_t>(std::max<int64_t>(holdout_days, 0))
             : 0;
}

FeatureSpec column_feature(const Dataset& data, const Column& column, FeatureRole role,
                           int64_t holdout_days) {
  FeatureSpec f;
  f.name = column.name;
  f.role = role;
  f.kind = column.numeric ? FeatureKind::Real : FeatureKind::Categorical;
  const bool statics = role == FeatureRole::StaticCovariate;
  if (column.numeric) {
    Moments m;
    for (size_t s = 0; s < data.series.size(); ++s) {
      const std::vector<double>& v = column.numeric_values[s];
      const size_t days = statics ? std::min<size_t>(v.size(), 1) : std::min(v.size(), training_days(data, s, holdout_days));
      for (size_t t = 0; t < days; ++t) m.add(v[t]);
    }
    m.set(f);
    f.log_ratio = !statics && m.count > 0 && m.min > 0.0;
  } else {
    std::vector<bool> seen(column.levels.size(), false);
    for (size_t s = 0; s < data.series.size(); ++s) {
      const std::vector<int32_t>& v = column.category_codes[s];
      const size_t days = statics ? std::min<size_t>(v.size(), 1) : std::min(v.size(), training_days(data, s, holdout_days));
      for (size_t t = 0; t < days; ++t)
        if (v[t] >= 0) seen[static_cast<size_t>(v[t])] = true;
    }
    for (size_t i = 0; i < column.levels.size(); ++i)
      if (seen[i]) f.levels.push_back(column.levels[i]);
    // A column with no level at all still has its vocabulary's unknown bucket; the format wants
    // one level, so the empty string stands for "never seen".
    if (f.levels.empty()) f.levels.push_back("");
  }
  return f;
}

// A column of the record by name: its view and whether the record holds it as static.
struct Found {
  const CovariateView* view = nullptr;
  bool constant = false;
};

Found find(const SeriesInput& input, std::string_view name) {
  for (const CovariateView& v : input.known)
    if (v.name == name) return {&v, false};
  for (const CovariateView& v : input.past)
    if (v.name == name) return {&v, false};
  for (const CovariateView& v : input.statics)
    if (v.name == name) return {&v, true};
  return {};
}

}  // namespace

std::vector<FeatureSpec> fit_features(const Dataset& data, const FeatureSelection& selection,
                                      int64_t holdout_days) {
  std::vector<FeatureSpec> features = target_features();
  if (selection.none) return features;
  for (const std::string& name : selection.columns)
    if (data.find_column(name) < 0)
      fail(ErrorCode::InvalidArgument, "covariate '{}' is not a column of the data", name);
  // The data's roles (SeriesInputs' rule; it refuses a past-only name that is not a column).
  const SeriesInputs roles(data, selection.past_only);
  for (size_t c = 0; c < data.columns.size() && !selection.calendar_only; ++c) {
    const Column& column = data.columns[c];
    if (!selection.columns.empty() &&
        std::find(selection.columns.begin(), selection.columns.end(), column.name) ==
            selection.columns.end())
      continue;
    FeatureRole role = FeatureRole::FutureCovariate;
    if (roles.role(c) == CovariateRole::PastOnly) {
      if (constant_per_series(column))
        fail(ErrorCode::InvalidArgument,
             "past-only covariate '{}' is constant within every series: it is static", column.name);
      role = FeatureRole::PastCovariate;
    } else if (roles.role(c) == CovariateRole::Static) {
      role = FeatureRole::StaticCovariate;
    }
    features.push_back(column_feature(data, column, role, holdout_days));
  }
  for (const char* name : kCalendarFeatures) {
    FeatureSpec f;
    f.name = name;
    f.role = FeatureRole::FutureCovariate;
    f.source = FeatureSource::Calendar;
    if (f.name == "day_of_week") {
      f.kind = FeatureKind::Categorical;
      f.levels.assign(std::begin(kWeekdays), std::end(kWeekdays));
    } else if (f.name == "month") {
      f.kind = FeatureKind::Categorical;
      for (int m = 1; m <= 12; ++m) f.levels.push_back(std::to_string(m));
    } else {
      Moments m;
      for (size_t s = 0; s < data.series.size(); ++s) {
        const size_t days = training_days(data, s, holdout_days);
        for (size_t t = 0; t < days; ++t)
          m.add(calendar_value(f.name, data.series[s].start_day + static_cast<Day>(t)));
      }
      m.set(f);
    }
    features.push_back(std::move(f));
  }
  validate_features(features);
  return features;
}

void CovariateArrays::resize(const layers::CovariateInputSizes& z, int64_t series) {
  auto n = [series](int64_t per_series) { return static_cast<size_t>(series * per_series); };
  context_real.resize(n(z.context_real));
  horizon_real.resize(n(z.horizon_real));
  static_real.resize(n(z.static_real));
  context_codes.resize(n(z.context_codes));
  horizon_codes.resize(n(z.horizon_codes));
  static_codes.resize(n(z.static_codes));
}

layers::CovariateBatch<float> CovariateArrays::batch() const {
  return layers::CovariateBatch<float>{context_real.data(),  horizon_real.data(),
                                       context_codes.data(), horizon_codes.data(),
                                       static_real.data(),   static_codes.data()};
}

FeatureEncoder::FeatureEncoder(const ModelConfig& config, std::vector<FeatureSpec> features)
    : config_(config), features_(std::move(features)) {
  validate_config(config_);
  validate_features(features_);
  layout_ = covariate_layout(config_, features_);
  sizes_ = layers::covariate_input_sizes(config_, layout_);
  vocabularies_.resize(features_.size());
  for (size_t f = 0; f < features_.size(); ++f)
    for (size_t i = 0; i < features_[f].levels.size(); ++i)
      vocabularies_[f].emplace(features_[f].levels[i], static_cast<int32_t>(i + 1));
}

void FeatureEncoder::encode(const SeriesInput& input, int64_t row, CovariateArrays& out,
                            int64_t horizon_days) const {
  const int64_t L = config_.context_length, H = config_.horizon;
  const int64_t needed = horizon_days < 0 ? H : std::min(horizon_days, H);
  const auto origin = static_cast<int64_t>(input.target.size());
  const int64_t first = origin - L;  // record index of context day 0 (negative: before the start)
  const CovariateLayout& l = layout_;
  auto date = [&](int64_t index) { return input.start + static_cast<Day>(index); };

  // The value of a column feature at a record index (NaN where the record has none).
  auto column_value = [](const Found& c, int64_t index) {
    if (c.constant) return c.view->size() > 0 ? c.view->values[0] : kNaN;
    return index >= 0 && index < static_cast<int64_t>(c.view->size())
               ? c.view->values[static_cast<size_t>(index)]
               : kNaN;
  };
  auto require = [&](const FeatureSpec& f) {
    const Found c = find(input, f.name);
    if (!c.view)
      fail(ErrorCode::InvalidArgument, "series '{}' has no covariate '{}', which the model reads",
           input.id, f.name);
    if (c.view->numeric != (f.kind == FeatureKind::Real))
      fail(ErrorCode::InvalidArgument, "covariate '{}' of series '{}' is {}, the model read it as {}",
           f.name, input.id, c.view->numeric ? "numeric" : "categorical",
           c.view->numeric ? "categorical" : "numeric");
    if (f.role == FeatureRole::FutureCovariate && !c.constant &&
        static_cast<int64_t>(c.view->size()) < origin + needed)
      fail(ErrorCode::InvalidArgument,
           "known-future covariate '{}' of series '{}' covers {} of the {} days after the origin "
           "(give them with a future file)",
           f.name, input.id, std::max<int64_t>(0, static_cast<int64_t>(c.view->size()) - origin),
           needed);
    return c;
  };

  // Real channels: value, then log ratio.  writes channel values for record indices
  // [begin, begin + days) into dst (row stride ld).
  auto write_real = [&](const FeatureSpec& f, int64_t begin, int64_t days, float* dst, int64_t ld,
                        const Found* c, double ref) {
    for (int64_t t = 0; t < days; ++t) {
      const int64_t index = begin + t;
      const double x = f.source == FeatureSource::Calendar ? calendar_value(f.name, date(index))
                                                           : column_value(*c, index);
      dst[t * ld] = std::isnan(x) ? 0.0f : static_cast<float>((x - f.mean) / f.scale);
      if (f.log_ratio)
        dst[t * ld + 1] = (x > 0.0 && ref > 0.0) ? static_cast<float>(std::log(x / ref)) : 0.0f;
    }
  };
  auto reference = [&](const FeatureSpec& f, const Found& c) {
    if (!f.log_ratio) return 0.0;
    auto mean_over = [&](int64_t begin, int64_t end) {
      double sum = 0;
      int64_t n = 0;
      for (int64_t i = std::max<int64_t>(begin, 0); i < end; ++i) {
        const double x = column_value(c, i);
        if (x > 0.0) sum += x, ++n;
      }
      return n > 0 ? sum / static_cast<double>(n) : 0.0;
    };
    const double context = mean_over(first, origin);
    return context > 0.0 ? context : mean_over(origin, origin + H);
  };

  const int64_t R = l.real_columns(), Rk = l.known_real_channels;
  float* context_real = out.context_real.data() + row * sizes_.context_real;
  float* horizon_real = out.horizon_real.data() + row * sizes_.horizon_real;
  int64_t channel = 0;
  for (const std::vector<size_t>* group : {&l.known_real, &l.past_real})
    for (size_t index : *group) {
      const FeatureSpec& f = features_[index];
      Found c;
      if (f.source == FeatureSource::Column) c = require(f);
      const double ref = f.source == FeatureSource::Column ? reference(f, c) : 0.0;
      write_real(f, first, L, context_real + channel, R, &c, ref);
      if (f.role == FeatureRole::FutureCovariate)
        write_real(f, origin, H, horizon_real + channel, Rk, &c, ref);
      channel += f.log_ratio ? 2 : 1;
    }

  // Categorical codes, through the model's vocabulary.
  const int64_t K = l.code_columns(), Kk = static_cast<int64_t>(l.known_categorical.size());
  int32_t* context_codes = out.context_codes.data() + row * sizes_.context_codes;
  int32_t* horizon_codes = out.horizon_codes.data() + row * sizes_.horizon_codes;
  // cache: the model's row of each of the data's levels met so far (-1: not looked up yet).
  auto write_codes = [&](size_t feature, int64_t begin, int64_t days, int32_t* dst, int64_t ld,
                         const Found& c, std::vector<int32_t>& cache) {
    const FeatureSpec& f = features_[feature];
    for (int64_t t = 0; t < days; ++t) {
      const int64_t index = begin + t;
      int32_t code = 0;
      if (f.source == FeatureSource::Calendar) {
        const Day d = date(index);
        code = f.name == "day_of_week" ? day_of_week(d) + 1 : civil_from_days(d).month;
      } else {
        const int64_t at = c.constant ? 0 : index;
        if (at >= 0 && at < static_cast<int64_t>(c.view->size())) {
          const int32_t data_code = c.view->codes[static_cast<size_t>(at)];
          if (data_code >= 0 && static_cast<size_t>(data_code) < cache.size()) {
            int32_t& mapped = cache[static_cast<size_t>(data_code)];
            if (mapped < 0) {
              const auto& vocabulary = vocabularies_[feature];
              const auto it = vocabulary.find(c.view->levels[static_cast<size_t>(data_code)]);
              mapped = it == vocabulary.end() ? 0 : it->second;
            }
            code = mapped;
          }
        }
      }
      dst[t * ld] = code;
    }
  };
  int64_t code_column = 0;
  for (const std::vector<size_t>* group : {&l.known_categorical, &l.past_categorical})
    for (size_t index : *group) {
      const FeatureSpec& f = features_[index];
      Found c;
      std::vector<int32_t> cache;
      if (f.source == FeatureSource::Column) {
        c = require(f);
        cache.assign(c.view->levels.size(), -1);
      }
      write_codes(index, first, L, context_codes + code_column, K, c, cache);
      if (f.role == FeatureRole::FutureCovariate)
        write_codes(index, origin, H, horizon_codes + code_column, Kk, c, cache);
      ++code_column;
    }

  // Statics: the series' value, which must not vary over the context.
  auto static_index = [&](const FeatureSpec& f, const Found& c) -> int64_t {
    if (c.constant || c.view->size() == 0) return 0;
    const int64_t last = std::min<int64_t>(origin, static_cast<int64_t>(c.view->size())) - 1;
    const int64_t begin = std::max<int64_t>(first, 0);
    for (int64_t i = begin; i < last; ++i) {
      const bool same = c.view->numeric
                            ? (c.view->values[static_cast<size_t>(i)] == c.view->values[static_cast<size_t>(last)] ||
                               (std::isnan(c.view->values[static_cast<size_t>(i)]) &&
                                std::isnan(c.view->values[static_cast<size_t>(last)])))
                            : c.view->codes[static_cast<size_t>(i)] == c.view->codes[static_cast<size_t>(last)];
      if (!same)
        fail(ErrorCode::InvalidArgument,
             "static covariate '{}' of series '{}' varies within the series", f.name, input.id);
    }
    return std::max<int64_t>(last, 0);
  };
  float* static_real = out.static_real.data() + row * sizes_.static_real;
  for (size_t j = 0; j < l.static_real.size(); ++j) {
    const FeatureSpec& f = features_[l.static_real[j]];
    const Found c = require(f);
    const int64_t at = static_index(f, c);
    const double x = c.view->size() > 0 ? c.view->values[static_cast<size_t>(at)] : kNaN;
    static_real[j] = std::isnan(x) ? 0.0f : static_cast<float>((x - f.mean) / f.scale);
  }
  int32_t* static_codes = out.static_codes.data() + row * sizes_.static_codes;
  for (size_t j = 0; j < l.static_categorical.size(); ++j) {
    const FeatureSpec& f = features_[l.static_categorical[j]];
    const Found c = require(f);
    std::vector<int32_t> cache(c.view->levels.size(), -1);
    write_codes(l.static_categorical[j], static_index(f, c), 1, static_codes + j, 1, c, cache);
  }
}

}  // namespace invforecast
