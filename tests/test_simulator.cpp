// Policy simulator (lib/inventory/simulator): hand-computed replays with a
// forecaster that repeats the last observed day, lost-sales and backorder
// accounting, order arrival timing, no use of future data, thread-count
// determinism, and snaive / ets on a real M5 slice at two service levels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "data/dataset.hpp"
#include "inventory/simulator.hpp"
#include "methods/forecaster.hpp"
#include "test_files.hpp"

using namespace invforecast;

namespace {

// Forecasts every future day as the last observed day with no spread, so a
// decision's order-up-to level is exactly (lead time + review) * last value.
// Remembers where each history it was given ends.
class LastValueForecaster : public Forecaster {
 public:
  explicit LastValueForecaster(size_t levels) : levels_(levels) {}
  std::string_view name() const override { return "last_value"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    history_starts.push_back(history.data());
    history_ends.push_back(history.data() + history.size());
    SeriesForecast out;
    out.method = "last_value";
    out.interval_method = "none";
    out.mean.assign(horizon, history.back());
    out.quantiles.assign(horizon * levels_, history.back());
    return out;
  }
  mutable std::vector<const double*> history_starts;
  mutable std::vector<const double*> history_ends;

 private:
  size_t levels_;
};

SimulationOptions base_options(size_t test_days, int lead, int review) {
  SimulationOptions options;
  options.test_days = test_days;
  options.lead_time_days = lead;
  options.review_period_days = review;
  options.forecast.threads = 1;
  options.record_days = true;
  return options;
}

// `history` days of `level`, then the test days.
std::vector<double> series_of(size_t history, double level, const std::vector<double>& test) {
  std::vector<double> values(history, level);
  values.insert(values.end(), test.begin(), test.end());
  return values;
}

std::vector<double> end_of_day_stock(const SeriesSimulation& result) {
  std::vector<double> stock;
  for (const DayRecord& day : result.days) stock.push_back(day.on_hand_end);
  return stock;
}

void require_error(const std::function<void()>& action, ErrorCode code, const std::string& needle) {
  try {
    action();
  } catch (const Error& error) {
    CHECK(error.code() == code);
    CHECK_THAT(std::string(error.what()), Catch::Contains(needle));
    return;
  }
  FAIL("no invforecast::Error thrown");
}

const Dataset& m5_slice() {
  static const Dataset dataset =
      read_csv(std::string(INVF_TEST_FIXTURES) + "/data/m5_slice.csv.gz", IngestOptions{});
  return dataset;
}

bool same_record(const DayRecord& a, const DayRecord& b) {
  return a.index == b.index && a.arrived == b.arrived && a.on_hand_start == b.on_hand_start &&
         a.review == b.review && a.order_up_to == b.order_up_to &&
         a.order_quantity == b.order_quantity && a.demand == b.demand && a.served == b.served &&
         a.short_units == b.short_units && a.on_hand_end == b.on_hand_end &&
         a.backorders_end == b.backorders_end;
}

}  // namespace

TEST_CASE("daily review with constant demand matches the hand computation", "[simulator]") {
  // d = 5, L = 2, R = 1: S = 15 every day.  Start with 15 on hand; day 0 orders
  // nothing, every later day orders the 5 units sold (position 10 -> 15).
  // End-of-day stock: 10, 5, then 0 once the day-1 order arrives on day 3.
  SimulationOptions options = base_options(10, 2, 1);
  options.costs = {0.5, 4.0, 3.0};
  const LastValueForecaster method(options.forecast.quantiles.size());
  const auto values = series_of(10, 5.0, std::vector<double>(10, 5.0));
  const SeriesSimulation result = simulate_series(method, "constant", values, options);

  REQUIRE(result.simulated);
  CHECK(result.initial_on_hand == 15.0);
  CHECK(end_of_day_stock(result) == std::vector<double>{10, 5, 0, 0, 0, 0, 0, 0, 0, 0});
  const PolicyOutcome& o = result.outcome;
  CHECK(o.demand == 50.0);
  CHECK(o.served == 50.0);
  CHECK(o.fill_rate == 1.0);
  CHECK(o.stockout_days == 0);
  CHECK(o.cycles == 10);
  CHECK(o.cycle_service_level == 1.0);
  CHECK(o.orders == 9);
  CHECK(o.ordered_units == 45.0);
  CHECK(o.avg_inventory == Approx(1.5));
  CHECK(o.holding_cost == Approx(0.5 * 15));
  CHECK(o.shortage_cost == 0.0);
  CHECK(o.order_cost == Approx(27.0));
  CHECK(o.total_cost == Approx(34.5));
  for (const DayRecord& day : result.days) {
    CHECK(day.review);
    CHECK(day.order_up_to == 15.0);
    CHECK(day.order_quantity == (day.index == 10 ? 0.0 : 5.0));
  }
}

