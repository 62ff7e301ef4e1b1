// A covariate model's features on the host side (lib/model/features.*): the
// roles and statistics fit_features takes from training data, and the arrays
// FeatureEncoder writes for one series at one origin: normalised values,
// log ratios, vocabulary codes with the unknown bucket, the calendar, the
// days before a series' start, and every mismatch as an error naming it.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "data/dataset.hpp"
#include "data/series_input.hpp"
#include "error.hpp"
#include "error_matchers.hpp"
#include "model/features.hpp"

using namespace invforecast;
using invforecast::testing::check_error;

namespace {

Day day(const char* text) { return *parse_iso_date(text); }

// Two series of 12 days from 2024-01-01 (a Monday): "price" positive and varying (known-future,
// with a log ratio), "promo" 0/1 (known-future, no log ratio: not positive), "store" constant per
// series (static), "weather" varying down through 0 (named past-only; no log ratio), "event"
// categorical, empty on most days.
Dataset sample() {
  DatasetBuilder b({});
  const uint32_t src = b.add_source("array input");
  const Day first = day("2024-01-01");
  for (int s = 0; s < 2; ++s) {
    const std::string id = s == 0 ? "a" : "b";
    for (int t = 0; t < 12; ++t) {
      b.add_value(id, first + t, 10.0 * s + t + 1, {src, 0});
      b.add_numeric(id, "price", first + t, 2.0 + 0.5 * s + 0.1 * t, {src, 0});
      b.add_numeric(id, "promo", first + t, t % 4 == 0 ? 1.0 : 0.0, {src, 0});
      b.add_categorical(id, "store", first + t, s == 0 ? "CA_1" : "TX_2", {src, 0});
      b.add_numeric(id, "weather", first + t, 8.0 - t, {src, 0});
      b.add_categorical(id, "event", first + t, t == 3 ? "Easter" : (t == 10 ? "Late" : ""), {src, 0});
    }
  }
  return b.build();
}

const FeatureSpec& feature(const std::vector<FeatureSpec>& features, std::string_view name) {
  for (const FeatureSpec& f : features)
    if (f.name == name) return f;
  FAIL("no feature " << name);
  return features.front();
}

ModelConfig config_for(int64_t context, int64_t horizon) {
  ModelConfig c;
  c.context_length = context;
  c.patch_length = 2;
  c.stride = 2;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 8;
  c.layers = 1;
  c.horizon = horizon;
  c.quantiles = {0.5};
  return c;
}

}  // namespace

