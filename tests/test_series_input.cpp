// The per-series input record (lib/data/series_input.*): covariate roles, the
// record at an origin and its cuts, the model's context row, and the record
// reaching the forecasters (a backtest's method sees only the days before
// each origin, known-future covariates up to the horizon).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "data/dataset.hpp"
#include "data/series_input.hpp"
#include "error.hpp"
#include "eval/backtest.hpp"
#include "methods/forecaster.hpp"

using namespace invforecast;

namespace {

Day day(const char* text) { return *parse_iso_date(text); }

// Two series of 10 days from 2024-01-01: sales 1..10 and 11..20; "price" varies by day
// (known-future by default), "store" is constant within each series (static), "weather"
// varies and is named past-only.
Dataset sample() {
  DatasetBuilder b({});
  const uint32_t src = b.add_source("array input");
  const Day first = day("2024-01-01");
  for (int s = 0; s < 2; ++s) {
    const std::string id = s == 0 ? "a" : "b";
    for (int t = 0; t < 10; ++t) {
      b.add_value(id, first + t, 10.0 * s + t + 1, {src, 0});
      b.add_numeric(id, "price", first + t, 2.0 + 0.1 * t, {src, 0});
      b.add_categorical(id, "store", first + t, s == 0 ? "CA_1" : "TX_2", {src, 0});
      b.add_numeric(id, "weather", first + t, 20.0 - t, {src, 0});
    }
  }
  return b.build();
}

const CovariateView& named(const std::vector<CovariateView>& views, std::string_view name) {
  for (const CovariateView& v : views)
    if (v.name == name) return v;
  FAIL("no covariate " << name);
  return views.front();
}

// Records what each call sees, and forecasts the last day's sales.
class RecordingForecaster final : public Forecaster {
 public:
  std::string_view name() const override { return "recording"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    targets.push_back(input.target.size());
    known.push_back(input.known_days());
    statics.push_back(input.statics.size());
    SeriesForecast out;
    out.method = "recording";
    out.interval_method = "none";
    out.mean.assign(horizon, input.target.back());
    out.quantiles.assign(horizon, input.target.back());
    return out;
  }
  mutable std::vector<size_t> targets, known, statics;
};

}  // namespace

TEST_CASE("series input: roles of the covariate columns", "[data][input]") {
  const Dataset d = sample();
  const std::vector<std::string> past_only{"weather"};
  const SeriesInputs inputs(d, past_only);
  CHECK(inputs.role(static_cast<size_t>(d.find_column("price"))) == CovariateRole::KnownFuture);
  CHECK(inputs.role(static_cast<size_t>(d.find_column("store"))) == CovariateRole::Static);
  CHECK(inputs.role(static_cast<size_t>(d.find_column("weather"))) == CovariateRole::PastOnly);
  // Without the past-only list, a varying column is known-future.
  const SeriesInputs defaults(d);
  CHECK(defaults.role(static_cast<size_t>(d.find_column("weather"))) == CovariateRole::KnownFuture);
  const std::vector<std::string> unknown{"temperature"};
  CHECK_THROWS_WITH(SeriesInputs(d, unknown),
                    "past-only covariate 'temperature' is not a column of the data");
}

TEST_CASE("series input: the record at an origin and its cuts", "[data][input]") {
  const Dataset d = sample();
  const std::vector<std::string> past_only{"weather"};
  const SeriesInputs inputs(d, past_only);
  const SeriesInput in = inputs.at(1, 6, 3);
  CHECK(in.id == "b");
  CHECK(std::vector<double>(in.target.begin(), in.target.end()) ==
        std::vector<double>{11, 12, 13, 14, 15, 16});
  REQUIRE(in.known.size() == 1);
  REQUIRE(in.past.size() == 1);
  REQUIRE(in.statics.size() == 1);
  // Known-future: the 6 days before the origin and the 3 after it.
  const CovariateView& price = named(in.known, "price");
  REQUIRE(price.values.size() == 9);
  CHECK(price.values[8] == Approx(2.8));
  CHECK(in.known_days() == 3);
  // Past-only: the 6 days before the origin, nothing after.
  CHECK(named(in.past, "weather").values.size() == 6);
  CHECK(named(in.past, "weather").values.back() == 15.0);
  const CovariateView& store = named(in.statics, "store");
  CHECK_FALSE(store.numeric);
  REQUIRE(store.codes.size() == 1);
  CHECK(store.levels[static_cast<size_t>(store.codes[0])] == "TX_2");

  // Near the end of the data the known-future days stop where the data does.
  CHECK(inputs.at(1, 9, 5).known_days() == 1);
  CHECK(inputs.latest(0).target.size() == 10);
  CHECK(inputs.latest(0).known_days() == 0);

  // An earlier origin inside the record, and the record from a later first day.
  const SeriesInput earlier = in.before(4, 2);
  CHECK(earlier.target.size() == 4);
  CHECK(earlier.known_days() == 2);
  CHECK(named(earlier.past, "weather").values.size() == 4);
  const SeriesInput later = in.from(2);
  CHECK(later.target.front() == 13.0);
  CHECK(named(later.known, "price").values.size() == 7);
  CHECK(later.known_days() == 3);
  CHECK(later.statics.size() == 1);  // statics have no calendar

  CHECK_THROWS_WITH(inputs.at(2, 1, 1), "series index 2 is out of range (count 2)");
  CHECK_THROWS_WITH(inputs.at(0, 11, 1), "series 'a': origin 11 is past its 10 days");
  CHECK_THROWS_WITH(in.before(7, 1), "series input 'b': origin 7 is past its 6 days");
}

TEST_CASE("series input: the model's context row", "[data][input]") {
  const std::vector<double> history{1, 2, 3};
  std::vector<float> row(5, -1.0f);
  fill_context(history, row);
  CHECK(row == std::vector<float>{0, 0, 1, 2, 3});  // left-padded: no sales before the first date
  std::vector<float> short_row(2, -1.0f);
  fill_context(history, short_row);
  CHECK(short_row == std::vector<float>{2, 3});  // the last days only
}

TEST_CASE("series input: a backtest's method sees each origin's record", "[data][input]") {
  const Dataset d = sample();
  const SeriesInputs inputs(d);
  RecordingForecaster method;
  ForecastOptions options;
  options.quantiles = {0.5};
  // Two windows of 3 days on series b (10 days): origins 4 and 7.
  const auto windows = rolling_forecasts(method, options, "b", inputs.latest(1), 3, 2);
  REQUIRE(windows.size() == 2);
  CHECK(method.targets == std::vector<size_t>{4, 7});
  // Known-future covariates (price, weather) reach each window's horizon; store is static.
  CHECK(method.known == std::vector<size_t>{3, 3});
  CHECK(method.statics == std::vector<size_t>{1, 1});
  CHECK(windows[0].forecast.mean.front() == 14.0);  // day 4 of series b, the last it may read
}
