// Rolling-origin backtests on small synthetic datasets whose answers are known.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "eval/backtest.hpp"

using namespace invforecast;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

Series make_series(std::string id, std::vector<double> values) {
  Series series;
  series.id = std::move(id);
  series.start_day = 20000;
  series.observed.assign(values.size(), 1);
  series.values = std::move(values);
  return series;
}

// 1, 2, ..., 7 repeated `weeks` times: perfectly weekly, and launched on day 0.
std::vector<double> weekly_pattern(size_t weeks) {
  std::vector<double> values;
  for (size_t w = 0; w < weeks; ++w)
    for (int d = 1; d <= 7; ++d) values.push_back(d);
  return values;
}

// Deterministic pseudo-random demand (an LCG), intermittent when `zero_share` > 0.
std::vector<double> noisy_series(uint32_t seed, size_t length, double zero_share) {
  std::vector<double> values(length);
  uint32_t state = seed * 2654435761u + 1;
  for (size_t t = 0; t < length; ++t) {
    state = state * 1664525u + 1013904223u;
    const double u = (state >> 8) / 16777216.0;
    values[t] = u < zero_share ? 0.0 : std::floor(1.0 + 9.0 * u + 3.0 * (t % 7 == 5));
  }
  return values;
}

Options single_thread() {
  Options options;
  options.forecast.threads = 1;
  return options;
}

double metric(const BacktestReport& report, size_t method, const char* name) {
  return report.methods[method].aggregate[report.metric_index(name)];
}

double series_metric(const BacktestReport& report, size_t method, size_t series, const char* name) {
  return report.methods[method].per_series[series][report.metric_index(name)];
}

// RMSSE's scale of the weekly pattern trained on its first `origin` days:
// steps are +1 except -6 at every t divisible by 7.
double weekly_squared_scale(size_t origin) {
  const size_t drops = (origin - 1) / 7;
  return (36.0 * drops + 1.0 * (origin - 1 - drops)) / static_cast<double>(origin - 1);
}

}  // namespace

TEST_CASE("snaive is exact on a weekly series, naive is not", "[backtest]") {
  Dataset dataset;
  dataset.series.push_back(make_series("weekly", weekly_pattern(10)));
  const auto report = run_backtest(dataset, {"snaive", "naive"}, 7, 3, single_thread());
  REQUIRE(report.methods.size() == 2);
  CHECK(report.methods[0].scored_windows[0] == 3);

  // snaive repeats last week: no error at all.
  CHECK(metric(report, 0, "rmsse") == 0.0);
  CHECK(metric(report, 0, "smape") == 0.0);
  CHECK(metric(report, 0, "bias") == 0.0);
  CHECK(metric(report, 0, "wrmsse") == 0.0);
  // The weekly difference of a weekly series is zero: MASE is undefined and
  // the series is left out, not counted as 0 or infinity.
  CHECK(std::isnan(metric(report, 0, "mase")));
  CHECK(std::isnan(series_metric(report, 0, 0, "mase")));

  // naive repeats the last value, 7, over a week of 1..7 in every window:
  // errors 6..0, mse 13, bias 3; windows start at days 49, 56 and 63.
  const double expected_rmsse = (std::sqrt(13.0 / weekly_squared_scale(49)) +
                                 std::sqrt(13.0 / weekly_squared_scale(56)) +
                                 std::sqrt(13.0 / weekly_squared_scale(63))) / 3.0;
  CHECK(metric(report, 1, "rmsse") == Approx(expected_rmsse));
  CHECK(metric(report, 1, "wrmsse") == Approx(expected_rmsse));
  CHECK(metric(report, 1, "bias") == Approx(3.0));
  double smape_terms = 0.0;
  for (int actual = 1; actual <= 7; ++actual) smape_terms += 2.0 * (7 - actual) / (7.0 + actual);
  CHECK(metric(report, 1, "smape") == Approx(100.0 * smape_terms / 7.0));
}

