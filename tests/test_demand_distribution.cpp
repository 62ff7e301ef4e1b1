// Demand distributions from daily quantile forecasts (lib/inventory/demand_distribution).
// Monte Carlo tolerances are at least 4 standard errors at the sample counts used.
// Closed forms in double: 1e-15 relative where one or two roundings separate
// the result from the exact value, 1e-12 or 1e-14 through a few more
// operations (a normal cdf, a sum of probabilities).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "error.hpp"
#include "inventory/demand_distribution.hpp"
#include "inventory_test_support.hpp"

using namespace invforecast;
using namespace inventory_test;

namespace {

ErrorCode code_of(const std::function<void()>& action, std::string& message) {
  try {
    action();
  } catch (const Error& error) {
    message = error.what();
    return error.code();
  }
  FAIL("no invforecast::Error thrown");
  return ErrorCode::Internal;
}

void require_error(const std::function<void()>& action, ErrorCode code, const std::string& needle) {
  std::string message;
  CHECK(code_of(action, message) == code);
  CHECK_THAT(message, Catch::Contains(needle));
}

double sample_variance(const std::vector<double>& x) {
  double mean = 0.0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double total = 0.0;
  for (double v : x) total += (v - mean) * (v - mean);
  return total / static_cast<double>(x.size());
}

}  // namespace

TEST_CASE("acklam normal quantile helper is accurate", "[inventory]") {
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-12));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-14));
  for (double p : {1e-6, 0.01, 0.02425, 0.3, 0.95, 0.999})
    CHECK(normal_cdf(normal_quantile(p)) == Approx(p).epsilon(1e-12));
}

TEST_CASE("daily quantile function: interpolation and stated tails, hand computed", "[inventory]") {
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  const std::vector<double> values = {2.0, 4.0, 10.0};
  CHECK(daily_quantile(levels, values, 0.5) == 4.0);
  CHECK(daily_quantile(levels, values, 0.3) == Approx(3.0).epsilon(1e-15));
  CHECK(daily_quantile(levels, values, 0.7) == Approx(7.0).epsilon(1e-15));
  // Below 0.1: first segment (slope 5) extended: 2 - 5 * 0.05.
  CHECK(daily_quantile(levels, values, 0.05) == Approx(1.75).epsilon(1e-15));
  // Above 0.9: 10 + 1.5 ln(0.1 / 0.05), mean excess 1.5 = slope 15 * 0.1.
  CHECK(daily_quantile(levels, values, 0.95) == Approx(10.0 + 1.5 * std::log(2.0)).epsilon(1e-15));
  // Steep first segment: the extension is clamped at 0.
  const std::vector<double> steep = {1.0, 9.0, 10.0};
  CHECK(daily_quantile(levels, steep, 0.02) == 0.0);
  CHECK(daily_quantile(levels, steep, 0.09) == Approx(0.8).epsilon(1e-14));
  // One level: constant.
  const std::vector<double> one_level = {0.5};
  const std::vector<double> one_value = {7.0};
  CHECK(daily_quantile(one_level, one_value, 0.001) == 7.0);
  CHECK(daily_quantile(one_level, one_value, 0.999) == 7.0);
}

TEST_CASE("daily quantile function matches the independent reference everywhere", "[inventory]") {
  const std::vector<double> levels = {0.05, 0.2, 0.5, 0.8, 0.95, 0.99};
  const std::vector<double> values = {0.5, 1.0, 3.0, 3.0, 8.0, 15.0};
  for (int i = 1; i < 1000; ++i) {
    const double u = i / 1000.0;
    CHECK(daily_quantile(levels, values, u) ==
          Approx(reference_quantile(levels, values.data(), u)).epsilon(1e-12).margin(1e-12));
  }
}

TEST_CASE("one-day sample mean equals the integral of the quantile function", "[inventory]") {
  // Integral of Q over (0,1) for levels {0.1,0.5,0.9}, values {2,4,10}:
  // 0.1*1.75 (lower tail, 1.5..2) + 0.4*3 + 0.4*7 + 0.1*(10 + 1.5) (exponential tail).
  DailyQuantiles forecast{{0.1, 0.5, 0.9}, {2.0, 4.0, 10.0}};
  SamplingOptions options;
  options.samples = 200000;
  const SampleDistribution demand(sample_window_demand(forecast, 1, 1, options, "one"));
  CHECK(demand.mean() == Approx(5.325).margin(0.03));  // sd ~ 3, 4 SE = 0.027
  CHECK(demand.min() >= 0.0);
}

