// Explanations through the C ABI (invf_explain): a small covariate model
// trained on an M5 slice with its future file, the groups, attributions that
// add up to the forecast minus the baseline, the attention, the JSON, the C++
// wrapper, a new product from its analogues, a negbin model's mean, and the
// errors (NULLs, an unknown series, a dataset of another schema,
// out-parameters left untouched).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

// The C++ wrapper owns the inputs; the calls under test take their C handles.
using ExplanationHandle = std::unique_ptr<invf_explanation, void (*)(invf_explanation*)>;
ExplanationHandle owned(invf_explanation* raw) { return {raw, &invf_explanation_release}; }

// tests/fixtures/future: FOODS_1_033_CA_1, FOODS_3_702_CA_2, HOBBIES_1_115_CA_1 over 27 days,
// their next 7 days, and FOODS_1_033_TX_1 in the future file alone (a new product).
invf::Dataset m5_slice() {
  invf::Dataset data = invf::Dataset::load_csv(fixture("future/m5_history.csv"));
  data.read_future_csv(fixture("future/m5_future.csv"));
  return data;
}

// A small model of every column (price, snap and event known-future, the rest static) and the
// calendar, trained in well under a second: its weights need only be a trained model's.  Its 3
// patches: days 1-7 and 8-14 of the context, and one past its end repeating day 14.
// head: "quantile" or "negbin".
invf::Model train_small(const invf::Dataset& data, const char* head = "quantile") {
  invf::Options options;
  for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"context_length", "14"}, {"patch_length", "7"}, {"stride", "7"}, {"d_model", "16"},
           {"heads", "2"}, {"ffn_dim", "32"}, {"layers", "2"}, {"horizon", "7"},
           {"quantiles", "0.1,0.5,0.9"}, {"epochs", "2"}, {"steps_per_epoch", "10"},
           {"batch_size", "8"}, {"threads", "2"}, {"seed", "7"}, {"holdout_days", "0"},
           {"min_history", "14"}, {"head", head}})
    options.set(key, value);
  return invf::Model::train(data, nullptr, &options);
}

std::vector<double> attribution(const invf_explanation* e, uint64_t group, int64_t level) {
  std::vector<double> values(7);
  REQUIRE_OK(invf_explanation_attribution(e, group, level, values.data(), values.size()));
  return values;
}

// Efficiency through the ABI: the groups add up to forecast - baseline, for the mean and a
// quantile, per day and over the week (double rounding only: 1e-9 of the values' size).
void check_efficiency(const invf_explanation* e) {
  uint64_t groups = 0;
  REQUIRE_OK(invf_explanation_dims(e, nullptr, nullptr, &groups, nullptr, nullptr));
  for (int64_t level : {int64_t{INVF_EXPLAIN_MEAN}, int64_t{2}}) {
    INFO("level " << level);
    std::vector<double> forecast(7), baseline(7);
    REQUIRE_OK(invf_explanation_forecast(e, level, forecast.data(), baseline.data(), 7));
    double week = 0.0, week_groups = 0.0;
    for (size_t d = 0; d < 7; ++d) {
      double sum = 0.0;
      for (uint64_t g = 0; g < groups; ++g) sum += attribution(e, g, level)[d];
      CHECK(std::abs(sum - (forecast[d] - baseline[d])) <= 1e-9 * (1.0 + forecast[d] + baseline[d]));
      week += forecast[d] - baseline[d];
      week_groups += sum;
    }
    CHECK(std::abs(week - week_groups) <= 1e-8 * (1.0 + std::abs(week)));
  }
}

// The explanation's forecast (mean and quantiles) is the model forecaster's of `series_id`.
void check_forecaster_forecast(const invf_explanation* e, const invf::Model& model,
                               const invf::Dataset& data, const std::string& series_id) {
  const invf::Forecast forecast = invf::Forecaster::from_model(model).forecast(data, 7);
  size_t series = 0;
  while (forecast.series_id(series) != series_id) ++series;
  std::vector<double> explained(7);
  REQUIRE_OK(invf_explanation_forecast(e, INVF_EXPLAIN_MEAN, explained.data(), nullptr, 7));
  CHECK(explained == forecast.mean(series));
  const std::vector<double> quantiles = forecast.quantiles(series);  // day-major, 3 levels
  for (int64_t q = 0; q < 3; ++q) {
    REQUIRE_OK(invf_explanation_forecast(e, q, explained.data(), nullptr, 7));
    for (size_t d = 0; d < 7; ++d) CHECK(explained[d] == quantiles[d * 3 + static_cast<size_t>(q)]);
  }
}