TEST_CASE("origins never see their own or later days", "[backtest]") {
  // Every day has a distinct value, so a forecast built on day `origin` would show.
  std::vector<double> values(60);
  for (size_t t = 0; t < values.size(); ++t) values[t] = 1.0 + static_cast<double>(t);
  const ForecastOptions options;
  const size_t horizon = 5, windows = 4;

  const auto naive = make_forecaster("naive", options);
  const auto windows_naive = rolling_forecasts(*naive, options, "s", values, horizon, windows);
  REQUIRE(windows_naive.size() == windows);
  for (const auto& w : windows_naive) {
    CHECK(w.origin == values.size() - (windows - w.window) * horizon);
    for (double mean : w.forecast.mean) CHECK(mean == values[w.origin - 1]);
  }

  // Replace each window's future with wild values: its forecast must not move.
  for (const char* method_name : {"naive", "snaive", "ma", "croston", "tsb", "ets", "auto"}) {
    const auto method = make_forecaster(method_name, options);
    const auto reference = rolling_forecasts(*method, options, "s", values, horizon, windows);
    REQUIRE(reference.size() == windows);
    for (const auto& w : reference) {
      std::vector<double> altered = values;
      for (size_t t = w.origin; t < altered.size(); ++t) altered[t] = 1e6 * static_cast<double>(t % 3);
      const auto again = rolling_forecasts(*method, options, "s", altered, horizon, windows);
      REQUIRE(again.size() == windows);
      INFO(method_name << " window " << w.window);
      CHECK(again[w.window].forecast.mean == w.forecast.mean);
      CHECK(again[w.window].forecast.quantiles == w.forecast.quantiles);
    }
  }
}

TEST_CASE("windows without history are skipped and reported", "[backtest]") {
  Dataset dataset;
  dataset.series.push_back(make_series("long", weekly_pattern(10)));  // 70 days
  dataset.series.push_back(make_series("medium", {3, 1, 4, 1, 5, 9, 2, 6, 5, 3}));  // 10 days
  dataset.series.push_back(make_series("tiny", {1, 2, 3, 4, 5}));  // 5 days
  const auto report = run_backtest(dataset, {"naive"}, 7, 3, single_thread());
  const MethodReport& naive = report.methods[0];
  // Window w (0 = earliest) needs more than (3 - w) * 7 days: 10 days allow the last one only.
  CHECK(naive.scored_windows == std::vector<size_t>{3, 1, 0});
  size_t skip_warnings = 0;
  for (const auto& warning : naive.warnings) {
    if (warning.find("series 'medium': 2 of 3 windows skipped") != std::string::npos) ++skip_warnings;
    if (warning.find("series 'tiny': 3 of 3 windows skipped") != std::string::npos) ++skip_warnings;
  }
  CHECK(skip_warnings == 2);
  for (const auto& name : metric_names()) CHECK(std::isnan(series_metric(report, 0, 2, name.c_str())));
  // The medium series' single window: history {3,1,4}, naive forecasts 4 for {1,5,9,2,6,5,3}.
  CHECK(series_metric(report, 0, 1, "bias") == Approx(4.0 - 31.0 / 7.0));
  // Pooled bias over the 28 scored days: 21 days at +3 from "long" plus "medium"'s 7.
  CHECK(metric(report, 0, "bias") == Approx((21.0 * 3.0 + 7.0 * (4.0 - 31.0 / 7.0)) / 28.0));
}