TEST_CASE("fit_features: roles, statistics, vocabularies and the calendar", "[features]") {
  const Dataset data = sample();
  FeatureSelection selection;
  selection.past_only = {"weather"};
  // Hold out the last 2 days of each series: statistics come from days 0..9.
  const std::vector<FeatureSpec> f = fit_features(data, selection, 2);
  REQUIRE(f.size() == 1 + 5 + 4);
  CHECK(f[0].role == FeatureRole::Target);
  CHECK(feature(f, "price").role == FeatureRole::FutureCovariate);
  CHECK(feature(f, "store").role == FeatureRole::StaticCovariate);
  CHECK(feature(f, "weather").role == FeatureRole::PastCovariate);
  CHECK(feature(f, "event").kind == FeatureKind::Categorical);
  // price: series a 2.0..2.9, series b 2.5..3.4 on the training days: mean 2.7.
  CHECK(feature(f, "price").mean == Approx(2.7));
  CHECK(feature(f, "price").log_ratio);
  CHECK_FALSE(feature(f, "promo").log_ratio);
  // Population standard deviation of the 20 training prices.
  double var = 0;
  for (int s = 0; s < 2; ++s)
    for (int t = 0; t < 10; ++t) var += std::pow(2.0 + 0.5 * s + 0.1 * t - 2.7, 2) / 20.0;
  CHECK(feature(f, "price").scale == Approx(std::sqrt(var)));
  // "Late" only occurs in the hold-out: not in the vocabulary (it will read the unknown bucket).
  CHECK(feature(f, "event").levels == std::vector<std::string>{"Easter"});
  CHECK(feature(f, "store").levels == std::vector<std::string>{"CA_1", "TX_2"});
  CHECK(feature(f, "day_of_week").source == FeatureSource::Calendar);
  CHECK(feature(f, "day_of_week").levels.size() == 7);
  CHECK(feature(f, "month").levels.size() == 12);
  CHECK(feature(f, "day_of_month").mean == Approx(5.5));  // days 1..10 of January

  selection = {};
  selection.columns = {"price"};
  const std::vector<FeatureSpec> just_price = fit_features(data, selection, 0);
  REQUIRE(just_price.size() == 1 + 1 + 4);
  CHECK(just_price[1].name == "price");
  selection = {};
  selection.none = true;
  CHECK(fit_features(data, selection, 0).size() == 1);
  selection = {};
  selection.calendar_only = true;
  const std::vector<FeatureSpec> calendar = fit_features(data, selection, 0);
  REQUIRE(calendar.size() == 1 + 4);
  for (size_t i = 1; i < calendar.size(); ++i) CHECK(calendar[i].source == FeatureSource::Calendar);

  selection = {};
  selection.columns = {"price", "colour"};
  check_error([&] { fit_features(data, selection, 0); }, ErrorCode::InvalidArgument,
              "covariate 'colour' is not a column");
  selection = {};
  selection.past_only = {"store"};
  check_error([&] { fit_features(data, selection, 0); }, ErrorCode::InvalidArgument,
              "past-only covariate 'store' is constant within every series");
}

TEST_CASE("feature encoder writes the arrays the model reads", "[features]") {
  const Dataset data = sample();
  FeatureSelection selection;
  selection.past_only = {"weather"};
  const std::vector<FeatureSpec> f = fit_features(data, selection, 2);
  // Context 8 days, horizon 2: at origin 10 of series b the context is days 2..9, the horizon 10..11.
  const ModelConfig config = config_for(8, 2);
  const FeatureEncoder encoder(config, f);
  const CovariateLayout& l = encoder.layout();
  // Known reals: price (+ its log ratio), promo, day_of_month, week_of_year; past: weather.
  REQUIRE(l.known_real_channels == 5);
  REQUIRE(l.past_real_channels == 1);
  REQUIRE(l.known_categorical.size() == 3);  // event, day_of_week, month
  REQUIRE(l.static_categorical.size() == 1);  // store

  const SeriesInputs inputs(data);
  CovariateArrays out;
  out.resize(encoder.sizes(), 2);
  encoder.encode(inputs.at(1, 10, 2), 1, out);
  const FeatureSpec& price = feature(f, "price");
  const int64_t R = l.real_columns();
  const float* context = out.context_real.data() + encoder.sizes().context_real;
  const float* horizon = out.horizon_real.data() + encoder.sizes().horizon_real;
  // Context day 0 is record day 2: price 2.5 + 0.2; its ratio to the series' context mean
  // (days 2..9: 2.5 + 0.55 = 3.05).
  CHECK(context[0] == Approx((2.7 - price.mean) / price.scale));
  CHECK(context[1] == Approx(std::log(2.7 / 3.05)));
  // Horizon day 1 is record day 11: price 3.6, the same reference.
  CHECK(horizon[1 * l.known_real_channels + 0] == Approx((3.6 - price.mean) / price.scale));
  CHECK(horizon[1 * l.known_real_channels + 1] == Approx(std::log(3.6 / 3.05)));
  // weather (past-only) is the last real column of the context.
  const FeatureSpec& weather = feature(f, "weather");
  CHECK(context[7 * R + R - 1] == Approx((8.0 - 9 - weather.mean) / weather.scale));

  // Codes: event (Easter at day 3: vocabulary entry 1; "Late" at day 10 is unknown: 0; empty
  // days are missing: 0), day of week (2024-01-03 is a Wednesday: entry 3), month (January: 1).
  const int64_t K = l.code_columns();
  const int32_t* codes = out.context_codes.data() + encoder.sizes().context_codes;
  CHECK(codes[1 * K + 0] == 1);
  CHECK(codes[0 * K + 0] == 0);
  CHECK(codes[0 * K + 1] == 3);
  CHECK(codes[0 * K + 2] == 1);
  const int32_t* horizon_codes = out.horizon_codes.data() + encoder.sizes().horizon_codes;
  CHECK(horizon_codes[0] == 0);  // "Late": not in the vocabulary
  CHECK(horizon_codes[1 * 3 + 1] == 5);  // 2024-01-12 is a Friday
  CHECK(out.static_codes[1] == 2);  // TX_2

  // A context reaching before the series' start: zeros and the unknown bucket there, the
  // calendar still defined.
  encoder.encode(inputs.at(0, 3, 2), 0, out);
  CHECK(out.context_real[0] == 0.0f);
  CHECK(out.context_codes[0] == 0);
  CHECK(out.context_codes[1] == 3);  // context day 0 is 2023-12-27, a Wednesday
}