TEST_CASE("weekly review orders once a week and forecasts only at reviews", "[simulator]") {
  // d = 5, L = 2, R = 7: S = 45.  Reviews on days 0, 7, 14; days 7 and 14
  // find 10 on hand and order 35, which arrive on days 9 and 16.
  SimulationOptions options = base_options(21, 2, 7);
  const LastValueForecaster method(options.forecast.quantiles.size());
  const auto values = series_of(10, 5.0, std::vector<double>(21, 5.0));
  const SeriesSimulation result = simulate_series(method, "weekly", values, options);

  const std::vector<double> week_one = {40, 35, 30, 25, 20, 15, 10};
  const std::vector<double> later_week = {5, 0, 30, 25, 20, 15, 10};
  std::vector<double> expected = week_one;
  expected.insert(expected.end(), later_week.begin(), later_week.end());
  expected.insert(expected.end(), later_week.begin(), later_week.end());
  CHECK(end_of_day_stock(result) == expected);
  CHECK(method.history_ends.size() == 3);
  CHECK(result.outcome.orders == 2);
  CHECK(result.outcome.ordered_units == 70.0);
  CHECK(result.outcome.cycles == 3);
  CHECK(result.outcome.fill_rate == 1.0);
  CHECK(result.outcome.avg_inventory == Approx(385.0 / 21.0));
  for (const DayRecord& day : result.days) CHECK(day.review == ((day.index - 10) % 7 == 0));
}

TEST_CASE("pack size and MOQ round orders and the starting stock", "[simulator]") {
  // S = 15 rounds up to a start of 16 with packs of 4; every order is a pack
  // multiple of at least 8 and constant demand is always met.
  SimulationOptions options = base_options(12, 2, 1);
  options.pack_size = 4.0;
  options.moq = 8.0;
  const LastValueForecaster method(options.forecast.quantiles.size());
  const auto values = series_of(10, 5.0, std::vector<double>(12, 5.0));
  const SeriesSimulation result = simulate_series(method, "packs", values, options);
  CHECK(result.initial_on_hand == 16.0);
  CHECK(result.outcome.fill_rate == 1.0);
  CHECK(result.outcome.orders > 0);
  for (const DayRecord& day : result.days)
    if (day.order_quantity > 0.0) {
      CHECK(day.order_quantity >= 8.0);
      CHECK(std::fmod(day.order_quantity, 4.0) == 0.0);
    }
}

TEST_CASE("lost sales and backorders are accounted differently", "[simulator]") {
  // History of 2 a day, then test demand 2, 2, 8, 2, 2, 2 with L = R = 1, so
  // S = 2 * (yesterday's demand).  Lost sales: day 2 loses 6; the day-3
  // order (S = 16, position 2) brings 14 on day 4.  Backorders: day 2 owes 6,
  // the day-3 arrival pays 2 of them, so day 3's demand is short too; the
  // day-3 order is 16 - (0 - 4) = 20 and pays the 6 owed on day 4.
  SimulationOptions options = base_options(6, 1, 1);
  options.costs.shortage_per_unit = 1.0;
  const LastValueForecaster method(options.forecast.quantiles.size());
  const auto values = series_of(10, 2.0, {2, 2, 8, 2, 2, 2});

  options.regime = StockoutRegime::LostSales;
  const SeriesSimulation lost = simulate_series(method, "spike", values, options);
  CHECK(end_of_day_stock(lost) == std::vector<double>{2, 0, 0, 0, 12, 10});
  std::vector<double> orders;
  for (const DayRecord& day : lost.days) orders.push_back(day.order_quantity);
  CHECK(orders == std::vector<double>{0, 2, 2, 14, 0, 0});
  CHECK(lost.outcome.served == 12.0);
  CHECK(lost.outcome.short_units == 6.0);
  CHECK(lost.outcome.fill_rate == Approx(12.0 / 18.0));
  CHECK(lost.outcome.stockout_days == 1);
  CHECK(lost.outcome.cycle_service_level == Approx(5.0 / 6.0));
  CHECK(lost.outcome.shortage_cost == 6.0);
  CHECK(lost.outcome.avg_inventory == Approx(4.0));
  CHECK(lost.outcome.ending_backorders == 0.0);

  options.regime = StockoutRegime::Backorder;
  const SeriesSimulation owed = simulate_series(method, "spike", values, options);
  CHECK(end_of_day_stock(owed) == std::vector<double>{2, 0, 0, 0, 12, 10});
  orders.clear();
  std::vector<double> backorders;
  for (const DayRecord& day : owed.days) {
    orders.push_back(day.order_quantity);
    backorders.push_back(day.backorders_end);
  }
  CHECK(orders == std::vector<double>{0, 2, 2, 20, 0, 0});
  CHECK(backorders == std::vector<double>{0, 0, 6, 6, 0, 0});
  CHECK(owed.days[3].on_hand_start == 0.0);  // the 2 that arrived paid old backorders
  CHECK(owed.outcome.served == 10.0);
  CHECK(owed.outcome.short_units == 8.0);
  CHECK(owed.outcome.fill_rate == Approx(10.0 / 18.0));
  CHECK(owed.outcome.stockout_days == 2);
  CHECK(owed.outcome.cycle_service_level == Approx(4.0 / 6.0));
  CHECK(owed.outcome.shortage_cost == 8.0);
  CHECK(owed.outcome.ending_backorders == 0.0);
}

