// Explanations of a model's forecast (lib/methods/explain.*): the encoder's
// attention probabilities, read from the coalitions' batch, Shapley values
// that add up to the forecast minus the baseline (per day, over the horizon,
// for the mean and the quantiles), a negbin model's quantiles and mean, a
// new product from its analogues, no share for a group the model cannot
// see, the sign of a learned effect, a model of the target alone, the
// grouping rule and the errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/options.hpp"
#include "error.hpp"
#include "error_matchers.hpp"
#include "methods/dataset_forecast.hpp"
#include "methods/explain.hpp"
#include "methods/model_forecaster.hpp"
#include "train/parameters.hpp"
#include "train/training_run.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using invforecast::testing::check_error;
using invforecast::train::testing::make_series;
using invforecast::train::testing::small_config;
using kernels::BackendKind;

namespace {

constexpr int kHistoryDays = 60, kFutureDays = 7;

// Deterministic pseudo-random numbers in [0, 1) from a few integers.
double hashed(int a, int b, int c) {
  const double x = std::sin(12.9898 * a + 78.233 * b + 37.719 * c) * 43758.5453;
  return x - std::floor(x);
}

// Series s0..s{n-1} of kHistoryDays days (from day 19723, 2024-01-01) and kFutureDays future days,
// without columns: add them with add_numeric / add_categorical.
Dataset empty_dataset(int series, int days = kHistoryDays) {
  Dataset data;
  for (int s = 0; s < series; ++s) {
    std::vector<double> values(static_cast<size_t>(days));
    for (int t = 0; t < days; ++t)
      values[static_cast<size_t>(t)] =
          std::round((3.0 + s) * (1.0 + 0.5 * std::sin(t * 0.9 + s)) + 2.0 * hashed(s, t, 1));
    data.series.push_back(make_series("s" + std::to_string(s), std::move(values)));
    data.series.back().start_day = 19723;
    data.series.back().future_days = kFutureDays;
  }
  data.has_future = true;
  return data;
}

// A column over every cell of every series (history and future days): value(s, t), t from the
// series' first day.  Past-only columns are NaN / none after the history.
void add_numeric(Dataset& data, const std::string& name, const std::function<double(int, int)>& value,
                 bool past_only = false) {
  Column c;
  c.name = name;
  c.numeric = true;
  for (size_t s = 0; s < data.series.size(); ++s) {
    std::vector<double> cells(data.series[s].cells());
    for (size_t t = 0; t < cells.size(); ++t)
      cells[t] = past_only && t >= data.series[s].values.size()
                     ? std::nan("")
                     : value(static_cast<int>(s), static_cast<int>(t));
    c.numeric_values.push_back(std::move(cells));
  }
  data.columns.push_back(std::move(c));
  if (past_only) data.past_only.push_back(name);
}

void add_categorical(Dataset& data, const std::string& name, std::vector<std::string> levels,
                     const std::function<int32_t(int, int)>& code, bool past_only = false) {
  Column c;
  c.name = name;
  c.numeric = false;
  c.levels = std::move(levels);
  for (size_t s = 0; s < data.series.size(); ++s) {
    std::vector<int32_t> cells(data.series[s].cells());
    for (size_t t = 0; t < cells.size(); ++t)
      cells[t] = past_only && t >= data.series[s].values.size()
                     ? -1
                     : code(static_cast<int>(s), static_cast<int>(t));
    c.category_codes.push_back(std::move(cells));
  }
  data.columns.push_back(std::move(c));
  if (past_only) data.past_only.push_back(name);
}

// Every column train::testing::test_features() reads: price, event (known-future), shelf and
// flag (past-only), size and store (static).
Dataset covariate_dataset(int series = 3) {
  Dataset data = empty_dataset(series);
  add_numeric(data, "price", [](int s, int t) { return 2.0 + s + (t / 5 % 3) * 0.5; });
  add_categorical(data, "event", {"a", "b", "c", "d"}, [](int s, int t) {
    return static_cast<int32_t>((t + s) % 9 < 4 ? (t + s) % 9 : -1);
  });
  add_numeric(data, "shelf", [](int s, int t) { return 2.0 + hashed(s, t, 2); }, true);
  add_categorical(data, "flag", {"no", "yes"}, [](int s, int t) { return (s + t) % 3 == 0 ? 1 : 0; },
                  true);
  add_numeric(data, "size", [](int s, int) { return 6.0 + 3.0 * s; });
  add_categorical(data, "store", {"s1", "s2"}, [](int s, int) { return s % 2; });
  return data;
}

// A covariate model with random weights (every input moves the forecast), optionally changed.
std::shared_ptr<const ModelRuntime> random_runtime(
    const std::vector<FeatureSpec>& features, BackendKind backend = BackendKind::Cpu,
    const std::function<void(train::Parameters&)>& change = {},
    const ModelConfig& config = small_config()) {
  train::Parameters p = train::testing::random_parameters(config, 5, features);
  if (change) change(p);
  const std::vector<uint8_t> bytes = train::to_model_buffer(p, train::default_metadata(p));
  return std::make_shared<const ModelRuntime>(ModelFile::from_buffer(bytes, BufferMode::Copy),
                                              kernels::backend_of(backend));
}

// Series `s` of a dataset made by empty_dataset as a new product: no history, its future days
// after the others' last date (as a future file's new product joins), its statics kept.
void make_new_product(Dataset& data, size_t s) {
  Series& series = data.series[s];
  series.start_day = 19723 + static_cast<Day>(data.series[s].values.size());
  series.values.clear();
  series.observed.clear();
  for (Column& c : data.columns) {
    if (c.numeric) c.numeric_values[s].resize(kFutureDays);
    else c.category_codes[s].resize(kFutureDays);
  }
}

// The attention of a series' actual inputs, read straight from the encoder, as the explanation
// averages it: per layer, each key token's weight over the heads and query tokens.
std::vector<double> direct_attention(const ModelRuntime& runtime, const Dataset& data, size_t s,
                                     size_t horizon) {
  const EncoderModel& model = runtime.model();
  const ModelConfig& c = model.config();
  const SeriesInputs inputs(data);
  const SeriesInput input = inputs.latest(s, horizon);
  std::vector<float> context(static_cast<size_t>(c.context_length));
  fill_context(input.target, context);
  CovariateArrays arrays;
  if (model.has_covariates()) {
    arrays.resize(runtime.features().sizes(), 1);
    runtime.features().encode(input, 0, arrays, static_cast<int64_t>(horizon));
  }
  const int64_t N = c.num_tokens();
  std::vector<float> probabilities(static_cast<size_t>(c.layers * c.heads * N * N));
  std::vector<float> out(static_cast<size_t>(model.outputs_per_series()));
  EncoderWorkspace ws = model.make_workspace(1);
  const layers::CovariateBatch<float> batch = arrays.batch();
  model.forecast(context.data(), 1, out.data(), ws, model.has_covariates() ? &batch : nullptr,
                 {.attention = probabilities.data()});
  std::vector<double> attention(static_cast<size_t>(c.layers * N), 0.0);
  for (int64_t layer = 0; layer < c.layers; ++layer)
    for (int64_t row = 0; row < c.heads * N; ++row)
      for (int64_t j = 0; j < N; ++j)
        attention[static_cast<size_t>(layer * N + j)] +=
            probabilities[static_cast<size_t>((layer * c.heads * N + row) * N + j)] /
            static_cast<double>(c.heads * N);
  return attention;
}

// Two workers: the coalitions' batch split between them (a result does not depend on it).
ForecastOptions two_threads() {
  ForecastOptions options;
  options.threads = 2;
  return options;
}

std::vector<std::string> names_of(const Explanation& e) {
  std::vector<std::string> names;
  for (const ExplanationGroup& g : e.groups) names.push_back(g.name);
  return names;
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// Efficiency: the groups' values add up to forecast - baseline, per day and over the horizon, for
// the mean and every quantile.  The identity is exact; what is left is double rounding over
// 2^G float differences, far below 1e-9 of the forecast's size.
void check_efficiency(const Explanation& e) {
  const size_t levels = e.levels.size();
  const double tolerance = 1e-9 * (1.0 + max_abs(e.forecast.quantiles) + max_abs(e.baseline.quantiles) +
                                   max_abs(e.forecast.mean) + max_abs(e.baseline.mean));
  auto check = [&](auto&& value_of, size_t count, size_t stride, size_t offset, const char* what) {
    double total_groups = 0.0, total_difference = 0.0;
    for (size_t d = 0; d < count; ++d) {
      double groups = 0.0;
      for (const ExplanationGroup& g : e.groups) groups += value_of(g.attribution)[d * stride + offset];
      const double difference =
          value_of(e.forecast)[d * stride + offset] - value_of(e.baseline)[d * stride + offset];
      INFO(what << " day " << d);
      CHECK(std::abs(groups - difference) <= tolerance);
      total_groups += groups;
      total_difference += difference;
    }
    INFO(what << " horizon total");
    CHECK(std::abs(total_groups - total_difference) <= tolerance * static_cast<double>(count));
  };
  check([](const ExplainedValues& v) -> const std::vector<double>& { return v.mean; }, e.horizon, 1,
        0, "mean");
  for (size_t q = 0; q < levels; ++q)
    check([](const ExplainedValues& v) -> const std::vector<double>& { return v.quantiles; },
          e.horizon, levels, q, "quantile");
}

// The forecast explained is forecast_dataset_with_model's of series `s`: bit for bit on the Cpu
// backend, to float rounding (1e-5 of values near 5) on the reference's batch-size-dependent
// Eigen blocking.
void check_forecast_is(const Explanation& e, const DatasetForecast& forecast, size_t s,
                       BackendKind backend) {
  const SeriesForecast& f = forecast.series[s];
  CHECK(e.first_day == forecast.start_days[s]);
  if (backend == BackendKind::Cpu) {
    CHECK(e.forecast.quantiles == f.quantiles);
    CHECK(e.forecast.mean == f.mean);
  }
  REQUIRE(e.forecast.quantiles.size() == f.quantiles.size());
  for (size_t i = 0; i < f.quantiles.size(); ++i)
    CHECK(e.forecast.quantiles[i] == Approx(f.quantiles[i]).margin(1e-5));
  for (size_t d = 0; d < f.mean.size(); ++d) CHECK(e.forecast.mean[d] == Approx(f.mean[d]).margin(1e-5));
}

const ExplanationGroup& group_named(const Explanation& e, const std::string& name) {
  for (const ExplanationGroup& g : e.groups)
    if (g.name == name) return g;
  FAIL("no group " << name);
  return e.groups.front();
}

}  // namespace

TEST_CASE("the encoder hands out its attention probabilities without changing the forecast",
          "[explain]") {
  const std::vector<FeatureSpec> features = train::testing::test_features();
  for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    const auto runtime = random_runtime(features, backend);
    const EncoderModel& model = runtime->model();
    const ModelConfig& c = model.config();
    // 11 series: a tile of 8 and one of 3, so the per-tile bookkeeping is exercised.
    const int64_t batch = 11, N = c.num_tokens(), per_series = c.layers * c.heads * N * N;
    const auto covariates = train::testing::random_covariates<float>(c, features, batch, 9);
    std::vector<float> context(static_cast<size_t>(batch * c.context_length));
    for (size_t i = 0; i < context.size(); ++i) context[i] = static_cast<float>((i * 7) % 13);
    std::vector<float> plain(static_cast<size_t>(batch * model.outputs_per_series())),
        with(plain.size()), attention(static_cast<size_t>(batch * per_series), -1.0f);
    EncoderWorkspace ws = model.make_workspace();
    const layers::CovariateBatch<float> b = covariates.batch();
    model.forecast(context.data(), batch, plain.data(), ws, &b);
    model.forecast(context.data(), batch, with.data(), ws, &b, {.attention = attention.data()});
    CHECK(with == plain);
    for (int64_t row = 0; row < batch * c.layers * c.heads * N; ++row) {
      double total = 0.0;
      for (int64_t j = 0; j < N; ++j) {
        const float p = attention[static_cast<size_t>(row * N + j)];
        CHECK(p >= 0.0f);
        total += p;
      }
      CHECK(total == Approx(1.0).epsilon(1e-5));  // float rounding over N terms
    }
    // Series 9 alone gets the attention it got in the batch (every series is its own; bit for
    // bit on the Cpu backend, whose GEMMs sum each row alike whatever the batch, within float
    // rounding on the reference's Eigen, whose blocking follows the batch).
    std::vector<float> alone(static_cast<size_t>(per_series)), out(static_cast<size_t>(model.outputs_per_series()));
    const layers::CovariateBatch<float> ninth =
        layers::advance(b, layers::covariate_input_sizes(c, model.layout()), 9);
    model.forecast(context.data() + 9 * c.context_length, 1, out.data(), ws, &ninth,
                   {.attention = alone.data()});
    for (size_t i = 0; i < alone.size(); ++i) {
      const float batched = attention[static_cast<size_t>(9 * per_series) + i];
      if (backend == BackendKind::Cpu)
        CHECK(alone[i] == batched);
      else
        CHECK(alone[i] == Approx(batched).margin(1e-6));
    }
  }
}