std::string json_of(const invf_explanation* e) {
  size_t needed = 0;
  REQUIRE_OK(invf_explanation_to_json(e, nullptr, 0, &needed));
  std::string json(needed, '\0');
  REQUIRE_OK(invf_explanation_to_json(e, json.data(), json.size(), &needed));
  json.resize(needed - 1);
  return json;
}

}  // namespace

TEST_CASE("invf_explain explains a covariate model's forecast of one series", "[explain]") {
  const invf::Dataset data = m5_slice();
  const invf::Model model = train_small(data);
  invf_explanation* raw = nullptr;
  REQUIRE_OK(invf_explain(model.get(), data.get(), "FOODS_3_702_CA_2", 0, nullptr, &raw));
  const ExplanationHandle e = owned(raw);

  uint64_t horizon = 0, levels = 0, groups = 0, layers = 0, patches = 0;
  REQUIRE_OK(invf_explanation_dims(e.get(), &horizon, &levels, &groups, &layers, &patches));
  CHECK(horizon == 7);
  CHECK(levels == 3);
  CHECK(layers == 2);
  CHECK(patches == 3);
  REQUIRE_OK(invf_explanation_dims(e.get(), nullptr, nullptr, nullptr, nullptr, nullptr));
  char date[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_explanation_start_date(e.get(), date));
  CHECK(std::string(date) == "2016-03-28");
  const char* warning = nullptr;
  REQUIRE_OK(invf_explanation_warning(e.get(), &warning));
  CHECK(std::string(warning).empty());

  // history, price, snap, event (known-future columns in data order), calendar, statics.
  std::vector<std::string> names;
  for (uint64_t g = 0; g < groups; ++g) {
    const char *name = nullptr, *kind = nullptr, *features = nullptr, *baseline = nullptr;
    REQUIRE_OK(invf_explanation_group(e.get(), g, &name, &kind, &features, &baseline));
    names.emplace_back(name);
    if (names.back() == "static") {
      CHECK(std::string(kind) == "static");
      CHECK(std::string(features) == "store,state,dept,category");
      CHECK(std::string(baseline) == "the unknown bucket");
    }
    if (names.back() == "calendar")
      CHECK(std::string(features) == "day_of_week,day_of_month,month,week_of_year");
  }
  CHECK(names == std::vector<std::string>{"history", "price", "snap", "event", "calendar", "static"});

  check_efficiency(e.get());
  check_forecaster_forecast(e.get(), model, data, "FOODS_3_702_CA_2");

  // Attention: layers x patches, each layer's weights summing to 1, over the last 14 days.
  std::vector<double> attention(6);
  REQUIRE_OK(invf_explanation_attention(e.get(), attention.data(), attention.size()));
  for (uint64_t l = 0; l < layers; ++l)
    CHECK(attention[l * 3] + attention[l * 3 + 1] + attention[l * 3 + 2] == Approx(1.0).epsilon(1e-5));
  char first[INVF_DATE_BUFFER], last[INVF_DATE_BUFFER];
  uint64_t padding = 9;
  REQUIRE_OK(invf_explanation_patch(e.get(), 1, first, last, &padding));
  CHECK(std::string(first) == "2016-03-21");
  CHECK(std::string(last) == "2016-03-27");
  CHECK(padding == 0);
  REQUIRE_OK(invf_explanation_patch(e.get(), 2, first, last, nullptr));
  CHECK(std::string(first) == "2016-03-27");
  CHECK(std::string(last) == "2016-03-27");

  // JSON: size query, then the text; the C++ wrapper reads the same.
  const std::string json = json_of(e.get());
  CHECK_THAT(json, Catch::StartsWith("{\"series_id\":\"FOODS_3_702_CA_2\",\"start_date\":\"2016-03-28\""));
  CHECK_THAT(json, Catch::Contains("\"name\":\"snap\""));
  CHECK_THAT(json, Catch::Contains("\"mean_definition\":\"the average of the day's quantiles\""));
  CHECK_THAT(json, Catch::Contains("\"history_source\":\"own\",\"analogues\":0"));
  const invf::Explanation wrapped = invf::Explanation::create(model, data, "FOODS_3_702_CA_2");
  CHECK(wrapped.to_json() == json);
  CHECK(wrapped.group(1).name == "price");
  CHECK(wrapped.attribution(1, 0) == attribution(e.get(), 1, 0));
  CHECK(wrapped.patch(0).first == "2016-03-14");
}