TEST_CASE("orders arrive exactly lead time days after they are placed", "[simulator]") {
  const std::vector<double> fortnight = {3, 0, 7, 1, 4, 9, 0, 2, 5, 6, 1, 8, 3, 0, 4, 2};
  std::vector<double> test = fortnight;
  test.insert(test.end(), fortnight.begin(), fortnight.end());
  for (int lead : {1, 3, 5}) {
    SimulationOptions options = base_options(test.size(), lead, 1);
    const LastValueForecaster method(options.forecast.quantiles.size());
    const auto values = series_of(10, 3.0, test);
    const SeriesSimulation result = simulate_series(method, "arrivals", values, options);
    size_t arrivals = 0;
    for (size_t k = 0; k < result.days.size(); ++k) {
      const double placed = k >= static_cast<size_t>(lead) ? result.days[k - lead].order_quantity : 0.0;
      CHECK(result.days[k].arrived == placed);
      if (placed > 0.0) ++arrivals;
    }
    CHECK(arrivals > 3);
  }
}

TEST_CASE("each decision sees exactly the days before it", "[simulator]") {
  SimulationOptions options = base_options(14, 2, 3);
  const LastValueForecaster method(options.forecast.quantiles.size());
  const auto values = series_of(20, 4.0, std::vector<double>(14, 6.0));
  simulate_series(method, "spy", values, options);
  // Reviews on test days 0, 3, 6, 9, 12: histories end at indices 20, 23, ...
  REQUIRE(method.history_ends.size() == 5);
  for (size_t r = 0; r < 5; ++r) {
    CHECK(method.history_starts[r] == values.data());
    CHECK(method.history_ends[r] == values.data() + 20 + 3 * r);
  }

  // With history_days = 8, each forecast sees only the 8 days before it.
  options.history_days = 8;
  const LastValueForecaster windowed(options.forecast.quantiles.size());
  simulate_series(windowed, "spy", values, options);
  REQUIRE(windowed.history_ends.size() == 5);
  for (size_t r = 0; r < 5; ++r) {
    CHECK(windowed.history_starts[r] == values.data() + 12 + 3 * r);
    CHECK(windowed.history_ends[r] == values.data() + 20 + 3 * r);
  }
}

