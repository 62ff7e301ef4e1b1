// Built-in methods: hand-computed values, quantile validity on random
// series, interval coverage of the analytic methods, short-series rule.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "error.hpp"
#include "methods/forecaster.hpp"
#include "methods/quantiles.hpp"

using namespace invforecast;

namespace {

constexpr double kZ90 = 1.2815515655446004;  // standard normal 0.9 quantile

ForecastOptions options_with(int season, int window) {
  ForecastOptions options;
  options.season_length = season;
  options.ma_window = window;
  return options;
}

SeriesForecast run(std::string_view method, const std::vector<double>& history, size_t horizon,
                   const ForecastOptions& options = {}) {
  return make_forecaster(method, options)->forecast(history, horizon);
}

// Quantile for level index q (0.1 .. 0.9) of day d.
double quantile(const SeriesForecast& f, size_t day, size_t level, size_t levels = 9) {
  return f.quantiles[day * levels + level];
}

}  // namespace

TEST_CASE("standard normal quantile", "[methods]") {
  // Against 16-digit reference values: 1e-12 relative allows the refined rational approximation's
  // last bits, 1e-14 absolute at 0 where a relative bound means nothing.
  CHECK(standard_normal_quantile(0.5) == Approx(0.0).margin(1e-14));
  CHECK(standard_normal_quantile(0.9) == Approx(kZ90).epsilon(1e-12));
  CHECK(standard_normal_quantile(0.025) == Approx(-1.959963984540054).epsilon(1e-12));
}

TEST_CASE("naive: last value, random-walk variance", "[methods]") {
  const SeriesForecast f = run("naive", {3, 5, 4}, 4);
  CHECK(f.method == "naive");
  CHECK(f.interval_method == "analytic normal");
  for (double m : f.mean) CHECK(m == 4.0);
  // sigma^2 = (2^2 + 1^2) / 2 = 2.5; sd(h) = sqrt(2.5 h).
  CHECK(quantile(f, 0, 8) == Approx(4.0 + kZ90 * std::sqrt(2.5)));
  CHECK(quantile(f, 3, 8) == Approx(4.0 + kZ90 * std::sqrt(10.0)));
  CHECK(quantile(f, 2, 4) == Approx(4.0));
  CHECK(quantile(f, 0, 0) == Approx(4.0 - kZ90 * std::sqrt(2.5)));
}

TEST_CASE("seasonal naive: repeats the last season", "[methods]") {
  const SeriesForecast f = run("snaive", {1, 2, 3, 4, 5, 6, 7}, 4, options_with(3, 28));
  CHECK(f.mean == std::vector<double>{5, 6, 7, 5});
  // Every seasonal difference is 3, so sigma = 3; day 4 is two seasons away.
  CHECK(quantile(f, 0, 8) - f.mean[0] == Approx(kZ90 * 3.0));
  CHECK(quantile(f, 2, 8) - f.mean[2] == Approx(kZ90 * 3.0));
  CHECK(quantile(f, 3, 8) - f.mean[3] == Approx(kZ90 * 3.0 * std::sqrt(2.0)));
}

TEST_CASE("moving average: window mean, one-step error variance", "[methods]") {
  const SeriesForecast f = run("ma", {1, 2, 3, 4, 5}, 3, options_with(7, 3));
  for (double m : f.mean) CHECK(m == Approx(4.0));
  // One-step errors 4 - 2 and 5 - 3: sigma = 2 at every horizon.
  CHECK(quantile(f, 0, 8) == Approx(4.0 + 2.0 * kZ90));
  CHECK(quantile(f, 2, 8) == Approx(4.0 + 2.0 * kZ90));
}

TEST_CASE("croston, sba, tsb on a hand-computed series", "[methods]") {
  const std::vector<double> history = {2, 0, 0, 4, 0, 1};
  // Sizes 2 -> 2.2 -> 2.08, intervals 1 -> 1.2 -> 1.28 with alpha 0.1.
  const SeriesForecast croston = run("croston", history, 3);
  CHECK(croston.mean[0] == Approx(2.08 / 1.28));
  CHECK(croston.mean[2] == Approx(2.08 / 1.28));
  CHECK(croston.interval_method == "empirical residuals by horizon");
  CHECK(run("sba", history, 3).mean[1] == Approx(2.08 / 1.28 * 0.95));
  // TSB: probability 1, .9, .81, .829, .7461, .77149; size 2 -> 2.2 -> 2.08.
  CHECK(run("tsb", history, 3).mean[0] == Approx(0.77149 * 2.08));
}