TEST_CASE("WRMSSE weights come from revenue before the last origin", "[backtest]") {
  const size_t length = 70, horizon = 7;
  Dataset dataset;
  dataset.series.push_back(make_series("a", noisy_series(1, length, 0.0)));
  dataset.series.push_back(make_series("b", noisy_series(2, length, 0.3)));
  dataset.series.push_back(make_series("flat", std::vector<double>(length, 4.0)));  // zero scale
  Column price;
  price.name = "price";
  price.numeric = true;
  price.numeric_values.assign(3, std::vector<double>(length, 1000.0));  // outside the 28 days
  const size_t origin = length - horizon, first = origin - 28;
  for (size_t t = first; t < origin; ++t) {
    price.numeric_values[0][t] = 3.0;
    price.numeric_values[1][t] = (t % 4 == 0) ? kNaN : 2.5;
    price.numeric_values[2][t] = 1.0;
  }
  dataset.columns.push_back(price);

  double revenue[3] = {0, 0, 0};
  for (size_t i = 0; i < 3; ++i)
    for (size_t t = first; t < origin; ++t) {
      const double p = price.numeric_values[i][t];
      if (!std::isnan(p)) revenue[i] += p * dataset.series[i].values[t];
    }
  const double total = revenue[0] + revenue[1] + revenue[2];

  const auto report = run_backtest(dataset, {"naive"}, horizon, 2, single_thread());
  CHECK(report.weight_basis == "revenue over last 28 days");
  REQUIRE(report.weights.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(report.weights[i] == Approx(revenue[i] / total));

  // "flat" has zero scale: left out, the other two weights renormalised.
  CHECK(std::isnan(series_metric(report, 0, 2, "rmsse")));
  CHECK(std::isnan(series_metric(report, 0, 2, "wrmsse")));
  const double ra = series_metric(report, 0, 0, "rmsse"), rb = series_metric(report, 0, 1, "rmsse");
  REQUIRE(std::isfinite(ra));
  REQUIRE(std::isfinite(rb));
  const double expected = (revenue[0] * ra + revenue[1] * rb) / (revenue[0] + revenue[1]);
  CHECK(metric(report, 0, "wrmsse") == Approx(expected));
  CHECK(series_metric(report, 0, 0, "wrmsse") + series_metric(report, 0, 1, "wrmsse") ==
        Approx(expected));
  CHECK(metric(report, 0, "rmsse") == Approx((ra + rb) / 2.0));

  // Without a price column every series weighs the same.
  dataset.columns.clear();
  const auto equal = run_backtest(dataset, {"naive"}, horizon, 2, single_thread());
  CHECK(equal.weight_basis == "equal");
  for (double w : equal.weights) CHECK(w == Approx(1.0 / 3.0));
  CHECK(metric(equal, 0, "wrmsse") == Approx((ra + rb) / 2.0));
}

TEST_CASE("one thread and two threads give identical reports", "[backtest]") {
  Dataset dataset;
  for (uint32_t i = 0; i < 24; ++i)
    dataset.series.push_back(
        make_series("s" + std::to_string(100 + i), noisy_series(i, 40 + 3 * i, 0.1 * (i % 6))));
  Options one = single_thread();
  Options two;
  two.forecast.threads = 2;
  const std::vector<std::string> methods = {"naive", "snaive", "ma", "croston", "ets"};
  const auto a = run_backtest(dataset, methods, 7, 3, one);
  const auto b = run_backtest(dataset, methods, 7, 3, two);
  CHECK(a.to_json() == b.to_json());
  for (size_t m = 0; m < methods.size(); ++m) {
    CHECK(a.methods[m].per_series.size() == dataset.series.size());
    CHECK(std::isfinite(metric(a, m, "wql")));
    CHECK(metric(a, m, "coverage80") >= 0.0);
    CHECK(metric(a, m, "coverage80") <= 1.0);
  }
}

TEST_CASE("progress comes from the calling thread and can cancel", "[backtest]") {
  Dataset dataset;
  for (uint32_t i = 0; i < 10; ++i)
    dataset.series.push_back(make_series("s" + std::to_string(i), noisy_series(i, 50, 0.0)));
  Options options;
  options.forecast.threads = 2;
  std::vector<std::string> stages;
  size_t last_done = 0, last_total = 0;
  const auto caller = std::this_thread::get_id();
  bool other_thread = false;
  options.progress = [&](std::string_view stage, size_t done, size_t total) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
    other_thread |= std::this_thread::get_id() != caller;
    last_done = done;
    last_total = total;
    return true;
  };
  run_backtest(dataset, {"naive", "ma"}, 7, 2, options);
  CHECK(stages == std::vector<std::string>{"backtest naive", "backtest ma"});
  CHECK_FALSE(other_thread);
  CHECK(last_done == 10);
  CHECK(last_total == 10);

  options.progress = [](std::string_view, size_t done, size_t) { return done < 3; };
  try {
    run_backtest(dataset, {"naive"}, 7, 2, options);
    FAIL("a cancelled backtest must throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Cancelled);
  }
}

TEST_CASE("bad backtest arguments are refused", "[backtest]") {
  Dataset dataset;
  dataset.series.push_back(make_series("weekly", weekly_pattern(4)));
  const auto expect_error = [&](const std::vector<std::string>& methods, size_t horizon,
                                size_t windows, const std::string& fragment) {
    try {
      run_backtest(dataset, methods, horizon, windows, single_thread());
      FAIL("expected an error mentioning " << fragment);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::InvalidArgument);
      CHECK_THAT(e.what(), Catch::Contains(fragment));
    }
  };
  expect_error({"naive"}, 0, 1, "horizon");
  expect_error({"naive"}, 7, 0, "windows");
  expect_error({}, 7, 1, "no method");
  expect_error({"naive", "no_such_method"}, 7, 1, "no_such_method");
}