TEST_CASE("forecast validation names the SKU, day and level", "[inventory]") {
  DailyQuantiles good{{0.1, 0.5, 0.9}, {1, 2, 3, 1, 2, 3}};
  CHECK_NOTHROW(validate_daily_quantiles(good, "A"));
  CHECK(good.horizon() == 2);

  DailyQuantiles crossing = good;
  crossing.values[4] = 0.5;
  require_error([&] { validate_daily_quantiles(crossing, "SKU7"); }, ErrorCode::Data, "cross at day 2");
  require_error([&] { validate_daily_quantiles(crossing, "SKU7"); }, ErrorCode::Data, "SKU7");

  DailyQuantiles nan_value = good;
  nan_value.values[2] = std::nan("");
  require_error([&] { validate_daily_quantiles(nan_value, "B"); }, ErrorCode::Data, "not finite");

  DailyQuantiles negative = good;
  negative.values[0] = -1.0;
  require_error([&] { validate_daily_quantiles(negative, "B"); }, ErrorCode::Data, "negative");

  DailyQuantiles bad_level = good;
  bad_level.levels = {0.0, 0.5, 0.9};
  require_error([&] { validate_daily_quantiles(bad_level, "C"); }, ErrorCode::InvalidArgument,
                "outside (0, 1)");
  bad_level.levels = {0.5, 0.5, 0.9};
  require_error([&] { validate_daily_quantiles(bad_level, "C"); }, ErrorCode::InvalidArgument,
                "ascending");
  bad_level.levels = {0.1, std::nan(""), 0.9};
  require_error([&] { validate_daily_quantiles(bad_level, "C"); }, ErrorCode::InvalidArgument,
                "outside (0, 1)");

  DailyQuantiles ragged = good;
  ragged.values.pop_back();
  require_error([&] { validate_daily_quantiles(ragged, "D"); }, ErrorCode::InvalidArgument, "multiple");
}

TEST_CASE("lead time discretisation", "[inventory]") {
  const LeadTimeDistribution fixed = discretise_lead_time(LeadTime::fixed(3), "A");
  CHECK(fixed.min_days == 3);
  CHECK(fixed.max_days() == 3);
  CHECK(fixed.mean() == 3.0);
  CHECK(fixed.variance() == 0.0);

  // Symmetric support 1..9 around 5: the mean is exactly 5; rounding to whole
  // days adds about 1/12 to the variance.
  const LeadTimeDistribution normal = discretise_lead_time(LeadTime::normal(5.0, 1.0), "A");
  CHECK(normal.min_days == 1);
  CHECK(normal.max_days() == 9);
  double total = 0.0;
  for (double p : normal.probability) total += p;
  CHECK(total == Approx(1.0).epsilon(1e-14));
  CHECK(normal.mean() == Approx(5.0).epsilon(1e-12));
  CHECK(normal.variance() == Approx(1.0 + 1.0 / 12.0).epsilon(0.01));
  // Day 5 holds the mass of (4.5, 5.5], renormalised over the support's (0.5, 9.5].
  CHECK(normal.probability[4] ==
        Approx((normal_cdf(0.5) - normal_cdf(-0.5)) / (normal_cdf(4.5) - normal_cdf(-4.5))).epsilon(1e-12));

  const LeadTimeDistribution zero_sd = discretise_lead_time(LeadTime::normal(4.0, 0.0), "A");
  CHECK(zero_sd.min_days == 4);
  CHECK(zero_sd.probability.size() == 1);

  const LeadTimeDistribution empirical = discretise_lead_time(LeadTime::empirical({3, 2, 7, 3}), "A");
  CHECK(empirical.min_days == 2);
  CHECK(empirical.probability == std::vector<double>{0.25, 0.5, 0.0, 0.0, 0.0, 0.25});
  CHECK(empirical.mean() == Approx(3.75).epsilon(1e-15));
  CHECK(empirical.variance() == Approx(3.6875).epsilon(1e-14));

  require_error([] { discretise_lead_time(LeadTime::fixed(0), "L0"); }, ErrorCode::InvalidArgument,
                "lead_time");
  require_error([] { discretise_lead_time(LeadTime::fixed(-2), "L0"); }, ErrorCode::InvalidArgument,
                "L0");
  require_error([] { discretise_lead_time(LeadTime::normal(0.0, 1.0), "L1"); },
                ErrorCode::InvalidArgument, "lead_time_mean");
  require_error([] { discretise_lead_time(LeadTime::normal(5.0, -1.0), "L1"); },
                ErrorCode::InvalidArgument, "lead_time_sd");
  require_error([] { discretise_lead_time(LeadTime::normal(4.5, 0.0), "L1"); },
                ErrorCode::InvalidArgument, "whole number");
  require_error([] { discretise_lead_time(LeadTime::empirical({}), "L2"); },
                ErrorCode::InvalidArgument, "empty");
  require_error([] { discretise_lead_time(LeadTime::empirical({3, 0}), "L2"); },
                ErrorCode::InvalidArgument, ">= 1");
}