TEST_CASE("changing future demand leaves earlier decisions unchanged", "[simulator]") {
  const Dataset& dataset = m5_slice();
  const size_t change_at = 10;  // test day from which the demand is altered
  for (const std::string name : {"snaive", "ets"}) {
    for (int review : {1, 5}) {
      SimulationOptions options = base_options(28, 2, review);
      const auto method = make_forecaster(name, options.forecast);
      size_t later_differences = 0;
      for (const Series& series : dataset.series) {
        std::vector<double> altered = series.values;
        const size_t first_changed = altered.size() - 28 + change_at;
        for (size_t i = first_changed; i < altered.size(); ++i) altered[i] = altered[i] * 3.0 + 7.0;
        const auto original = simulate_series(*method, series.id, series.values, options);
        const auto changed = simulate_series(*method, series.id, altered, options);
        REQUIRE(original.days.size() == 28);
        for (size_t k = 0; k < change_at; ++k) CHECK(same_record(original.days[k], changed.days[k]));
        // The decision of the first altered day is made before its demand.
        CHECK(original.days[change_at].order_up_to == changed.days[change_at].order_up_to);
        CHECK(original.days[change_at].order_quantity == changed.days[change_at].order_quantity);
        for (size_t k = change_at + 1; k < 28; ++k)
          if (original.days[k].order_up_to != changed.days[k].order_up_to) ++later_differences;
      }
      CHECK(later_differences > 0);  // the check above could see a leak
    }
  }
}

TEST_CASE("the report does not depend on the thread count", "[simulator]") {
  SimulationOptions options = base_options(14, 2, 7);
  options.record_days = false;
  options.costs = {0.1, 2.0, 1.0};
  options.forecast.threads = 1;
  const SimulationReport one = simulate_policy(m5_slice(), {"snaive", "ets", "croston"}, options);
  options.forecast.threads = 3;
  const SimulationReport three = simulate_policy(m5_slice(), {"snaive", "ets", "croston"}, options);
  CHECK(one.to_json(true) == three.to_json(true));
  REQUIRE(one.methods.size() == 3);
  CHECK(one.methods[1].method == "ets");
  CHECK(one.methods[1].simulated_series == m5_slice().series.size());
}

TEST_CASE("snaive and ets on a real slice: a higher service level holds more stock",
          "[simulator]") {
  const Dataset& dataset = m5_slice();
  const size_t series_count = dataset.series.size();
  SimulationOptions options = base_options(28, 2, 7);
  options.record_days = false;
  options.forecast.threads = 2;
  options.costs = {0.05, 1.0, 0.0};
  options.service_target = 0.8;
  const SimulationReport low = simulate_policy(dataset, {"snaive", "ets"}, options);
  options.service_target = 0.95;
  const SimulationReport high = simulate_policy(dataset, {"snaive", "ets"}, options);

  for (size_t m = 0; m < 2; ++m) {
    const PolicyOutcome& a = low.methods[m].aggregate;
    const PolicyOutcome& b = high.methods[m].aggregate;
    INFO(low.methods[m].method << " fill " << a.fill_rate << " -> " << b.fill_rate << ", stock "
                               << a.avg_inventory << " -> " << b.avg_inventory);
    CHECK(b.avg_inventory > a.avg_inventory);
    CHECK(b.fill_rate >= a.fill_rate);
    CHECK(b.holding_cost > a.holding_cost);
    CHECK(a.cycles == series_count * 4);
    CHECK(a.fill_rate > 0.0);
    CHECK(b.fill_rate <= 1.0);
    // The same forecast and the same Monte Carlo samples give a higher S.
    for (size_t i = 0; i < series_count; ++i)
      CHECK(high.methods[m].series[i].initial_on_hand >= low.methods[m].series[i].initial_on_hand);
    // Aggregates are sums and pooled ratios of the per-series outcomes.
    double served = 0.0, demand = 0.0, stock = 0.0;
    size_t stockouts = 0;
    for (const SeriesSimulation& s : low.methods[m].series) {
      served += s.outcome.served;
      demand += s.outcome.demand;
      stock += s.outcome.avg_inventory;
      stockouts += s.outcome.stockout_days;
    }
    CHECK(a.fill_rate == Approx(served / demand));
    CHECK(a.avg_inventory == Approx(stock));
    CHECK(a.stockout_days == stockouts);
    CHECK(a.holding_cost == Approx(0.05 * 28 * a.avg_inventory));
  }
  // The table has a header and one row per method.
  const std::string table = high.to_table();
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);
  CHECK_THAT(table, Catch::Contains("avg_inventory") && Catch::Contains("\nets "));
  // JSON has the fields the CLI promises.
  const std::string json = high.to_json(false);
  for (const char* key : {"\"method\"", "\"fill_rate\"", "\"cycle_service_level\"",
                          "\"stockout_days\"", "\"avg_inventory\"", "\"orders\""})
    CHECK_THAT(json, Catch::Contains(key));
}