TEST_CASE("Shapley values add up to the forecast minus the baseline forecast", "[explain]") {
  const Dataset data = covariate_dataset();
  const ForecastOptions options = two_threads();
  for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    const auto runtime = random_runtime(train::testing::test_features(), backend);
    const Explanation e = explain_series(*runtime, data, "s1", 0, options);
    CHECK(e.horizon == 7);  // 0: the model's
    CHECK(names_of(e) ==
          std::vector<std::string>{"history", "price", "event", "shelf", "flag", "calendar", "static"});
    CHECK(to_string(group_named(e, "shelf").kind) == "past_only");
    CHECK(group_named(e, "calendar").features == std::vector<std::string>{"day_of_week", "day_of_month"});
    CHECK(group_named(e, "static").features == std::vector<std::string>{"size", "store"});
    CHECK(group_named(e, "event").baseline == "the unknown bucket");
    CHECK(group_named(e, "price").baseline == "the training mean");
    check_efficiency(e);
    // Random weights read every input: every group moves the forecast.
    for (const ExplanationGroup& g : e.groups) {
      INFO(g.name);
      CHECK(max_abs(g.attribution.quantiles) > 1e-4);
    }
    check_forecast_is(e, forecast_dataset_with_model(*runtime, options, {}, data, 7), 1, backend);
    // Threads never change a result.
    ForecastOptions one = options;
    one.threads = 1;
    CHECK(explain_series(*runtime, data, "s1", 0, one).groups[1].attribution.quantiles ==
          e.groups[1].attribution.quantiles);
    // A shorter horizon explains the model's first days.
    const Explanation three = explain_series(*runtime, data, "s1", 3, options);
    CHECK(three.groups[2].attribution.mean.size() == 3);
    CHECK(three.groups[2].attribution.mean[2] == e.groups[2].attribution.mean[2]);
    // The series' own history; the mean the quantiles' average.
    CHECK(e.analogues == 0);
    CHECK(e.mean_definition == "the average of the day's quantiles");
    const nlohmann::json json = nlohmann::json::parse(explanation_to_json(e));
    CHECK(json["history_source"] == "own");
    CHECK(json["mean_definition"] == e.mean_definition);
  }
}