TEST_CASE("to_json parses back with the metrics", "[backtest]") {
  Dataset dataset;
  dataset.series.push_back(make_series("weekly", weekly_pattern(10)));
  dataset.series.push_back(make_series("noisy", noisy_series(7, 70, 0.2)));
  const auto report = run_backtest(dataset, {"snaive", "naive"}, 7, 2, single_thread());
  const auto json = nlohmann::json::parse(report.to_json());
  CHECK(json["horizon"] == 7);
  CHECK(json["windows"] == 2);
  CHECK(json["weight_basis"] == "equal");
  CHECK(json["coverage_interval"][0].get<double>() == Approx(0.1));
  CHECK(json["coverage_interval"][1].get<double>() == Approx(0.9));
  REQUIRE(json["methods"].size() == 2);
  for (size_t m = 0; m < 2; ++m) {
    const auto& method = json["methods"][m];
    CHECK(method["method"] == report.methods[m].method);
    for (const auto& name : metric_names()) {
      const double value = metric(report, m, name.c_str());
      if (std::isfinite(value))
        CHECK(method["metrics"][name].get<double>() == Approx(value));
      else
        CHECK(method["metrics"][name].is_null());
    }
    REQUIRE(method["per_series"].size() == 2);
    CHECK(method["per_series"][1]["series_id"] == "noisy");
    CHECK(method["per_series"][1]["rmsse"].get<double>() ==
          Approx(series_metric(report, m, 1, "rmsse")));
    CHECK(method["warnings"].is_array());
  }
  // The weekly series has zero seasonal scale: its MASE is written as null.
  CHECK(json["methods"][0]["per_series"][0]["mase"].is_null());
}

TEST_CASE("strict mode refuses a short history from any thread", "[backtest]") {
  Dataset dataset;
  for (uint32_t i = 0; i < 6; ++i)
    dataset.series.push_back(make_series("s" + std::to_string(i), noisy_series(i, 60, 0.0)));
  dataset.series.push_back(make_series("short", noisy_series(9, 30, 0.0)));
  Options options;
  options.forecast.threads = 2;
  options.forecast.strict = true;
  // "ma" needs 28 days; the short series has 23 before its origin.
  try {
    run_backtest(dataset, {"ma"}, 7, 1, options);
    FAIL("strict backtest must refuse the short series");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::SeriesTooShort);
    CHECK_THAT(e.what(), Catch::Contains("short"));
  }
  // Without strict mode the fallback forecasts it and says so.
  options.forecast.strict = false;
  const auto report = run_backtest(dataset, {"ma"}, 7, 1, options);
  REQUIRE(report.methods[0].warnings.size() == 1);
  CHECK_THAT(report.methods[0].warnings[0], Catch::StartsWith("window 1/1: "));
  CHECK(report.methods[0].scored_windows.back() == 1);
}