TEST_CASE("short series are skipped with a warning", "[simulator]") {
  Dataset dataset;
  Series short_series;
  short_series.id = "short";
  short_series.values = {1, 2, 3};
  Series long_series;
  long_series.id = "long";
  long_series.values = std::vector<double>(12, 2.0);
  dataset.series = {long_series, short_series};
  SimulationOptions options = base_options(5, 1, 1);
  const LastValueForecaster method(options.forecast.quantiles.size());
  const Forecaster* methods[] = {&method};
  const SimulationReport report = simulate_forecasters(dataset, methods, options);
  REQUIRE(report.methods.size() == 1);
  CHECK(report.methods[0].simulated_series == 1);
  CHECK(report.methods[0].aggregate.demand == 10.0);
  REQUIRE(report.methods[0].warnings.size() == 1);
  CHECK_THAT(report.methods[0].warnings[0], Catch::Contains("'short' skipped"));
}

TEST_CASE("progress reaches the total and can cancel", "[simulator]") {
  SimulationOptions options = base_options(7, 1, 7);
  size_t last_done = 0, last_total = 0;
  options.progress = [&](std::string_view, size_t done, size_t total) {
    last_done = done;
    last_total = total;
    return true;
  };
  simulate_policy(m5_slice(), {"naive", "snaive"}, options);
  CHECK(last_total == 2 * m5_slice().series.size());
  CHECK(last_done == last_total);
  options.progress = [](std::string_view, size_t, size_t) { return false; };
  require_error([&] { simulate_policy(m5_slice(), {"naive"}, options); }, ErrorCode::Cancelled, "");
}

TEST_CASE("bad simulation settings are clear errors", "[simulator]") {
  const Dataset& dataset = m5_slice();
  SimulationOptions options = base_options(7, 2, 1);
  auto run = [&] { simulate_policy(dataset, {"naive"}, options); };
  require_error([&] { simulate_policy(dataset, {}, options); }, ErrorCode::InvalidArgument,
                "no method");
  require_error([&] { simulate_policy(dataset, {"prophet"}, options); }, ErrorCode::InvalidArgument,
                "unknown forecasting method 'prophet'");
  options.lead_time_days = 0;
  require_error(run, ErrorCode::InvalidArgument, "lead_time must be at least 1");
  options = base_options(7, 2, 1);
  options.test_days = 0;
  require_error(run, ErrorCode::InvalidArgument, "test_days");
  options = base_options(7, 2, 0);
  require_error(run, ErrorCode::InvalidArgument, "review_period");
  options = base_options(7, 2, 1);
  options.service_target = 1.0;
  require_error(run, ErrorCode::InvalidArgument, "service_level must be in (0, 1)");
  options = base_options(7, 2, 1);
  options.moq = 5.0;
  options.pack_size = 2.0;
  require_error(run, ErrorCode::InvalidArgument, "moq 5 is not a multiple of pack_size 2");
  options = base_options(7, 2, 1);
  options.costs.holding_per_unit_day = -1.0;
  require_error(run, ErrorCode::InvalidArgument, "holding cost");
  options = base_options(7, 2, 1);
  options.forecast.quantiles = {0.5, 0.3};
  require_error(run, ErrorCode::InvalidArgument, "quantile levels are not strictly ascending");
  options = base_options(7, 2, 1);
  options.sampling.samples = 0;
  require_error(run, ErrorCode::InvalidArgument, "samples must be positive");
}

namespace {

// Forecasts every day as the last observed value v with quantiles
// v * (0.5 + level), so higher targets need more stock; counts its calls.
class SpreadForecaster : public Forecaster {
 public:
  explicit SpreadForecaster(std::vector<double> levels) : levels_(std::move(levels)) {}
  std::string_view name() const override { return "spread"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    const std::span<const double> history = input.target;
    ++calls;
    SeriesForecast out;
    out.method = "spread";
    out.mean.assign(horizon, history.back());
    for (size_t d = 0; d < horizon; ++d)
      for (double level : levels_) out.quantiles.push_back(history.back() * (0.5 + level));
    return out;
  }
  mutable std::atomic<size_t> calls{0};

 private:
  std::vector<double> levels_;
};

Dataset two_series_dataset() {
  Dataset dataset;
  Series a;
  a.id = "a";
  for (int d = 0; d < 60; ++d) a.values.push_back((d * 5) % 9);
  Series b;
  b.id = "b";
  for (int d = 0; d < 60; ++d) b.values.push_back(d % 7 == 6 ? 12.0 : (d * 3) % 4);
  dataset.series = {a, b};
  return dataset;
}

}  // namespace