// The attention is read from the coalitions' batch, in the row of every group actual: the
// encoder's own for the series' actual inputs (bit for bit on the Cpu backend, whose GEMMs sum
// each row alike whatever the batch; within float rounding, 1e-6 of weights <= 1, on the
// reference's Eigen).  A row of another coalition (the flat history, a group at its baseline)
// attends otherwise.
TEST_CASE("the attention explained is the encoder's for the actual inputs", "[explain]") {
  const Dataset covariates = covariate_dataset(), target_only = empty_dataset(2);
  for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    for (const bool with_covariates : {true, false}) {
      INFO("covariates " << with_covariates);
      const auto runtime =
          random_runtime(with_covariates ? train::testing::test_features() : target_features(), backend);
      const Dataset& data = with_covariates ? covariates : target_only;
      const Explanation e = explain_series(*runtime, data, "s1", 0, two_threads());
      const std::vector<double> direct = direct_attention(*runtime, data, 1, 7);
      REQUIRE(e.attention.size() == direct.size());
      for (size_t i = 0; i < direct.size(); ++i) {
        if (backend == BackendKind::Cpu)
          CHECK(e.attention[i] == direct[i]);
        else
          CHECK(e.attention[i] == Approx(direct[i]).margin(1e-6));
      }
    }
  }
}