// FOODS_1_033_TX_1 has no history: its context is the sales of FOODS_1_033_CA_1, the one series
// sharing its department and category (no other shares more of its 4 attributes).
TEST_CASE("invf_explain explains a new product from its analogues, as it is forecast",
          "[explain][cold]") {
  const invf::Dataset data = m5_slice();
  const invf::Model model = train_small(data);
  invf_explanation* raw = nullptr;
  REQUIRE_OK(invf_explain(model.get(), data.get(), "FOODS_1_033_TX_1", 0, nullptr, &raw));
  const ExplanationHandle e = owned(raw);
  const char* warning = nullptr;
  REQUIRE_OK(invf_explanation_warning(e.get(), &warning));
  const std::string note =
      "series 'FOODS_1_033_TX_1' is a new product (no history): forecast from the mean daily sales "
      "of 1 series sharing 2 of its 4 attributes (store=TX_1, state=TX, dept=FOODS_1, "
      "category=FOODS) over the last 14 days";
  CHECK(warning == note);
  const std::vector<std::string> forecast_warnings =
      invf::Forecaster::from_model(model).forecast(data, 7).warnings();
  CHECK(std::find(forecast_warnings.begin(), forecast_warnings.end(), note) != forecast_warnings.end());
  char date[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_explanation_start_date(e.get(), date));
  CHECK(std::string(date) == "2016-03-28");
  check_efficiency(e.get());
  check_forecaster_forecast(e.get(), model, data, "FOODS_1_033_TX_1");
  const char* baseline = nullptr;
  REQUIRE_OK(invf_explanation_group(e.get(), 0, nullptr, nullptr, nullptr, &baseline));
  CHECK_THAT(std::string(baseline), Catch::Contains("its analogues' mean daily sales"));
  CHECK_THAT(json_of(e.get()), Catch::Contains("\"history_source\":\"analogues\",\"analogues\":1"));
}

// A negbin model: the mean explained is its distribution's, the forecaster's mean.
TEST_CASE("invf_explain explains a negbin model's quantiles and distribution mean", "[explain][negbin]") {
  const invf::Dataset data = m5_slice();
  const invf::Model model = train_small(data, "negbin");
  invf_explanation* raw = nullptr;
  REQUIRE_OK(invf_explain(model.get(), data.get(), "FOODS_3_702_CA_2", 0, nullptr, &raw));
  const ExplanationHandle e = owned(raw);
  check_efficiency(e.get());
  check_forecaster_forecast(e.get(), model, data, "FOODS_3_702_CA_2");
  CHECK_THAT(json_of(e.get()), Catch::Contains("\"mean_definition\":\"the negative binomial distribution's mean mu"));
}

