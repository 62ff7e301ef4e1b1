// Each metric on tiny arrays whose values were computed by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "eval/metrics.hpp"

using namespace invforecast;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TEST_CASE("pinball loss on both sides of the quantile", "[metrics]") {
  CHECK(pinball_loss(10.0, 8.0, 0.1) == Approx(0.2));   // under: tau * (y - q)
  CHECK(pinball_loss(10.0, 14.0, 0.9) == Approx(0.4));  // over: (1 - tau) * (q - y)
  CHECK(pinball_loss(3.0, 3.0, 0.5) == 0.0);
}

TEST_CASE("scales start at the first sale", "[metrics]") {
  // After launch: {1, 3, 2, 5}; one-step differences 2, 1, 3.
  const std::vector<double> train = {0, 0, 1, 3, 2, 5};
  CHECK(first_sale_index(train) == 2);
  CHECK(seasonal_scale(train, 1) == Approx(2.0));
  CHECK(squared_step_scale(train) == Approx(14.0 / 3.0));
  // Season 2 after launch: |2 - 1|, |5 - 3| -> 1.5.
  CHECK(seasonal_scale(train, 2) == Approx(1.5));
  // Launch leaves 4 days: a season of 4 has no pair, so the scale is undefined.
  CHECK(std::isnan(seasonal_scale(train, 4)));
  CHECK(std::isnan(squared_step_scale(std::vector<double>{0, 0, 7})));
  CHECK(first_sale_index(std::vector<double>{0, 0}) == 2);
}

TEST_CASE("MASE and RMSSE on hand-computed values", "[metrics]") {
  const std::vector<double> actual = {2, 4};
  const std::vector<double> forecast = {3, 1};  // errors 1 and -3
  CHECK(mase(actual, forecast, 2.0) == Approx(1.0));               // mean |e| = 2
  CHECK(rmsse(actual, forecast, 14.0 / 3.0) == Approx(std::sqrt(15.0 / 14.0)));  // mse = 5
  // A zero or undefined scale makes the metric undefined, not infinite.
  CHECK(std::isnan(mase(actual, forecast, 0.0)));
  CHECK(std::isnan(rmsse(actual, forecast, 0.0)));
  CHECK(std::isnan(mase(actual, forecast, kNaN)));
}

TEST_CASE("sMAPE in percent with 0/0 counted as 0", "[metrics]") {
  // Terms: 0/0 -> 0; 2 * 1 / 3.
  CHECK(smape(std::vector<double>{0, 2}, std::vector<double>{0, 1}) == Approx(100.0 / 3.0));
  // All-zero actuals: a zero forecast is perfect, any other is the maximum 200.
  CHECK(smape(std::vector<double>{0, 0}, std::vector<double>{0, 0}) == 0.0);
  CHECK(smape(std::vector<double>{0, 0}, std::vector<double>{1, 0}) == Approx(100.0));
  CHECK(std::isnan(smape(std::vector<double>{}, std::vector<double>{})));
}

TEST_CASE("weighted quantile loss over levels and days", "[metrics]") {
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  const std::vector<double> actual = {10, 0};
  const std::vector<double> quantiles = {8, 10, 14,  // day 0
                                         0, 1, 2};   // day 1
  // Pinball sums per level: 0.1 -> 0.2; 0.5 -> 0.5; 0.9 -> 0.4 + 0.2.  Sum |y| = 10.
  const QuantileLossParts parts = quantile_loss_parts(actual, quantiles, levels);
  CHECK(parts.pinball_sum == Approx(1.3));
  CHECK(parts.abs_actual_sum == 10.0);
  CHECK(weighted_quantile_loss(actual, quantiles, levels) == Approx(2.0 * 1.3 / (3.0 * 10.0)));
  // All-zero actuals leave WQL undefined.
  CHECK(std::isnan(weighted_quantile_loss(std::vector<double>{0, 0}, quantiles, levels)));
}

TEST_CASE("coverage uses q0.1 and q0.9, else the outermost pair", "[metrics]") {
  const std::vector<double> deciles = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  const auto pair = coverage_interval(deciles);
  REQUIRE(pair);
  CHECK(pair->lower == 0);
  CHECK(pair->upper == 8);
  const std::vector<double> three = {0.05, 0.1, 0.5};  // no 0.9: outermost
  const auto outer = coverage_interval(three);
  REQUIRE(outer);
  CHECK(outer->lower == 0);
  CHECK(outer->upper == 2);
  CHECK_FALSE(coverage_interval(std::vector<double>{0.5}));

  // Levels {0.1, 0.5, 0.9}: day 0 inside [8, 14], day 1 on the bound, day 2 above.
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  const std::vector<double> quantiles = {8, 10, 14, 1, 2, 3, 0, 1, 2};
  const std::vector<double> actual = {9, 3, 5};
  CHECK(coverage(actual, quantiles, 3, {0, 2}) == Approx(2.0 / 3.0));
}

TEST_CASE("bias is mean forecast minus actual", "[metrics]") {
  CHECK(bias(std::vector<double>{1, 2, 3}, std::vector<double>{2, 2, 5}) == Approx(1.0));
  CHECK(bias(std::vector<double>{4}, std::vector<double>{1}) == Approx(-3.0));
}

TEST_CASE("revenue counts unknown prices as zero", "[metrics]") {
  const std::vector<double> units = {100, 2, 3, 4};
  const std::vector<double> prices = {9, 1.5, kNaN, 2};
  // Last 3 days: 2 * 1.5 + 0 + 4 * 2.
  CHECK(recent_revenue(units, prices, 3) == Approx(11.0));
  // A window longer than the series takes all of it.
  CHECK(recent_revenue(units, prices, 28) == Approx(911.0));
}

TEST_CASE("WRMSSE excludes undefined RMSSE and renormalises", "[metrics]") {
  const std::vector<double> weights = {0.5, 0.3, 0.2};
  CHECK(wrmsse(std::vector<double>{1.0, 2.0, 4.0}, weights) == Approx(0.5 + 0.6 + 0.8));
  // The second series has zero scale: (0.5 * 1 + 0.2 * 4) / 0.7.
  CHECK(wrmsse(std::vector<double>{1.0, kNaN, 4.0}, weights) == Approx(1.3 / 0.7));
  CHECK(std::isnan(wrmsse(std::vector<double>{kNaN, kNaN, kNaN}, weights)));
}