// A negbin head: its quantiles are whole units and its mean is the distribution's mu, returned
// beside them; each is a function of the coalition, so the Shapley values of both add up.
TEST_CASE("a negbin model's whole-unit quantiles and distribution mean are explained",
          "[explain][negbin]") {
  ModelConfig negbin = small_config();
  negbin.head = HeadKind::NegBin;
  const Dataset data = covariate_dataset();
  const ForecastOptions options = two_threads();
  for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    const auto runtime = random_runtime(train::testing::test_features(), backend, {}, negbin);
    const Explanation e = explain_series(*runtime, data, "s1", 0, options);
    CHECK_THAT(e.mean_definition, Catch::StartsWith("the negative binomial distribution's mean mu"));
    check_efficiency(e);
    for (const std::vector<double>* q : {&e.forecast.quantiles, &e.baseline.quantiles})
      for (double v : *q) CHECK(v == std::round(v));
    // The mean explained is the forecast's, mu.
    check_forecast_is(e, forecast_dataset_with_model(*runtime, options, {}, data, 7), 1, backend);
    // Not the average of the whole-unit quantiles, which the quantile head's mean would be.
    const size_t levels = e.levels.size();
    double gap = 0.0;
    for (size_t d = 0; d < e.horizon; ++d) {
      double average = 0.0;
      for (size_t q = 0; q < levels; ++q) average += e.forecast.quantiles[d * levels + q];
      gap = std::max(gap, std::abs(e.forecast.mean[d] - average / static_cast<double>(levels)));
    }
    CHECK(gap > 1e-3);
    // Random weights read every input: every group moves the mean.
    for (const ExplanationGroup& g : e.groups) {
      INFO(g.name);
      CHECK(max_abs(g.attribution.mean) > 1e-6);
    }
    const nlohmann::json json = nlohmann::json::parse(explanation_to_json(e));
    CHECK(json["mean_definition"] == e.mean_definition);
  }
}