TEST_CASE("all-zero actuals leave WQL undefined but sMAPE defined", "[backtest]") {
  Dataset dataset;
  // Sold early, last sale of 1 just before the origin, then a week of zeros.
  std::vector<double> quiet = {4, 0, 2, 0, 3, 0, 0, 5, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  dataset.series.push_back(make_series("quiet", quiet));
  dataset.series.push_back(make_series("weekly", weekly_pattern(3)));
  const auto report = run_backtest(dataset, {"naive"}, 7, 1, single_thread());
  // naive forecasts 1 on each zero day: every sMAPE term is 2 * 1 / 1 = 200%.
  CHECK(series_metric(report, 0, 0, "smape") == Approx(200.0));
  CHECK(series_metric(report, 0, 0, "bias") == Approx(1.0));
  CHECK(std::isnan(series_metric(report, 0, 0, "wql")));
  CHECK(std::isfinite(series_metric(report, 0, 0, "rmsse")));
  // Pooled over both series WQL is defined: the quiet series adds pinball loss
  // but no |y|, so the pooled value exceeds the weekly series' own.
  CHECK(std::isfinite(metric(report, 0, "wql")));
  CHECK(metric(report, 0, "wql") > series_metric(report, 0, 1, "wql"));
}

TEST_CASE("backtest of the bundled M5 data is consistent", "[backtest][m5]") {
  const Dataset dataset = read_csv(INVF_BUNDLED_DATA, IngestOptions{});
  const size_t horizon = 28;
  const auto report = run_backtest(dataset, {"naive"}, horizon, 2, Options{});
  const size_t count = dataset.series.size();
  CHECK(report.weight_basis == "revenue over last 28 days");
  double weight_sum = 0.0;
  for (double w : report.weights) weight_sum += w;
  CHECK(weight_sum == Approx(1.0));

  // Recompute one series' naive RMSSE directly from its values.
  const size_t pick = count / 2;
  const std::vector<double>& y = dataset.series[pick].values;
  double expected = 0.0;
  for (size_t window = 0; window < 2; ++window) {
    const size_t origin = y.size() - (2 - window) * horizon;
    size_t launch = 0;
    while (launch < origin && y[launch] == 0.0) ++launch;
    double scale = 0.0;
    for (size_t t = launch + 1; t < origin; ++t) scale += (y[t] - y[t - 1]) * (y[t] - y[t - 1]);
    scale /= static_cast<double>(origin - launch - 1);
    double mse = 0.0;
    for (size_t t = origin; t < origin + horizon; ++t)
      mse += (y[origin - 1] - y[t]) * (y[origin - 1] - y[t]);
    expected += std::sqrt(mse / horizon / scale) / 2.0;
  }
  CHECK(series_metric(report, 0, pick, "rmsse") == Approx(expected));

  for (size_t i = 0; i < count; ++i) CHECK(report.methods[0].scored_windows[i] == 2);

  // Aggregates are means over series or days, never sums: the dataset with every series twice
  // (a copy under another id, sorted after the originals, its covariates copied too) has the
  // same value of every metric.
  Dataset twice = dataset;
  for (size_t i = 0; i < count; ++i) {
    Series copy = dataset.series[i];
    copy.id = "zz_copy_" + copy.id;
    twice.series.push_back(std::move(copy));
  }
  for (Column& column : twice.columns) {
    if (column.numeric)
      for (size_t i = 0; i < count; ++i) column.numeric_values.push_back(column.numeric_values[i]);
    else
      for (size_t i = 0; i < count; ++i) column.category_codes.push_back(column.category_codes[i]);
  }
  const auto doubled = run_backtest(twice, {"naive"}, horizon, 2, Options{});
  REQUIRE(doubled.series_ids.size() == 2 * count);
  CHECK(doubled.weight_basis == report.weight_basis);
  for (const std::string& name : metric_names()) {
    INFO(name);
    // The same terms summed in another grouping: 1e-12 relative is far above the rounding.
    CHECK(metric(doubled, 0, name.c_str()) == Approx(metric(report, 0, name.c_str())).epsilon(1e-12));
  }
}