TEST_CASE("invf_explain refuses bad arguments and leaves out-parameters untouched", "[explain]") {
  const invf::Dataset data = m5_slice();
  const invf::Model model = train_small(data);
  invf_explanation* out = nullptr;
  REQUIRE_FAILS(invf_explain(nullptr, data.get(), "FOODS_1_033_CA_1", 0, nullptr, &out),
                INVF_ERR_NULL_POINTER, "argument 'model' is NULL");
  REQUIRE_FAILS(invf_explain(model.get(), nullptr, "FOODS_1_033_CA_1", 0, nullptr, &out),
                INVF_ERR_NULL_POINTER, "argument 'dataset' is NULL");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), nullptr, 0, nullptr, &out), INVF_ERR_NULL_POINTER,
                "argument 'series_id' is NULL");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), "FOODS_1_033_CA_1", 0, nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "argument 'out' is NULL");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), "GONE", 0, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "series 'GONE' is not in the dataset");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), "FOODS_1_033_CA_1", 8, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "horizon 8 exceeds the model's horizon of 7 days");
  // A dataset of another schema: capi_small.csv has price and event but no snap.
  const invf::Dataset other = invf::Dataset::load_csv(fixture("capi_small.csv"));
  REQUIRE_FAILS(invf_explain(model.get(), other.get(), "A", 0, nullptr, &out), INVF_ERR_INVALID_ARGUMENT,
                "has no covariate 'snap', which the model reads");
  // Without the future file the known-future columns do not cover the horizon.
  const invf::Dataset history = invf::Dataset::load_csv(fixture("future/m5_history.csv"));
  REQUIRE_FAILS(invf_explain(model.get(), history.get(), "FOODS_1_033_CA_1", 0, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "covers 0 of the 7 days");
  invf::Options closed;
  closed.set("open_column", "snap");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), "FOODS_1_033_CA_1", 0, closed.get(), &out),
                INVF_ERR_INVALID_ARGUMENT, "open_column does not apply");
  invf::Options training;
  training.set("epochs", "3");
  REQUIRE_FAILS(invf_explain(model.get(), data.get(), "FOODS_1_033_CA_1", 0, training.get(), &out),
                INVF_ERR_INVALID_ARGUMENT, "invf_explain");
  CHECK(out == nullptr);

  REQUIRE_OK(invf_explain(model.get(), data.get(), "FOODS_1_033_CA_1", 3, nullptr, &out));
  const ExplanationHandle e = owned(out);
  uint64_t count = 99;
  REQUIRE_FAILS(invf_explanation_dims(nullptr, &count, nullptr, nullptr, nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "argument 'explanation' is NULL");
  CHECK(count == 99);
  std::vector<double> buffer(7, -1.0), baseline(7, -1.0);
  REQUIRE_FAILS(invf_explanation_forecast(e.get(), 3, buffer.data(), baseline.data(), 7),
                INVF_ERR_INVALID_ARGUMENT, "level 3 is out of range");
  REQUIRE_FAILS(invf_explanation_forecast(e.get(), -2, buffer.data(), nullptr, 7),
                INVF_ERR_INVALID_ARGUMENT, "INVF_EXPLAIN_MEAN");
  REQUIRE_FAILS(invf_explanation_forecast(e.get(), 0, buffer.data(), baseline.data(), 2),
                INVF_ERR_BUFFER_TOO_SMALL, "needs 3");
  REQUIRE_FAILS(invf_explanation_attribution(e.get(), 6, 0, buffer.data(), 7), INVF_ERR_INVALID_ARGUMENT,
                "group index 6 is out of range (count 6)");
  REQUIRE_FAILS(invf_explanation_attribution(e.get(), 0, 0, nullptr, 7), INVF_ERR_NULL_POINTER,
                "argument 'buffer' is NULL");
  REQUIRE_FAILS(invf_explanation_attention(e.get(), buffer.data(), 5), INVF_ERR_BUFFER_TOO_SMALL, "needs 6");
  CHECK(buffer == std::vector<double>(7, -1.0));
  CHECK(baseline == std::vector<double>(7, -1.0));
  const char* name = "untouched";
  REQUIRE_FAILS(invf_explanation_group(e.get(), 6, &name, nullptr, nullptr, nullptr),
                INVF_ERR_INVALID_ARGUMENT, "group index 6");
  CHECK(std::string(name) == "untouched");
  uint64_t padding = 5;
  REQUIRE_FAILS(invf_explanation_patch(e.get(), 3, nullptr, nullptr, &padding), INVF_ERR_INVALID_ARGUMENT,
                "patch index 3");
  CHECK(padding == 5);
  char small[4];
  REQUIRE_FAILS(invf_explanation_to_json(e.get(), small, sizeof small, nullptr), INVF_ERR_BUFFER_TOO_SMALL,
                "the JSON explanation");
  REQUIRE_FAILS(invf_explanation_start_date(e.get(), nullptr), INVF_ERR_NULL_POINTER, "argument 'out'");
  invf_explanation_release(nullptr);
}