// A new product is explained from the record it is forecast from (methods/cold_start.hpp): its
// analogues' mean sales as the history, their covariates over the context, its own future
// values and statics.  s0 (size 6, store s1) shares the store with s2 alone (s1 is in store s2;
// every size differs): one analogue.
TEST_CASE("a new product is explained from its analogues, as it is forecast", "[explain][cold]") {
  Dataset data = covariate_dataset();
  make_new_product(data, 0);
  const ForecastOptions options = two_threads();
  for (BackendKind backend : {BackendKind::Reference, BackendKind::Cpu}) {
    INFO(kernels::backend_name(backend));
    const auto runtime = random_runtime(train::testing::test_features(), backend);
    const Explanation e = explain_series(*runtime, data, "s0", 0, options);
    const DatasetForecast forecast = forecast_dataset_with_model(*runtime, options, {}, data, 7);
    CHECK(e.analogues == 1);
    CHECK(e.warning ==
          "series 's0' is a new product (no history): forecast from the mean daily sales of 1 "
          "series sharing 1 of its 2 attributes (size=6, store=s1) over the last 28 days");
    CHECK(e.warning == forecast.series[0].warning);
    check_forecast_is(e, forecast, 0, backend);
    check_efficiency(e);
    // The analogues fill the context: no padding; the history group is theirs and moves the forecast.
    CHECK(e.history_days == 28);
    CHECK(e.patch_padding == std::vector<int64_t>{0, 0, 0, 0});
    const ExplanationGroup& history = group_named(e, "history");
    CHECK_THAT(history.baseline, Catch::Contains("its analogues' mean daily sales"));
    CHECK(max_abs(history.attribution.quantiles) > 1e-4);
    CHECK(max_abs(group_named(e, "static").attribution.quantiles) > 1e-4);
    const nlohmann::json json = nlohmann::json::parse(explanation_to_json(e));
    CHECK(json["history_source"] == "analogues");
    CHECK(json["analogues"] == 1);
    CHECK(json["warning"] == e.warning);
  }
}

