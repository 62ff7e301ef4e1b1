#include "methods/cold_start.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace invforecast {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A static attribute's value as text ("" when unknown), for matching and for the note.
std::string static_value(const CovariateView& v) {
  if (v.numeric) return v.values.empty() || std::isnan(v.values[0]) ? "" : fmt::format("{}", v.values[0]);
  if (v.codes.empty() || v.codes[0] < 0) return "";
  return v.levels[static_cast<size_t>(v.codes[0])];
}

}  // namespace

// A new product's record storage: the analogue target and its covariates
// over those days (unknown) and after them (its own).
struct ColdStart::Product {
  std::vector<double> target;
  std::vector<std::vector<double>> numeric;  // per time-varying view, in record order
  std::vector<std::vector<int32_t>> codes;
  std::string note;
  size_t analogues = 0;
};

ColdStart::ColdStart(const SeriesInputs& inputs, size_t days) : inputs_(&inputs) {
  const Dataset& data = inputs.data();
  const size_t count = data.series.size();
  std::vector<size_t> with_history;
  Day first = std::numeric_limits<Day>::max(), last = std::numeric_limits<Day>::min();
  for (size_t s = 0; s < count; ++s)
    if (!data.series[s].values.empty()) {
      with_history.push_back(s);
      first = std::min(first, data.series[s].start_day);
      last = std::max(last, data.series[s].end_day());
    }
  products_.resize(count);
  // No new product, or nothing to learn from (the methods' own rule applies): nothing to do.
  if (with_history.size() == count || with_history.empty()) return;
  if (days == 0) days = static_cast<size_t>(last - first + 1);
  days_ = days;
  const Day first_day = last - static_cast<Day>(days) + 1;

  // Each series' statics as name -> value text, computed once.
  auto statics_of = [&](size_t s) {
    std::vector<std::pair<std::string_view, std::string>> out;
    for (const CovariateView& v : inputs.at(s, 0, 0).statics) out.emplace_back(v.name, static_value(v));
    return out;
  };
  std::vector<std::vector<std::pair<std::string_view, std::string>>> candidate_statics;
  for (size_t s : with_history) candidate_statics.push_back(statics_of(s));

  for (size_t s = 0; s < count; ++s) {
    const Series& series = data.series[s];
    if (!series.values.empty()) continue;
    const auto own = statics_of(s);
    // Shared attributes of each candidate; the analogues share the most.
    std::vector<size_t> shared(with_history.size(), 0);
    size_t best = 0;
    for (size_t c = 0; c < with_history.size(); ++c) {
      for (const auto& [name, value] : own) {
        if (value.empty()) continue;
        for (const auto& [other_name, other_value] : candidate_statics[c])
          if (other_name == name && other_value == value) ++shared[c];
      }
      best = std::max(best, shared[c]);
    }
    std::vector<size_t> analogues;
    for (size_t c = 0; c < with_history.size(); ++c)
      if (shared[c] == best) analogues.push_back(with_history[c]);

    auto product = std::make_unique<Product>();
    product->target.assign(days, 0.0);
    for (size_t d = 0; d < days; ++d) {
      const Day day = first_day + static_cast<Day>(d);
      double sum = 0.0;
      size_t n = 0;
      for (size_t a : analogues) {
        const Series& other = data.series[a];
        if (day < other.start_day || day > other.end_day()) continue;
        const double v = other.values[static_cast<size_t>(day - other.start_day)];
        if (std::isnan(v)) continue;
        sum += v;
        ++n;
      }
      if (n > 0) product->target[d] = sum / static_cast<double>(n);
    }
    // Each day's covariates: the first analogue's that has the day (a shared calendar: open
    // days, events, SNAP days), then the product's own future.
    std::vector<SeriesInput> records;
    for (size_t a : analogues) records.push_back(inputs.at(a, data.series[a].values.size(), 0));
    const SeriesInput full = inputs.at(s, 0, series.future_days);
    for (const bool past : {true, false}) {
      const std::vector<CovariateView>& views = past ? full.past : full.known;
      for (size_t j = 0; j < views.size(); ++j) {
        const CovariateView& v = views[j];
        std::vector<double>* values = v.numeric ? &product->numeric.emplace_back(days, kNaN) : nullptr;
        std::vector<int32_t>* codes = v.numeric ? nullptr : &product->codes.emplace_back(days, -1);
        for (size_t d = 0; d < days; ++d) {
          const Day day = first_day + static_cast<Day>(d);
          for (size_t r = 0; r < records.size(); ++r) {
            const Series& other = data.series[analogues[r]];
            if (day < other.start_day || day > other.end_day()) continue;
            const CovariateView& from = past ? records[r].past[j] : records[r].known[j];
            const auto at = static_cast<size_t>(day - other.start_day);
            if (values) (*values)[d] = from.values[at];
            if (codes) (*codes)[d] = from.codes[at];
            break;
          }
        }
        if (values) values->insert(values->end(), v.values.begin(), v.values.end());
        if (codes) codes->insert(codes->end(), v.codes.begin(), v.codes.end());
      }
    }
    std::string basis;
    size_t known = 0;
    for (const auto& [name, value] : own)
      if (!value.empty()) basis += fmt::format("{}{}={}", known++ == 0 ? "" : ", ", name, value);
    product->note = fmt::format(
        "series '{}' is a new product (no history): forecast from the mean daily sales of {} series "
        "{} over the last {} days",
        series.id, analogues.size(),
        best > 0 ? fmt::format("sharing {} of its {} attributes ({})", best, known, basis)
                 : std::string("(no attribute to match: every series with a history)"),
        days);
    product->analogues = analogues.size();
    products_[s] = std::move(product);
  }
}

ColdStart::~ColdStart() = default;

bool ColdStart::is_new(size_t series) const {
  return series < products_.size() && products_[series] != nullptr;
}

const std::string& ColdStart::note(size_t series) const {
  return is_new(series) ? products_[series]->note : no_note_;
}

size_t ColdStart::analogues(size_t series) const {
  return is_new(series) ? products_[series]->analogues : 0;
}

SeriesInput ColdStart::input(size_t series, size_t horizon) const {
  SeriesInput base = inputs_->latest(series, horizon);  // checks the future file's coverage
  if (!is_new(series)) return base;
  const Product& product = *products_[series];
  SeriesInput out = base;
  out.start = base.start - static_cast<Day>(days_);
  out.target = product.target;
  size_t numeric = 0, codes = 0;
  const size_t known_end = days_ + (base.known.empty() ? 0 : base.known.front().size());
  for (std::vector<CovariateView>* group : {&out.past, &out.known})
    for (CovariateView& v : *group) {
      const size_t size = group == &out.past ? days_ : known_end;
      if (v.numeric)
        v.values = std::span<const double>(product.numeric[numeric++]).first(size);
      else
        v.codes = std::span<const int32_t>(product.codes[codes++]).first(size);
    }
  return out;
}

}  // namespace invforecast
