#include "methods/explain.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <span>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "methods/cold_start.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/model_forecaster.hpp"

namespace invforecast {

std::string_view to_string(ExplanationGroupKind kind) {
  switch (kind) {
    case ExplanationGroupKind::History: return "history";
    case ExplanationGroupKind::KnownFuture: return "known_future";
    case ExplanationGroupKind::PastOnly: return "past_only";
    case ExplanationGroupKind::Calendar: return "calendar";
    case ExplanationGroupKind::Static: return "static";
  }
  return "unknown";
}

namespace {

// The groups of a model's features (explain.hpp) and the group of each feature.
struct Grouping {
  std::vector<ExplanationGroup> groups;
  std::vector<int> of_feature;
};

Grouping group_features(const std::vector<FeatureSpec>& features, bool by_role) {
  using Kind = ExplanationGroupKind;
  Grouping g;
  g.of_feature.assign(features.size(), -1);
  // By name and kind: a column named "calendar" is not the calendar.
  auto join = [&g, &features](size_t feature, const std::string& name, Kind kind) {
    auto it = std::find_if(g.groups.begin(), g.groups.end(), [&](const ExplanationGroup& group) {
      return group.name == name && group.kind == kind;
    });
    if (it == g.groups.end()) {
      g.groups.push_back(ExplanationGroup{name, kind, {}, {}, {}});
      it = g.groups.end() - 1;
    }
    it->features.push_back(features[feature].name);
    g.of_feature[feature] = static_cast<int>(it - g.groups.begin());
  };
  // History first, then the columns in feature order, the calendar, the statics.
  for (size_t f = 0; f < features.size(); ++f)
    if (features[f].role == FeatureRole::Target) join(f, "history", Kind::History);
  for (size_t f = 0; f < features.size(); ++f) {
    const FeatureSpec& spec = features[f];
    const bool past = spec.role == FeatureRole::PastCovariate;
    if (spec.source != FeatureSource::Column || (!past && spec.role != FeatureRole::FutureCovariate))
      continue;
    const Kind kind = past ? Kind::PastOnly : Kind::KnownFuture;
    join(f, by_role ? std::string(to_string(kind)) : spec.name, kind);
  }
  for (size_t f = 0; f < features.size(); ++f)
    if (features[f].source == FeatureSource::Calendar) join(f, "calendar", Kind::Calendar);
  for (size_t f = 0; f < features.size(); ++f)
    if (features[f].role == FeatureRole::StaticCovariate) join(f, "static", Kind::Static);

  for (size_t i = 0; i < g.groups.size(); ++i) {
    ExplanationGroup& group = g.groups[i];
    if (group.kind == Kind::History) {
      group.baseline = "every context day at the mean of the series' days in the context";
      continue;
    }
    bool real = false, categorical = false;
    for (size_t f = 0; f < features.size(); ++f)
      if (g.of_feature[f] == static_cast<int>(i))
        (features[f].kind == FeatureKind::Real ? real : categorical) = true;
    group.baseline = real && categorical ? "reals at the training mean, categoricals in the unknown bucket"
                     : real              ? "the training mean"
                                         : "the unknown bucket";
  }
  return g;
}

// The group of every column of the covariate arrays (layers::CovariateBatch):
// the horizon's are the first columns of the context's (known-future first).
struct ColumnGroups {
  std::vector<int> reals, codes, static_reals, static_codes;
};

ColumnGroups column_groups(const CovariateLayout& l, const std::vector<FeatureSpec>& features,
                           const std::vector<int>& of_feature) {
  ColumnGroups c;
  for (const std::vector<size_t>* group : {&l.known_real, &l.past_real})
    for (size_t f : *group) c.reals.insert(c.reals.end(), features[f].log_ratio ? size_t{2} : size_t{1}, of_feature[f]);
  for (const std::vector<size_t>* group : {&l.known_categorical, &l.past_categorical})
    for (size_t f : *group) c.codes.push_back(of_feature[f]);
  for (size_t f : l.static_real) c.static_reals.push_back(of_feature[f]);
  for (size_t f : l.static_categorical) c.static_codes.push_back(of_feature[f]);
  return c;
}

// Row `row` of `out`: the actual arrays of one series, every column of a group outside `mask`
// at its baseline (0: the training mean, or the unknown bucket).
void write_coalition(uint32_t mask, const CovariateArrays& actual, const ColumnGroups& groups,
                     const CovariateLayout& l, const layers::CovariateInputSizes& z, int64_t row,
                     CovariateArrays& out) {
  auto put = [&](const auto& source, auto& target, const std::vector<int>& column_group,
                 int64_t per_series, int64_t columns) {
    if (per_series == 0) return;
    auto* at = target.data() + row * per_series;
    std::copy(source.begin(), source.end(), at);
    for (int64_t i = 0; i < per_series; ++i)
      if (((mask >> column_group[static_cast<size_t>(i % columns)]) & 1u) == 0) at[i] = 0;
  };
  const auto known_codes = static_cast<int64_t>(l.known_categorical.size());
  // The horizon's columns are the context's first ones (known-future first).
  put(actual.context_real, out.context_real, groups.reals, z.context_real, l.real_columns());
  put(actual.horizon_real, out.horizon_real, groups.reals, z.horizon_real, l.known_real_channels);
  put(actual.context_codes, out.context_codes, groups.codes, z.context_codes, l.code_columns());
  put(actual.horizon_codes, out.horizon_codes, groups.codes, z.horizon_codes, known_codes);
  put(actual.static_real, out.static_real, groups.static_reals, z.static_real, z.static_real);
  put(actual.static_codes, out.static_codes, groups.static_codes, z.static_codes, z.static_codes);
}

// weight[s] = s! (G - s - 1)! / G! = 1 / (G * C(G - 1, s)), the Shapley weight of a coalition
// of s groups.
std::vector<double> shapley_weights(size_t G) {
  std::vector<double> weight(G);
  double binomial = 1.0;  // C(G - 1, s)
  for (size_t s = 0; s < G; ++s) {
    weight[s] = 1.0 / (static_cast<double>(G) * binomial);
    binomial = binomial * static_cast<double>(G - 1 - s) / static_cast<double>(s + 1);
  }
  return weight;
}

// The days each patch of the context covers (positions past its end read its last day), and
// how many of them are padding.
void describe_patches(const ModelConfig& c, Day first_day, size_t history_days, Explanation& e) {
  const int64_t L = c.context_length, padded = L - static_cast<int64_t>(history_days);
  const Day context_start = first_day - static_cast<Day>(L);
  for (int64_t t = 0; t < c.num_tokens(); ++t) {
    const int64_t first = std::min(t * c.stride, L - 1);
    const int64_t last = std::min(t * c.stride + c.patch_length - 1, L - 1);
    e.patch_first.push_back(context_start + static_cast<Day>(first));
    e.patch_last.push_back(context_start + static_cast<Day>(last));
    e.patch_padding.push_back(std::clamp<int64_t>(padded - first, 0, last - first + 1));
  }
}

}  // namespace

Explanation explain_forecast(const ModelRuntime& runtime, const SeriesInput& input,
                             size_t horizon, const ForecastOptions& options) {
  require_forecasting_model(runtime);
  const EncoderModel& model = runtime.model();
  const ModelConfig& c = model.config();
  require_horizon(horizon);
  require_model_horizon(c, horizon);
  if (!options.open_column.empty())
    fail(ErrorCode::InvalidArgument,
         "option open_column does not apply to an explanation, which explains the model's own "
         "output (closed days are set to 0 after it)");
  if (input.target.empty())
    fail(ErrorCode::InvalidArgument,
         "series '{}' has no history (a new product): there is no past to explain; explain it "
         "by its analogues' record (ColdStart::input, as explain_series does)",
         input.id);
  const auto L = static_cast<size_t>(c.context_length);
  const auto levels = static_cast<size_t>(c.num_quantiles());
  const auto H = static_cast<size_t>(c.horizon);
  const int64_t outputs = model.outputs_per_series();

  Explanation e;
  e.series_id = std::string(input.id);
  e.first_day = input.start + static_cast<Day>(input.target.size());
  e.horizon = horizon;
  e.levels = c.quantiles;
  e.mean_definition = c.head == HeadKind::NegBin
                          ? "the negative binomial distribution's mean mu (the forecast's mean; "
                            "its quantiles are whole units)"
                          : "the average of the day's quantiles";
  e.warning = short_history_warning(input.id, input.target.size(), L, options.strict);
  e.history_days = std::min(input.target.size(), L);

  const std::vector<FeatureSpec>& features = model.file().metadata().features;
  Grouping grouping = group_features(features, false);
  if (grouping.groups.size() > kMaxExplanationGroups) grouping = group_features(features, true);
  const size_t G = grouping.groups.size();

  // The actual inputs and the history's baseline.
  std::vector<float> context(L), flat(L);
  fill_context(input.target, context);
  const std::span<const double> window = input.target.last(e.history_days);
  const double level = std::accumulate(window.begin(), window.end(), 0.0) /
                       static_cast<double>(e.history_days);
  std::fill(flat.begin(), flat.end(), static_cast<float>(level));
  const bool with_covariates = model.has_covariates();
  const FeatureEncoder& encoder = runtime.features();
  CovariateArrays actual;
  if (with_covariates) {
    actual.resize(encoder.sizes(), 1);
    encoder.encode(input, 0, actual, static_cast<int64_t>(horizon));
  }
  const ColumnGroups columns = column_groups(model.layout(), features, grouping.of_feature);

  // f(S) for every coalition S (bit g: group g actual), in chunks that keep the arrays small.
  // The last chunk, a tile's worth, ends with every group actual (the actual inputs) and hands
  // out the attention too, so the coalitions are the only forecast.
  const size_t coalitions = size_t{1} << G;
  std::vector<float> f(coalitions * static_cast<size_t>(outputs));
  std::vector<float> own_mean = model_mean_buffer(c, coalitions);  // a negbin head's mu
  constexpr size_t kChunk = 256;
  const size_t tail = std::min(static_cast<size_t>(EncoderWorkspace::kDefaultTileSeries), coalitions);
  const int64_t N = c.num_tokens(), heads = c.heads;
  const auto attention_floats = static_cast<size_t>(c.layers * heads * N * N);
  std::vector<float> probabilities(tail * attention_floats);
  std::vector<float> contexts(std::min(kChunk, coalitions) * L);
  CovariateArrays arrays;
  for (size_t first = 0, n = 0; first < coalitions; first += n) {
    const bool last = first + tail == coalitions;
    n = last ? tail : std::min(kChunk, coalitions - tail - first);
    if (with_covariates) arrays.resize(encoder.sizes(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) {
      const auto mask = static_cast<uint32_t>(first + i);
      const std::vector<float>& history = (mask & 1u) != 0 ? context : flat;  // group 0: history
      std::copy(history.begin(), history.end(), contexts.begin() + static_cast<ptrdiff_t>(i * L));
      if (with_covariates)
        write_coalition(mask, actual, columns, model.layout(), encoder.sizes(),
                        static_cast<int64_t>(i), arrays);
    }
    const layers::CovariateBatch<float> batch = arrays.batch();
    runtime.forecast(options.threads, contexts.data(), static_cast<int64_t>(n),
                     f.data() + first * static_cast<size_t>(outputs),
                     with_covariates ? &batch : nullptr,
                     {.mean = own_mean.empty() ? nullptr : own_mean.data() + first * H,
                      .attention = last ? probabilities.data() : nullptr});
  }

  // Every coalition's values as the forecast reports them (set_model_forecast: its quantiles,
  // and its mean, the model's own or the quantiles' average), [coalitions, quantiles then mean].
  const size_t used = horizon * levels, width = used + horizon;
  std::vector<double> values(coalitions * width);
  for (size_t mask = 0; mask < coalitions; ++mask) {
    SeriesForecast v;
    set_model_forecast(f.data() + mask * static_cast<size_t>(outputs),
                       own_mean.empty() ? nullptr : own_mean.data() + mask * H, horizon, levels, v);
    std::copy(v.quantiles.begin(), v.quantiles.end(), values.begin() + static_cast<ptrdiff_t>(mask * width));
    std::copy(v.mean.begin(), v.mean.end(), values.begin() + static_cast<ptrdiff_t>(mask * width + used));
  }
  auto row = [&](size_t mask) {
    const auto at = values.begin() + static_cast<ptrdiff_t>(mask * width);
    return ExplainedValues{{at + static_cast<ptrdiff_t>(used), at + static_cast<ptrdiff_t>(width)},
                           {at, at + static_cast<ptrdiff_t>(used)}};
  };
  e.forecast = row(coalitions - 1);
  e.baseline = row(0);

  // Shapley values per day of every quantile and of the mean: each a function of the coalition.
  const std::vector<double> weight = shapley_weights(G);
  for (size_t g = 0; g < G; ++g) {
    std::vector<double> phi(width, 0.0);
    const size_t bit = size_t{1} << g;
    for (size_t mask = 0; mask < coalitions; ++mask) {
      if ((mask & bit) != 0) continue;
      const double w = weight[static_cast<size_t>(std::popcount(mask))];
      const double* without = values.data() + mask * width;
      const double* with = values.data() + (mask | bit) * width;
      for (size_t o = 0; o < width; ++o) phi[o] += w * (with[o] - without[o]);
    }
    ExplainedValues& a = grouping.groups[g].attribution;
    a.mean.assign(phi.begin() + static_cast<ptrdiff_t>(used), phi.end());
    phi.resize(used);
    a.quantiles = std::move(phi);
  }
  e.groups = std::move(grouping.groups);

  // The attention of the actual inputs (the last row): per layer, each key token's weight
  // averaged over the heads and the query tokens.
  const float* probabilities_of_actual = probabilities.data() + (tail - 1) * attention_floats;
  e.layers = c.layers;
  e.tokens = N;
  e.attention.assign(static_cast<size_t>(c.layers * N), 0.0);
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (int64_t q = 0; q < heads * N; ++q)  // every head's query rows
      for (int64_t j = 0; j < N; ++j)
        e.attention[static_cast<size_t>(layer * N + j)] +=
            probabilities_of_actual[static_cast<size_t>((layer * heads * N + q) * N + j)] /
            static_cast<double>(heads * N);
  describe_patches(c, e.first_day, e.history_days, e);
  return e;
}

Explanation explain_series(const ModelRuntime& runtime, const Dataset& data,
                           std::string_view series_id, size_t horizon,
                           const ForecastOptions& options) {
  const auto it = std::lower_bound(data.series.begin(), data.series.end(), series_id,
                                   [](const Series& s, std::string_view id) { return s.id < id; });
  if (it == data.series.end() || it->id != series_id)
    fail(ErrorCode::InvalidArgument, "series '{}' is not in the dataset", series_id);
  const ModelConfig& c = runtime.model().config();
  if (horizon == 0) horizon = static_cast<size_t>(c.horizon);
  require_model_horizon(c, horizon);
  // The record forecast_dataset_with_model forecasts from, a new product's from its analogues.
  const SeriesInputs inputs(data);
  const ColdStart cold(inputs, static_cast<size_t>(c.context_length));
  const auto series = static_cast<size_t>(it - data.series.begin());
  Explanation e = explain_forecast(runtime, cold.input(series, horizon), horizon, options);
  if (cold.is_new(series)) {
    e.analogues = cold.analogues(series);
    e.warning = cold.note(series);  // the forecast's: its analogues are the whole context
    for (ExplanationGroup& group : e.groups)
      if (group.kind == ExplanationGroupKind::History)
        group.baseline = "every context day at the mean of its analogues' mean daily sales in the "
                         "context";
  }
  return e;
}

std::string explanation_to_json(const Explanation& e) {
  using Json = nlohmann::ordered_json;
  const size_t levels = e.levels.size();
  auto days = [&](const ExplainedValues& v) {
    Json quantiles = Json::array();
    for (size_t d = 0; d < e.horizon; ++d)
      quantiles.push_back(std::vector<double>(v.quantiles.begin() + static_cast<ptrdiff_t>(d * levels),
                                              v.quantiles.begin() + static_cast<ptrdiff_t>((d + 1) * levels)));
    Json j;
    j["mean"] = v.mean;
    j["quantiles"] = std::move(quantiles);
    return j;
  };
  Json root;
  root["series_id"] = e.series_id;
  root["start_date"] = format_iso_date(e.first_day);
  root["horizon"] = e.horizon;
  root["quantiles"] = e.levels;
  root["method"] =
      "exact Shapley values over the groups, each left out at its baseline (occlusion); they "
      "sum to the forecast minus the baseline forecast";
  root["mean_definition"] = e.mean_definition;
  root["history_source"] = e.analogues > 0 ? "analogues" : "own";
  root["analogues"] = e.analogues;
  root["history_days"] = e.history_days;
  root["warning"] = e.warning;
  root["forecast"] = days(e.forecast);
  root["baseline"] = days(e.baseline);
  Json groups = Json::array();
  for (const ExplanationGroup& g : e.groups) {
    Json group;
    group["name"] = g.name;
    group["kind"] = std::string(to_string(g.kind));
    group["features"] = g.features;
    group["baseline"] = g.baseline;
    std::vector<double> total(levels, 0.0);
    for (size_t d = 0; d < e.horizon; ++d)
      for (size_t q = 0; q < levels; ++q) total[q] += g.attribution.quantiles[d * levels + q];
    group["total"] = Json{{"mean", std::accumulate(g.attribution.mean.begin(), g.attribution.mean.end(), 0.0)},
                          {"quantiles", total}};
    group.update(days(g.attribution));
    groups.push_back(std::move(group));
  }
  root["groups"] = std::move(groups);
  Json patches = Json::array();
  for (int64_t t = 0; t < e.tokens; ++t) {
    std::vector<double> weights;
    for (int64_t layer = 0; layer < e.layers; ++layer)
      weights.push_back(e.attention[static_cast<size_t>(layer * e.tokens + t)]);
    patches.push_back(Json{{"first", format_iso_date(e.patch_first[static_cast<size_t>(t)])},
                           {"last", format_iso_date(e.patch_last[static_cast<size_t>(t)])},
                           {"padding_days", e.patch_padding[static_cast<size_t>(t)]},
                           {"weights", std::move(weights)}});
  }
  root["attention"] = Json{{"layers", e.layers}, {"patches", std::move(patches)}};
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace invforecast