TEST_CASE("several targets: one forecast per review day, outcomes as separate runs", "[simulator]") {
  const Dataset dataset = two_series_dataset();
  SimulationOptions options = base_options(21, 2, 3);
  options.forecast.threads = 2;
  const SpreadForecaster method(options.forecast.quantiles);
  const SimulationMethod methods[] = {{&method, "spread", {}}};
  const std::vector<double> targets = {0.6, 0.85, 0.97};
  const std::vector<SimulationReport> reports = simulate_methods(dataset, methods, options, targets);
  // 21 test days, review every 3 days: 7 reviews per series, for all targets.
  CHECK(method.calls == 2 * 7);
  REQUIRE(reports.size() == 3);
  for (size_t i = 0; i < targets.size(); ++i) {
    options.service_target = targets[i];
    const Forecaster* single[] = {&method};
    const SimulationReport alone = simulate_forecasters(dataset, single, options);
    CHECK(reports[i].service_target == targets[i]);
    CHECK(reports[i].to_json(true) == alone.to_json(true));
    if (i > 0)
      CHECK(reports[i].methods[0].aggregate.avg_inventory >
            reports[i - 1].methods[0].aggregate.avg_inventory);
  }
  CHECK(method.calls == 2 * 7 * 4);
  // Several reports are a JSON array of the reports in order; one is its object.
  const std::vector<SimulationReport> first_two(reports.begin(), reports.begin() + 2);
  const auto array = nlohmann::json::parse(reports_to_json(first_two));
  REQUIRE(array.is_array());
  REQUIRE(array.size() == 2);
  CHECK(array[1] == nlohmann::json::parse(reports[1].to_json(false)));
  CHECK(reports_to_json(std::span(reports).first(1)) == reports[0].to_json(false));
}

TEST_CASE("a method with its own quantile levels, and a series that never sold", "[simulator]") {
  // Like a neural model: forecasts at the level 0.5 only, while the options
  // name nine levels.  The never-sold series is forecast as zero at 0.5.
  Dataset dataset = two_series_dataset();
  Series idle;
  idle.id = "idle";
  idle.values.assign(40, 0.0);
  idle.values.back() = 3.0;  // sells only on the last test day
  dataset.series.push_back(idle);
  SimulationOptions options = base_options(7, 1, 1);
  const SpreadForecaster median({0.5});
  const SimulationMethod methods[] = {{&median, "median", {0.5}}};
  const std::vector<SimulationReport> reports = simulate_methods(dataset, methods, options, {});
  REQUIRE(reports.size() == 1);
  const MethodSimulation& result = reports[0].methods[0];
  CHECK(result.method == "median");
  CHECK(result.simulated_series == 3);
  const SeriesSimulation& never = result.series[2];
  CHECK(never.outcome.avg_inventory == 0.0);
  CHECK(never.outcome.short_units == 3.0);
  CHECK(never.forecast_warnings == 7);
  // Without the levels the forecasts do not match the options' nine levels.
  const SimulationMethod unmatched[] = {{&median, "median", {}}};
  require_error([&] { simulate_methods(dataset, unmatched, options, {}); }, ErrorCode::Internal,
                "returned 2 quantiles");
}