// A model blind to a group: the event's embedding table all zero (every code embeds to 0), and
// the price's two channels (value and log ratio) with zero weights wherever they enter (the
// patch channels and the decoder's known-future input).  Their forecasts never change, so their
// Shapley values are 0 exactly, while the same model without the change gives them a share.
TEST_CASE("a group the model cannot see gets no attribution", "[explain]") {
  const std::vector<FeatureSpec> features = train::testing::test_features();
  const ModelConfig c = small_config();
  const auto blind = random_runtime(features, BackendKind::Cpu, [&](train::Parameters& p) {
    std::vector<float>& table = p.values("features.2.embedding");  // event, feature 2
    std::fill(table.begin(), table.end(), 0.0f);
    const CovariateLayout l = covariate_layout(c, features);
    REQUIRE(l.known_real.front() == 1);  // price: known-future channels 0 and 1
    std::vector<float>& patch = p.values("covariates.patch.weight");  // [D, C * P]
    const int64_t width = l.channels() * c.patch_length;
    for (int64_t row = 0; row < c.d_model; ++row)
      for (int64_t col = 0; col < 2 * c.patch_length; ++col) patch[static_cast<size_t>(row * width + col)] = 0.0f;
    std::vector<float>& known = p.values("decoder.known.weight");  // [Fd, K]
    for (int64_t row = 0; row < c.decoder_dim; ++row)
      for (int64_t col = 0; col < 2; ++col) known[static_cast<size_t>(row * l.known_channels() + col)] = 0.0f;
  });
  const Dataset data = covariate_dataset();
  const Explanation e = explain_series(*blind, data, "s2", 0, ForecastOptions{});
  CHECK(max_abs(group_named(e, "event").attribution.quantiles) == 0.0);
  CHECK(max_abs(group_named(e, "price").attribution.quantiles) == 0.0);
  CHECK(max_abs(group_named(e, "event").attribution.mean) == 0.0);
  CHECK(max_abs(group_named(e, "history").attribution.quantiles) > 1e-4);
  check_efficiency(e);
  const Explanation seeing = explain_series(*random_runtime(features), data, "s2", 0, ForecastOptions{});
  CHECK(max_abs(group_named(seeing, "event").attribution.quantiles) > 1e-4);
  CHECK(max_abs(group_named(seeing, "price").attribution.quantiles) > 1e-4);
}