TEST_CASE("feature encoder refuses what the model cannot read", "[features]") {
  const Dataset data = sample();
  const std::vector<FeatureSpec> f = fit_features(data, {}, 0);
  const FeatureEncoder encoder(config_for(8, 2), f);
  const SeriesInputs inputs(data);
  CovariateArrays out;
  out.resize(encoder.sizes(), 1);
  // The whole history: known-future columns end with it.
  check_error([&] { encoder.encode(inputs.latest(0), 0, out); }, ErrorCode::InvalidArgument,
              "known-future covariate 'price' of series 'a' covers 0 of the 2 days");
  // One day past the last: a caller asking for 1 day needs it, 0 days need nothing.
  check_error([&] { encoder.encode(inputs.at(0, 12, 2), 0, out, 1); }, ErrorCode::InvalidArgument,
              "covers 0 of the 1 days");
  CHECK_NOTHROW(encoder.encode(inputs.at(0, 12, 2), 0, out, 0));
  // A record without a column the model reads.
  SeriesInput bare = inputs.at(0, 8, 2);
  bare.known.erase(bare.known.begin());
  check_error([&] { encoder.encode(bare, 0, out); }, ErrorCode::InvalidArgument,
              "series 'a' has no covariate 'price'");
  // A static column that varies within the series.
  SeriesInput varying = inputs.at(0, 8, 2);
  for (const CovariateView& v : std::vector<CovariateView>(varying.known))
    if (v.name == "weather") {
      CovariateView store = v;
      store.name = "store";
      varying.known.push_back(store);
    }
  std::vector<FeatureSpec> numeric_store = f;
  for (FeatureSpec& spec : numeric_store)
    if (spec.name == "store") {
      spec.kind = FeatureKind::Real;
      spec.levels.clear();
    }
  varying.statics.clear();
  const FeatureEncoder numeric(config_for(8, 2), numeric_store);
  CovariateArrays numeric_out;
  numeric_out.resize(numeric.sizes(), 1);
  check_error([&] { numeric.encode(varying, 0, numeric_out); }, ErrorCode::InvalidArgument,
              "static covariate 'store' of series 'a' varies within the series");
  // A column of the other kind.
  SeriesInput wrong_kind = inputs.at(0, 8, 2);
  for (CovariateView& v : wrong_kind.statics) v.name = "promo";
  for (CovariateView& v : wrong_kind.known)
    if (v.name == "promo") v.name = "unused";
  check_error([&] { encoder.encode(wrong_kind, 0, out); }, ErrorCode::InvalidArgument,
              "covariate 'promo' of series 'a' is categorical, the model read it as numeric");
}