TEST_CASE("sample distribution: quantile, cdf and loss function on a small set", "[inventory]") {
  const SampleDistribution d({4.0, 1.0, 3.0, 2.0});
  CHECK(d.mean() == 2.5);
  CHECK(d.sd() == Approx(std::sqrt(1.25)).epsilon(1e-15));
  CHECK(d.quantile(0.5) == 2.0);   // P(D <= 2) = 0.5 >= 0.5
  CHECK(d.quantile(0.51) == 3.0);
  CHECK(d.quantile(0.25) == 1.0);
  CHECK(d.quantile(0.99) == 4.0);
  CHECK(d.cdf(2.0) == 0.5);
  CHECK(d.cdf(2.5) == 0.5);
  CHECK(d.cdf(0.5) == 0.0);
  CHECK(d.cdf(4.0) == 1.0);
  CHECK(d.expected_excess(2.5) == Approx(0.5).epsilon(1e-15));  // (0.5 + 1.5) / 4
  CHECK(d.expected_excess(0.0) == 2.5);
  CHECK(d.expected_excess(4.0) == 0.0);
  CHECK(d.expected_excess(-1.0) == 3.5);
}

TEST_CASE("sampling is deterministic for a seed", "[inventory]") {
  const DailyQuantiles forecast = normal_forecast(20.0, 4.0, 10, level_grid(0.05));
  for (Dependence dependence : {Dependence::Independent, Dependence::GaussianCopula}) {
    SamplingOptions options;
    options.samples = 5000;
    options.dependence = dependence;
    options.copula_rho = 0.3;
    const auto first = sample_window_demand(forecast, 1, 10, options, "A");
    const auto second = sample_window_demand(forecast, 1, 10, options, "A");
    CHECK(first == second);
    options.seed += 1;
    CHECK(sample_window_demand(forecast, 1, 10, options, "A") != first);
  }
}

TEST_CASE("independent normal days: sum has mean n mu and sd sigma sqrt(n)", "[inventory]") {
  const DailyQuantiles forecast = normal_forecast(20.0, 4.0, 12, level_grid(0.01));
  SamplingOptions options;
  options.samples = 100000;
  const SampleDistribution sum(sample_window_demand(forecast, 3, 10, options, "A"));
  const double sd = 4.0 * std::sqrt(10.0);
  CHECK(sum.mean() == Approx(200.0).margin(0.2));  // 4 SE = 0.16
  CHECK(sum.sd() == Approx(sd).epsilon(0.02));
  CHECK(sum.quantile(0.9) == Approx(200.0 + normal_quantile(0.9) * sd).margin(0.03 * sd));
  // The sum of daily quantiles overstates the quantile of the sum.
  CHECK(sum.quantile(0.95) < comonotonic_sum_quantile(forecast, 3, 10, 0.95) - 0.5 * sd);
}