// Sales triple on promotion days (a known-future flag on a quarter of the days); a small model
// trained on them must give the promotion a positive share on the horizon's promotion days and a
// negative one on the others (the baseline is the flag's training mean, about 0.25).
TEST_CASE("a strong learned effect gets the sign expected", "[explain][train]") {
  Dataset data = empty_dataset(16, 200);
  // The horizon (days 200..206) has promotions on its even days.
  auto promo = [](int s, int t) { return (t >= 200 ? t % 2 == 0 : hashed(s, t, 3) < 0.25) ? 1.0 : 0.0; };
  for (size_t s = 0; s < data.series.size(); ++s) {
    Series& series = data.series[s];
    for (size_t t = 0; t < series.values.size(); ++t)
      series.values[t] = std::round(series.values[t] *
                                    (1.0 + 2.0 * promo(static_cast<int>(s), static_cast<int>(t))));
    series.stats = compute_stats(series.values, series.observed);
  }
  add_numeric(data, "promo", promo);
  Options options;
  for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"context_length", "28"}, {"patch_length", "7"}, {"stride", "7"}, {"d_model", "16"},
           {"heads", "2"}, {"ffn_dim", "32"}, {"layers", "1"}, {"horizon", "7"},
           {"quantiles", "0.1,0.5,0.9"}, {"normalization", "meanabs"}, {"epochs", "4"},
           {"steps_per_epoch", "60"}, {"batch_size", "32"}, {"threads", "2"}, {"seed", "3"},
           {"learning_rate", "0.003"}, {"covariates", "promo"}})
    options.set(key, value);
  const train::TrainedModel trained = train::run_training(data, nullptr, options.training, {});
  const ModelRuntime runtime(ModelFile::from_buffer(trained.bytes, BufferMode::Copy),
                             kernels::backend_of(BackendKind::Cpu));
  const Explanation e = explain_series(runtime, data, "s4", 0, ForecastOptions{});
  CHECK(names_of(e) == std::vector<std::string>{"history", "promo", "calendar"});
  check_efficiency(e);
  const ExplanationGroup& g = group_named(e, "promo");
  const double level = e.baseline.mean[0];
  for (size_t d = 0; d < e.horizon; ++d) {
    INFO("day " << d << " (promotion: " << (d % 2 == 0) << ")");
    if (d % 2 == 0)
      CHECK(g.attribution.mean[d] > 0.2 * level);
    else
      CHECK(g.attribution.mean[d] < 0.0);
  }
}

TEST_CASE("a model of the target alone explains the history and its attention", "[explain]") {
  const Dataset data = empty_dataset(2);
  const auto runtime = random_runtime(target_features());
  const Explanation e = explain_series(*runtime, data, "s0", 0, ForecastOptions{});
  REQUIRE(names_of(e) == std::vector<std::string>{"history"});
  CHECK(e.groups[0].features == std::vector<std::string>{"target"});
  // The history's share is all of forecast - baseline, the baseline the flat context's forecast.
  check_efficiency(e);
  const ModelConfig& c = runtime->model().config();
  const std::vector<double>& history = data.series[0].values;
  const double level = std::accumulate(history.end() - 28, history.end(), 0.0) / 28.0;
  std::vector<float> flat(28, static_cast<float>(level)), out(7 * 3);
  runtime->forecast(1, flat.data(), 1, out.data());
  for (size_t i = 0; i < out.size(); ++i) CHECK(e.baseline.quantiles[i] == out[i]);

  // Attention: layers x tokens, each layer's weights a distribution over the patches.
  CHECK(e.layers == c.layers);
  REQUIRE(e.tokens == 4);
  REQUIRE(e.attention.size() == 4);
  double total = 0.0;
  for (double w : e.attention) {
    CHECK(w >= 0.0);
    total += w;
  }
  CHECK(total == Approx(1.0).epsilon(1e-5));
  // Patches of 7 days, stride 7, ending on the last day of the history.
  CHECK(e.patch_first[0] == e.first_day - 28);
  CHECK(e.patch_last[3] == e.first_day - 1);
  CHECK(e.patch_padding == std::vector<int64_t>{0, 0, 0, 0});
  // The reference backend computes the same attention.
  const auto reference = random_runtime(target_features(), BackendKind::Reference);
  const Explanation r = explain_series(*reference, data, "s0", 0, ForecastOptions{});
  for (size_t i = 0; i < e.attention.size(); ++i) CHECK(r.attention[i] == Approx(e.attention[i]).margin(1e-5));

  // A series shorter than the context: padded (and said), its padding days counted per patch.
  const Dataset short_data = empty_dataset(1, 10);
  const Explanation padded = explain_series(*runtime, short_data, "s0", 0, ForecastOptions{});
  CHECK_THAT(padded.warning, Catch::Contains("left-padded with 18 days"));
  CHECK(padded.history_days == 10);
  CHECK(padded.patch_padding == std::vector<int64_t>{7, 7, 4, 0});
  check_efficiency(padded);
  ForecastOptions strict;
  strict.strict = true;
  check_error([&] { explain_series(*runtime, short_data, "s0", 0, strict); }, ErrorCode::SeriesTooShort,
              "'s0' has 10 days of history");

  const nlohmann::json json = nlohmann::json::parse(explanation_to_json(e));
  CHECK(json["series_id"] == "s0");
  CHECK(json["groups"][0]["name"] == "history");
  CHECK(json["groups"][0]["quantiles"].size() == 7);
  CHECK(json["attention"]["patches"].size() == 4);
  CHECK(json["groups"][0]["total"]["mean"].get<double>() ==
        Approx(std::accumulate(e.groups[0].attribution.mean.begin(), e.groups[0].attribution.mean.end(), 0.0)));
}