TEST_CASE("empirical quantiles come from errors per horizon", "[methods]") {
  HorizonErrors errors(2);
  for (int i = 0; i < 11; ++i) errors.add(0, i);  // 0..10: quantile p is 10 p
  const std::vector<double> mean = {100.0, 100.0};
  const std::vector<double> levels = {0.1, 0.5, 0.95};
  const std::vector<double> q = errors.quantiles(mean, levels);
  CHECK(q[0] == Approx(101.0));
  CHECK(q[1] == Approx(105.0));
  CHECK(q[2] == Approx(109.5));
  // Horizon 2 has no errors: it borrows horizon 1's, widened by sqrt(2).
  CHECK(q[3] == Approx(100.0 + std::sqrt(2.0)));
  CHECK(q[5] == Approx(100.0 + 9.5 * std::sqrt(2.0)));
}

TEST_CASE("every method's quantiles are non-negative and non-crossing", "[methods]") {
  std::mt19937 rng(42);
  const std::vector<std::string> methods = {"naive", "snaive", "ma", "ets", "croston", "sba", "tsb", "auto"};
  ForecastOptions options;
  options.quantiles = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95};
  for (int trial = 0; trial < 24; ++trial) {
    // Mixtures of intermittent, smooth, trending and spiky daily demand.
    std::uniform_int_distribution<int> length_pick(1, 160);
    const size_t length = static_cast<size_t>(length_pick(rng));
    std::bernoulli_distribution sold(0.15 + 0.035 * trial);
    std::poisson_distribution<int> size(1 + trial);
    std::vector<double> values(length);
    for (size_t t = 0; t < length; ++t)
      values[t] = sold(rng) ? size(rng) + (trial % 3 == 0 ? 0.1 * static_cast<double>(t) : 0.0) : 0.0;
    for (const auto& name : methods) {
      const auto method = make_forecaster(name, options);
      const SeriesForecast f = forecast_series(*method, options, "random", values, 14);
      REQUIRE(f.mean.size() == 14);
      REQUIRE(f.quantiles.size() == 14 * options.quantiles.size());
      for (size_t d = 0; d < 14; ++d) {
        CHECK(f.mean[d] >= 0.0);
        for (size_t q = 0; q < options.quantiles.size(); ++q) {
          const double value = f.quantiles[d * options.quantiles.size() + q];
          CHECK(std::isfinite(value));
          CHECK(value >= 0.0);
          if (q > 0) CHECK(value >= f.quantiles[d * options.quantiles.size() + q - 1]);
        }
      }
    }
  }
}

namespace {

// Share of simulated outcomes inside the method's [q0.1, q0.9] band.
template <typename Simulate>
double coverage80(std::string_view method, const ForecastOptions& options, Simulate simulate,
                  size_t length, size_t horizon, int runs = 400) {
  std::mt19937 rng(7);
  const auto forecaster = make_forecaster(method, options);
  size_t inside = 0, total = 0;
  for (int run = 0; run < runs; ++run) {
    const std::vector<double> path = simulate(rng, length + horizon);
    const std::vector<double> history(path.begin(), path.begin() + length);
    const SeriesForecast f = forecaster->forecast(history, horizon);
    for (size_t h = 0; h < horizon; ++h) {
      const double actual = path[length + h];
      inside += actual >= quantile(f, h, 0) && actual <= quantile(f, h, 8);
      ++total;
    }
  }
  return static_cast<double>(inside) / static_cast<double>(total);
}

}  // namespace