TEST_CASE("comonotonic days: quantile of the sum is the sum of daily quantiles", "[inventory]") {
  // Days with different shapes, so the check is not a scaling identity.
  DailyQuantiles forecast{{0.1, 0.5, 0.9, 0.99}, {1, 2, 6, 9, 0, 0, 1, 4, 3, 5, 8, 20, 2, 2, 2, 2}};
  SamplingOptions options;
  options.dependence = Dependence::Comonotonic;
  const SampleDistribution sum(sample_window_demand(forecast, 1, 4, options, "A"));
  for (double level : {0.05, 0.3, 0.5, 0.8, 0.95, 0.995}) {
    const double expected = comonotonic_sum_quantile(forecast, 1, 4, level);
    // Evenly spaced levels: off by at most 1/n in level.
    const double step = comonotonic_sum_quantile(forecast, 1, 4, std::min(level + 1e-4, 0.9999)) -
                        comonotonic_sum_quantile(forecast, 1, 4, level - 1e-4);
    CHECK(std::abs(sum.quantile(level) - expected) <= step + 1e-12);
  }
}

TEST_CASE("Gaussian copula: variance of the sum follows rho", "[inventory]") {
  const DailyQuantiles forecast = normal_forecast(20.0, 4.0, 10, level_grid(0.01));
  SamplingOptions options;
  options.samples = 100000;
  options.dependence = Dependence::GaussianCopula;
  for (double rho : {0.0, 0.5, 1.0}) {
    options.copula_rho = rho;
    const auto sum = sample_window_demand(forecast, 1, 10, options, "A");
    // Normal margins keep the latent correlation: Var = sigma^2 (n + n (n - 1) rho).
    CHECK(sample_variance(sum) == Approx(16.0 * (10.0 + 90.0 * rho)).epsilon(0.04));
  }
  options.copula_rho = 1.5;
  require_error([&] { sample_window_demand(forecast, 1, 10, options, "A"); },
                ErrorCode::InvalidArgument, "copula_rho");
}

TEST_CASE("protection samples: lead-time part and full interval", "[inventory]") {
  // Deterministic days 1..6: every sample is exact.
  DailyQuantiles forecast{{0.5}, {3, 5, 2, 7, 1, 4}};
  const LeadTimeDistribution lead = discretise_lead_time(LeadTime::fixed(3), "A");
  SamplingOptions options;
  options.samples = 100;
  const ProtectionSamples samples = sample_protection_demand(forecast, lead, 2, options, "A");
  for (size_t s = 0; s < options.samples; ++s) {
    CHECK(samples.lead_time_demand[s] == 10.0);
    CHECK(samples.protection_demand[s] == 18.0);
  }
  require_error([&] { sample_protection_demand(forecast, lead, 4, options, "SHORT"); }, ErrorCode::Data,
                "needs 7");
  require_error([&] { sample_protection_demand(forecast, lead, 0, options, "A"); },
                ErrorCode::InvalidArgument, "review_period");
  options.samples = 0;
  require_error([&] { sample_protection_demand(forecast, lead, 2, options, "A"); },
                ErrorCode::InvalidArgument, "samples");
}

TEST_CASE("lead time inverse CDF: days_at", "[inventory]") {
  const LeadTimeDistribution lead_time = discretise_lead_time(LeadTime::empirical({2, 3, 3, 5}), "L1");
  REQUIRE(lead_time.min_days == 2);
  CHECK(lead_time.days_at(1e-9) == 2);
  CHECK(lead_time.days_at(0.25) == 2);
  CHECK(lead_time.days_at(0.2500001) == 3);
  CHECK(lead_time.days_at(0.75) == 3);
  CHECK(lead_time.days_at(0.76) == 5);  // no mass on 4 days
  CHECK(lead_time.days_at(1.0) == 5);
  // Drawing by inversion of evenly spaced levels reproduces the probabilities.
  const LeadTimeDistribution normal = discretise_lead_time(LeadTime::normal(6.0, 2.0), "L2");
  std::vector<double> counts(normal.probability.size(), 0.0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) counts[static_cast<size_t>(normal.days_at((i + 0.5) / n) - normal.min_days)] += 1.0;
  for (size_t k = 0; k < counts.size(); ++k) CHECK(counts[k] / n == Approx(normal.probability[k]).margin(2e-5));
}