// Twelve time-varying columns and the history are 13 groups, more than the 2^12 coalitions
// allowed: the columns are merged by role.
TEST_CASE("more than twelve groups are merged by role", "[explain]") {
  Dataset data = empty_dataset(2);
  std::vector<FeatureSpec> features = target_features();
  for (int i = 0; i < 12; ++i) {
    const std::string name = "c" + std::to_string(i);
    add_numeric(data, name, [i](int s, int t) { return hashed(s, t, 10 + i); }, i >= 10);
    FeatureSpec f{name, FeatureKind::Real, i >= 10 ? FeatureRole::PastCovariate : FeatureRole::FutureCovariate};
    f.mean = 0.5;
    f.scale = 0.3;
    features.push_back(f);
  }
  const Explanation e = explain_series(*random_runtime(features), data, "s1", 0, ForecastOptions{});
  CHECK(names_of(e) == std::vector<std::string>{"history", "known_future", "past_only"});
  CHECK(group_named(e, "past_only").features == std::vector<std::string>{"c10", "c11"});
  check_efficiency(e);
}

TEST_CASE("explanations refuse what they cannot explain", "[explain]") {
  const auto runtime = random_runtime(train::testing::test_features());
  const Dataset data = covariate_dataset();
  const ForecastOptions options;
  check_error([&] { explain_series(*runtime, data, "nope", 0, options); }, ErrorCode::InvalidArgument,
              "series 'nope' is not in the dataset");
  check_error([&] { explain_series(*runtime, data, "s0", 8, options); }, ErrorCode::InvalidArgument,
              "horizon 8 exceeds the model's horizon of 7 days");
  ForecastOptions closed;
  closed.open_column = "price";
  check_error([&] { explain_series(*runtime, data, "s0", 0, closed); }, ErrorCode::InvalidArgument,
              "open_column does not apply");
  // A new product where no series has a history: no analogue to read.
  Dataset none_sold = covariate_dataset(1);
  make_new_product(none_sold, 0);
  check_error([&] { explain_series(*runtime, none_sold, "s0", 0, options); },
              ErrorCode::InvalidArgument, "series 's0' has no history");
  // The data lacks a column the model reads.
  Dataset lacking = covariate_dataset();
  lacking.columns.erase(lacking.columns.begin());  // price
  check_error([&] { explain_series(*runtime, lacking, "s0", 0, options); }, ErrorCode::InvalidArgument,
              "has no covariate 'price'");
}