TEST_CASE("analytic normal intervals cover 80% of Gaussian outcomes", "[methods]") {
  const ForecastOptions options;
  auto random_walk = [](std::mt19937& rng, size_t n) {
    std::normal_distribution<double> step(0.0, 2.0);
    std::vector<double> y(n);
    double level = 500.0;
    for (double& v : y) v = level += step(rng);
    return y;
  };
  auto iid = [](std::mt19937& rng, size_t n) {
    std::normal_distribution<double> noise(100.0, 5.0);
    std::vector<double> y(n);
    for (double& v : y) v = noise(rng);
    return y;
  };
  auto seasonal_walk = [](std::mt19937& rng, size_t n) {
    std::normal_distribution<double> step(0.0, 3.0);
    std::vector<double> y(n);
    for (size_t t = 0; t < n; ++t) y[t] = t < 7 ? 200.0 + 20.0 * static_cast<double>(t) : y[t - 7] + step(rng);
    return y;
  };
  // 400 runs of 10 days, correlated within a run: the standard error of the share lies between
  // 0.006 (independent days) and 0.02 (one outcome per run); 0.03 is above both.
  CHECK(coverage80("naive", options, random_walk, 200, 10) == Approx(0.8).margin(0.03));
  CHECK(coverage80("ma", options, iid, 200, 10) == Approx(0.8).margin(0.03));
  CHECK(coverage80("snaive", options, seasonal_walk, 210, 14) == Approx(0.8).margin(0.03));
  // ETS fits 15 forms on positive data: fewer runs, a wider margin (about
  // 2.5 standard errors of 300 correlated outcomes).
  CHECK(coverage80("ets", options, iid, 200, 10, 30) == Approx(0.8).margin(0.06));
}

TEST_CASE("short series fall back with a warning naming both methods", "[methods]") {
  ForecastOptions options;
  const auto ets = make_forecaster("ets", options);
  // Zeros before launch do not count: 10 days from the first sale.
  std::vector<double> values(30, 0.0);
  for (size_t t = 20; t < 30; ++t) values[t] = static_cast<double>(t % 3 + 1);
  SeriesForecast f = forecast_series(*ets, options, "SKU_7", values, 5);
  CHECK(f.method == "snaive");
  CHECK_THAT(f.warning, Catch::Contains("SKU_7") && Catch::Contains("'ets'") &&
                            Catch::Contains("'snaive'") && Catch::Contains("10 days"));
  // Five days: shorter than a week too, so the chain ends at naive.
  f = forecast_series(*ets, options, "SKU_8", std::vector<double>{1, 2, 3, 4, 5}, 3);
  CHECK(f.method == "naive");
  CHECK(f.mean == std::vector<double>{5, 5, 5});
  CHECK_THAT(f.warning, Catch::Contains("SKU_8") && Catch::Contains("'naive'"));
  // Long enough: no warning.
  std::vector<double> long_values(60, 3.0);
  f = forecast_series(*ets, options, "SKU_9", long_values, 5);
  CHECK(f.method == "ets");
  CHECK(f.warning.empty());
}

TEST_CASE("strict mode refuses short series", "[methods]") {
  ForecastOptions options;
  options.strict = true;
  const auto snaive = make_forecaster("snaive", options);
  try {
    forecast_series(*snaive, options, "SKU_3", std::vector<double>{0, 0, 4, 1, 2}, 7);
    FAIL("expected SeriesTooShort");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::SeriesTooShort);
    CHECK_THAT(std::string(error.what()), Catch::Contains("SKU_3") && Catch::Contains("snaive") &&
                                              Catch::Contains("needs 7"));
  }
}

TEST_CASE("a never-sold series is forecast as zero with a warning", "[methods]") {
  ForecastOptions options;
  const auto tsb = make_forecaster("tsb", options);
  const SeriesForecast f = forecast_series(*tsb, options, "DEAD_1", std::vector<double>(40, 0.0), 6);
  CHECK(f.method == "naive");
  CHECK(f.mean == std::vector<double>(6, 0.0));
  CHECK(f.quantiles == std::vector<double>(6 * 9, 0.0));
  CHECK_THAT(f.warning, Catch::Contains("DEAD_1") && Catch::Contains("never sold"));
  CHECK(forecast_series(*tsb, options, "EMPTY", std::vector<double>{}, 2).mean.size() == 2);
}

TEST_CASE("unknown method names are refused", "[methods]") {
  try {
    make_forecaster("arima", ForecastOptions{});
    FAIL("expected InvalidArgument");
  } catch (const Error& error) {
    CHECK(error.code() == ErrorCode::InvalidArgument);
    CHECK_THAT(std::string(error.what()), Catch::Contains("arima") && Catch::Contains("snaive"));
  }
  ForecastOptions options;
  options.auto_methods = {"snaive", "auto"};
  CHECK_THROWS_AS(make_forecaster("auto", options), Error);
}