TEST_CASE("uncertain lead times: drawn per order, repeatable, distributed as stated", "[simulator]") {
  // Constant demand 5 and a forecast without spread: every review orders the
  // 5 units sold, so there is one order a day and its lead time is a draw.
  const size_t test_days = 3000;
  const auto values = series_of(30, 5.0, std::vector<double>(test_days, 5.0));
  SimulationOptions options = base_options(test_days, 4, 1);
  options.lead_time_sd = 1.5;
  options.sampling.samples = 200;
  const LastValueForecaster method(options.forecast.quantiles.size());
  const SeriesSimulation result = simulate_series(method, "steady", values, options);
  const LeadTimeDistribution stated = discretise_lead_time(LeadTime::normal(4.0, 1.5), "steady");

  std::vector<double> counts(stated.probability.size(), 0.0);
  std::vector<double> due(values.size() + 64, 0.0);
  size_t orders = 0;
  for (const DayRecord& day : result.days) {
    CHECK(day.arrived == due[day.index]);  // what was due arrives, no more
    if (day.order_quantity > 0.0) {
      REQUIRE(day.order_lead_time >= stated.min_days);
      REQUIRE(day.order_lead_time <= stated.max_days());
      counts[static_cast<size_t>(day.order_lead_time - stated.min_days)] += 1.0;
      due[day.index + static_cast<size_t>(day.order_lead_time)] += day.order_quantity;
      ++orders;
    }
    // The decision mixes over the lead time: S is above the fixed-mean 5 * (4 + 1).
    CHECK(day.order_up_to > 25.0);
  }
  REQUIRE(orders > 2900);
  // Shares of about 3000 draws: standard error at most sqrt(0.25 / 3000) = 0.009; 0.03 is 3.3 of it.
  for (size_t k = 0; k < counts.size(); ++k)
    CHECK(counts[k] / static_cast<double>(orders) == Approx(stated.probability[k]).margin(0.03));

  const SeriesSimulation again = simulate_series(method, "steady", values, options);
  REQUIRE(again.days.size() == result.days.size());
  for (size_t k = 0; k < again.days.size(); ++k) CHECK(same_record(again.days[k], result.days[k]));
  options.sampling.seed += 1;
  const SeriesSimulation reseeded = simulate_series(method, "steady", values, options);
  size_t different = 0;
  for (size_t k = 0; k < reseeded.days.size(); ++k)
    different += reseeded.days[k].order_lead_time != result.days[k].order_lead_time ? 1 : 0;
  CHECK(different > test_days / 4);

  options = base_options(7, 2, 1);
  options.lead_time_sd = -1.0;
  require_error([&] { simulate_series(method, "steady", values, options); }, ErrorCode::InvalidArgument,
                "lead_time_sd must be a finite number >= 0");
}

namespace {

// Needs the known-future covariates over every day it forecasts, as a covariate model does,
// and remembers the promo values it read after each history.
class KnownFutureForecaster : public Forecaster {
 public:
  explicit KnownFutureForecaster(size_t levels) : levels_(levels) {}
  std::string_view name() const override { return "known_future"; }
  size_t min_history() const override { return 1; }
  SeriesForecast forecast(const SeriesInput& input, size_t horizon) const override {
    if (input.known_days() < horizon) fail(ErrorCode::InvalidArgument, "known days missing");
    const std::span<const double> promo = input.known.front().values;
    tails.emplace_back(promo.begin() + static_cast<ptrdiff_t>(input.target.size()),
                       promo.begin() + static_cast<ptrdiff_t>(input.target.size() + horizon));
    SeriesForecast out;
    out.mean.assign(horizon, 1.0);
    out.quantiles.assign(horizon * levels_, 1.0);
    return out;
  }
  mutable std::vector<std::vector<double>> tails;

 private:
  size_t levels_;
};

}  // namespace

TEST_CASE("the last reviews' known-future covariates are carried past the data's end",
          "[simulator][covariates]") {
  // 30 days, promo known in advance, 3 on the last day; lead time 2 and daily review: each
  // forecast needs 3 days, so the last two reviews reach past the data.
  testing::Folder folder("simulator_known");
  std::string csv = "series_id,date,value,promo\n";
  for (int d = 1; d <= 30; ++d)
    csv += fmt::format("s,2024-01-{:02d},{},{}\n", d, 2 + d % 3, d == 30 ? 3 : d % 2);
  testing::put(folder.file("sales.csv"), csv);
  const Dataset data = read_csv(folder.file("sales.csv"), IngestOptions{});
  SimulationOptions options = base_options(4, 2, 1);
  const KnownFutureForecaster method(options.forecast.quantiles.size());
  const Forecaster* methods[] = {&method};
  const SimulationReport report = simulate_forecasters(data, methods, options);
  REQUIRE(method.tails.size() == 4);
  // Decisions on days 27..30 (indices 26..29): the data holds the days up to index 29.
  CHECK(method.tails[1] == std::vector<double>{0, 1, 3});  // indices 27, 28, 29: all in the data
  CHECK(method.tails[2] == std::vector<double>{1, 3, 3});  // index 30 carried from index 29
  CHECK(method.tails[3] == std::vector<double>{3, 3, 3});
  REQUIRE(report.methods.size() == 1);
  REQUIRE_FALSE(report.methods[0].warnings.empty());
  CHECK_THAT(report.methods[0].warnings[0],
             Catch::Contains("2 forecasts with a warning, first: day 28: the known-future "
                             "covariates end 1 day(s) before the forecast's last day"));
}
