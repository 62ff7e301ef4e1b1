// Replenishment decisions (lib/inventory/replenish): analytic cases, a
// brute-force inventory simulation, order rounding, newsvendor and bad input.
// Monte Carlo tolerances are stated per check; each is at least 4 standard
// errors of the estimate at the sample counts used, plus the bias of
// representing a continuous distribution by quantiles on a 0.01 grid.
// Deterministic cases: 1e-12 relative for closed forms in double, 1e-9 where
// the service-level search (bisection to a relative width of 1e-12, over sums
// of many terms) stops, and 1e-9 absolute for values that are zero up to
// rounding.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "error.hpp"
#include "inventory/replenish.hpp"
#include "inventory_test_support.hpp"

using namespace invforecast;
using namespace inventory_test;

namespace {

void require_error(const std::function<void()>& action, ErrorCode code,
                   const std::vector<std::string>& needles) {
  try {
    action();
  } catch (const Error& error) {
    CHECK(error.code() == code);
    for (const auto& needle : needles) CHECK_THAT(std::string(error.what()), Catch::Contains(needle));
    return;
  }
  FAIL("no invforecast::Error thrown");
}

ReplenishOptions many_samples(size_t samples = 100000) {
  ReplenishOptions options;
  options.sampling.samples = samples;
  return options;
}

// Smallest z with 1 - sigma G(z) / review_mean >= target, by bisection on the
// analytic loss function (lost-sales fill rate of a normal protection demand).
double fill_rate_z(double sigma, double review_mean, double target) {
  double low = -8.0, high = 8.0;
  for (int i = 0; i < 200; ++i) {
    const double middle = 0.5 * (low + high);
    (1.0 - sigma * normal_loss(middle) / review_mean >= target ? high : low) = middle;
  }
  return high;
}

// Deterministic forecast: every level of day d equals demand[d].
DailyQuantiles constant_forecast(const std::vector<double>& demand) {
  DailyQuantiles forecast{{0.1, 0.5, 0.9}, {}};
  for (double d : demand) forecast.values.insert(forecast.values.end(), {d, d, d});
  return forecast;
}

// E[(Q(U) - y)^+] by the midpoint rule on the reference quantile function.
double integrated_excess(const DailyQuantiles& forecast, double y) {
  const int cells = 1000000;
  double total = 0.0;
  for (int i = 0; i < cells; ++i)
    total += std::max(0.0, reference_quantile(forecast.levels, forecast.values.data(), (i + 0.5) / cells) - y);
  return total / cells;
}

}  // namespace

TEST_CASE("normal demand: reorder point = mu L + z sigma sqrt(L)", "[inventory]") {
  const double mu = 10.0, sigma = 3.0;
  const int lead = 7, review = 3;
  SkuInventory sku;
  sku.sku = "N1";
  sku.on_hand = 40.0;
  sku.open_orders = {{25.0, 3}};
  sku.lead_time = LeadTime::fixed(lead);
  sku.review_period_days = review;
  sku.service_target = 0.95;
  sku.pack_size = 0.001;  // keep the decision at S, so its stockout probability is 1 - 0.95
  const auto decision = replenish(sku, normal_forecast(mu, sigma, 14, level_grid(0.01)), many_samples());
  const double z = normal_quantile(0.95);
  const double sd_lead = sigma * std::sqrt(lead), sd_protection = sigma * std::sqrt(lead + review);
  // Quantile of n = 1e5 samples: SE ~ 0.007 sd; the 0.01 level grid adds < 0.01 sd.
  CHECK(decision.reorder_point == Approx(mu * lead + z * sd_lead).margin(0.04 * sd_lead));
  CHECK(decision.safety_stock == Approx(z * sd_lead).margin(0.04 * sd_lead));
  CHECK(decision.order_up_to == Approx(mu * (lead + review) + z * sd_protection).margin(0.04 * sd_protection));
  CHECK(decision.protection_demand.mean == Approx(100.0).margin(0.15));
  CHECK(decision.protection_demand.sd == Approx(sd_protection).epsilon(0.02));
  CHECK(decision.review_demand_mean == Approx(30.0).margin(0.15));
  CHECK(decision.inventory_position == 65.0);
  CHECK(decision.order_quantity == Approx(decision.order_up_to - 65.0).margin(0.001));
  CHECK(decision.stockout_probability == Approx(0.05).margin(0.003));
  CHECK(decision.days_of_cover == Approx(4.0).epsilon(0.005));
  CHECK_THAT(decision.method, Catch::Contains("independent days"));
}

TEST_CASE("Poisson demand: service quantile of Poisson(L lambda)", "[inventory]") {
  const double lambda = 4.0;
  SkuInventory sku;
  sku.sku = "P1";
  sku.lead_time = LeadTime::fixed(5);
  sku.review_period_days = 2;
  sku.service_target = 0.95;
  const auto decision = replenish(sku, poisson_forecast(lambda, 7, level_grid(0.005)), many_samples());
  // The piecewise-linear quantile function smooths the integer steps, so the
  // continuous quantile lies within one unit of the Poisson one.
  CHECK(std::abs(decision.reorder_point - poisson_quantile(20.0, 0.95)) <= 1.0);
  CHECK(std::abs(decision.order_up_to - poisson_quantile(28.0, 0.95)) <= 1.0);
  CHECK(decision.protection_demand.mean == Approx(28.0).epsilon(0.02));
  CHECK(decision.protection_demand.sd == Approx(std::sqrt(28.0)).epsilon(0.08));
}

TEST_CASE("deterministic demand gives exactly the sum", "[inventory]") {
  SkuInventory sku;
  sku.sku = "D1";
  sku.on_hand = 5.0;
  sku.open_orders = {{4.0, 2}, {100.0, 30}};
  sku.lead_time = LeadTime::fixed(4);
  sku.review_period_days = 2;
  const DailyQuantiles forecast = constant_forecast({3, 5, 2, 7, 1, 4, 6, 2});
  for (Dependence dependence : {Dependence::Independent, Dependence::Comonotonic, Dependence::GaussianCopula}) {
    ReplenishOptions options;
    options.sampling.dependence = dependence;
    options.sampling.copula_rho = 0.4;
    const auto decision = replenish(sku, forecast, options);
    CHECK(decision.reorder_point == 17.0);
    CHECK(decision.order_up_to == 22.0);
    CHECK(decision.protection_demand.sd == Approx(0.0).margin(1e-9));
    CHECK(decision.safety_stock == Approx(0.0).margin(1e-9));
    CHECK(decision.pipeline_counted == 4.0);
    CHECK(decision.pipeline_later == 100.0);
    CHECK(decision.inventory_position == 9.0);
    CHECK(decision.order_quantity == 13.0);
    CHECK(decision.stockout_probability == 0.0);
    CHECK(decision.expected_fill_rate == 1.0);
    CHECK(decision.days_of_cover == Approx(5.0 / (22.0 / 6.0)).epsilon(1e-12));
  }
  // Protection interval: days 1..6.  An order arriving on day a is there from
  // day a + 1 on: a = 5 covers day 6 and counts, a = 6 covers nothing.
  sku.open_orders = {{3.0, 5}, {11.0, 6}};
  const auto boundary = replenish(sku, forecast, ReplenishOptions{});
  CHECK(boundary.longest_protection_days == 6);
  CHECK(boundary.pipeline_counted == 3.0);
  CHECK(boundary.pipeline_later == 11.0);
  CHECK(boundary.inventory_position == 8.0);
  CHECK(boundary.order_quantity == 14.0);
  // Fill rate 0.95 needs shortage <= 0.05 * 5 units per cycle: S = 22 - 0.25.
  sku.service_measure = ServiceMeasure::FillRate;
  for (StockoutRegime regime : {StockoutRegime::LostSales, StockoutRegime::Backorder}) {
    sku.regime = regime;
    const auto decision = replenish(sku, forecast, ReplenishOptions{});
    CHECK(decision.order_up_to == Approx(21.75).epsilon(1e-9));
    // Reorder point: lead-time shortage <= 0.25 gives 17 - 0.25.
    CHECK(decision.reorder_point == Approx(16.75).epsilon(1e-9));
  }
}

TEST_CASE("zero demand: nothing to stock, cover unbounded", "[inventory]") {
  SkuInventory sku;
  sku.sku = "Z1";
  sku.on_hand = 3.0;
  sku.lead_time = LeadTime::fixed(2);
  for (ServiceMeasure measure : {ServiceMeasure::CycleServiceLevel, ServiceMeasure::FillRate}) {
    sku.service_measure = measure;
    const auto decision = replenish(sku, constant_forecast({0, 0, 0}), ReplenishOptions{});
    CHECK(decision.order_up_to == 0.0);
    CHECK(decision.order_quantity == 0.0);
    CHECK(decision.expected_fill_rate == 1.0);
    CHECK(decision.stockout_probability == 0.0);
    CHECK(std::isinf(decision.days_of_cover));
  }
}

TEST_CASE("names of measures, regimes and dependence models", "[inventory]") {
  CHECK(parse_service_measure("service_level") == ServiceMeasure::CycleServiceLevel);
  CHECK(parse_service_measure("fill_rate") == ServiceMeasure::FillRate);
  CHECK(parse_stockout_regime("lost_sales") == StockoutRegime::LostSales);
  CHECK(parse_stockout_regime("backorder") == StockoutRegime::Backorder);
  CHECK(parse_dependence("independent") == Dependence::Independent);
  CHECK(parse_dependence("comonotonic") == Dependence::Comonotonic);
  CHECK(parse_dependence("gaussian_copula") == Dependence::GaussianCopula);
  require_error([] { parse_service_measure("csl"); }, ErrorCode::InvalidArgument, {"'csl'", "fill_rate"});
  require_error([] { parse_stockout_regime("lost"); }, ErrorCode::InvalidArgument, {"'lost'", "backorder"});
  require_error([] { parse_dependence("copula"); }, ErrorCode::InvalidArgument, {"'copula'", "gaussian_copula"});
}

TEST_CASE("fill-rate target against the normal loss function", "[inventory]") {
  const double mu = 20.0, sigma = 8.0;
  const int lead = 5, review = 7;
  SkuInventory sku;
  sku.sku = "F1";
  sku.lead_time = LeadTime::fixed(lead);
  sku.review_period_days = review;
  sku.service_measure = ServiceMeasure::FillRate;
  sku.service_target = 0.98;
  sku.pack_size = 0.001;  // keep the decision at S, so its fill rate is the target
  const auto forecast = normal_forecast(mu, sigma, 12, level_grid(0.01));
  const double mean_p = mu * (lead + review), sd_p = sigma * std::sqrt(lead + review);
  const double mean_l = mu * lead, sd_l = sigma * std::sqrt(lead);
  const double review_mean = mu * review;

  SECTION("lost sales: 1 - sigma_P G(z) / (mu R)") {
    const auto decision = replenish(sku, forecast, many_samples());
    const double expected_s = mean_p + fill_rate_z(sd_p, review_mean, 0.98) * sd_p;
    // The loss function is an average, so its Monte Carlo error is smaller than a quantile's.
    CHECK(decision.order_up_to == Approx(expected_s).margin(0.04 * sd_p));
    CHECK(decision.expected_fill_rate == Approx(0.98).margin(1e-4));
    const double analytic_fill = 1.0 - sd_p * normal_loss((decision.order_up_to - mean_p) / sd_p) / review_mean;
    CHECK(analytic_fill == Approx(0.98).margin(0.002));
    const double expected_rop = mean_l + fill_rate_z(sd_l, review_mean, 0.98) * sd_l;
    CHECK(decision.reorder_point == Approx(expected_rop).margin(0.04 * sd_l));
  }
  SECTION("backorders: shortage sigma_P G(z_P) - sigma_L G(z_L)") {
    sku.regime = StockoutRegime::Backorder;
    const auto decision = replenish(sku, forecast, many_samples());
    const auto analytic_fill = [&](double s) {
      return 1.0 - (sd_p * normal_loss((s - mean_p) / sd_p) - sd_l * normal_loss((s - mean_l) / sd_l)) /
                       review_mean;
    };
    double low = mean_l, high = mean_p + 8 * sd_p;
    for (int i = 0; i < 200; ++i) {
      const double middle = 0.5 * (low + high);
      (analytic_fill(middle) >= 0.98 ? high : low) = middle;
    }
    CHECK(decision.order_up_to == Approx(high).margin(0.04 * sd_p));
    CHECK(analytic_fill(decision.order_up_to) == Approx(0.98).margin(0.002));
  }
}

TEST_CASE("brute-force Monte Carlo of the same assumptions, uncertain lead time", "[inventory]") {
  // Skewed, day-dependent daily quantiles and an empirical lead time.
  const std::vector<double> levels = {0.1, 0.25, 0.5, 0.75, 0.9, 0.99};
  const std::vector<double> base = {1, 3, 6, 10, 15, 25};
  DailyQuantiles forecast{levels, {}};
  for (int day = 0; day < 9; ++day)
    for (double v : base) forecast.values.push_back(v * (1.0 + 0.1 * (day % 3)));
  SkuInventory sku;
  sku.sku = "BF";
  sku.on_hand = 20.0;
  sku.lead_time = LeadTime::empirical({2, 3, 3, 5});
  sku.review_period_days = 2;
  sku.service_target = 0.9;
  sku.pack_size = 10.0;
  const auto decision = replenish(sku, forecast, many_samples());

  // Independent path: std::mt19937_64, L drawn from the list, reference quantile function.
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const std::vector<int> lead_times = {2, 3, 3, 5};
  const size_t n = 200000;
  std::vector<double> lead_demand(n), protection(n);
  for (size_t s = 0; s < n; ++s) {
    const int lead = lead_times[static_cast<size_t>(uniform(rng) * 4.0)];
    double total = 0.0;
    for (int day = 0; day < lead + 2; ++day) {
      total += reference_quantile(levels, forecast.values.data() + day * levels.size(), uniform(rng));
      if (day + 1 == lead) lead_demand[s] = total;
    }
    protection[s] = total;
  }
  const auto fraction_at_most = [&](const std::vector<double>& x, double value) {
    return static_cast<double>(std::count_if(x.begin(), x.end(), [&](double v) { return v <= value; })) /
           static_cast<double>(x.size());
  };
  double mean_p = 0.0, mean_l = 0.0;
  for (size_t s = 0; s < n; ++s) mean_p += protection[s] / n, mean_l += lead_demand[s] / n;
  CHECK(decision.protection_demand.mean == Approx(mean_p).epsilon(0.005));
  CHECK(decision.lead_time_demand.mean == Approx(mean_l).epsilon(0.005));
  // Each engine quantile sits at its level of the brute-force CDF (6 SE = 0.005).
  for (size_t q = 0; q < decision.protection_demand.levels.size(); ++q)
    CHECK(fraction_at_most(protection, decision.protection_demand.quantiles[q]) ==
          Approx(decision.protection_demand.levels[q]).margin(0.005));
  CHECK(fraction_at_most(protection, decision.order_up_to) == Approx(0.9).margin(0.005));
  CHECK(fraction_at_most(lead_demand, decision.reorder_point) == Approx(0.9).margin(0.005));
  // The decision, rounded to packs of 10, judged on the brute-force samples.
  const double y = decision.inventory_position + decision.order_quantity;
  CHECK(std::fmod(decision.order_quantity, 10.0) == 0.0);
  CHECK(decision.stockout_probability == Approx(1.0 - fraction_at_most(protection, y)).margin(0.005));
  double excess = 0.0;
  for (double d : protection) excess += std::max(0.0, d - y) / n;
  CHECK(decision.expected_fill_rate == Approx(1.0 - excess / (mean_p - mean_l)).margin(0.005));
}

TEST_CASE("order-up-to policy simulated day by day meets the predicted fill rate and CSL", "[inventory]") {
  // Stationary skewed daily demand, fixed lead time 3, review every 2 days,
  // backorders: the engine's fill rate formula is exact for this policy.
  const std::vector<double> levels = {0.1, 0.25, 0.5, 0.75, 0.9, 0.99};
  const std::vector<double> day_values = {1, 3, 6, 10, 15, 25};
  const int lead = 3, review = 2;
  DailyQuantiles forecast{levels, {}};
  for (int day = 0; day < lead + review; ++day)
    forecast.values.insert(forecast.values.end(), day_values.begin(), day_values.end());
  SkuInventory sku;
  sku.sku = "SIM";
  sku.lead_time = LeadTime::fixed(lead);
  sku.review_period_days = review;
  sku.regime = StockoutRegime::Backorder;
  sku.service_measure = ServiceMeasure::FillRate;
  sku.service_target = 0.95;
  sku.pack_size = 1e-6;
  const auto decision = replenish(sku, forecast, many_samples());
  const double order_up_to = decision.order_up_to;

  std::mt19937_64 rng(777);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int days = 400000, warm_up = 100;
  std::vector<double> arrivals(days + lead + 1, 0.0), net_at_end(days, 0.0);
  double net = order_up_to, on_order = 0.0, demand_total = 0.0, short_total = 0.0;
  for (int t = 0; t < days; ++t) {
    net += arrivals[t];
    on_order -= arrivals[t];
    if (t % review == 0) {  // review at the start of the day, before its demand
      const double order = order_up_to - (net + on_order);
      arrivals[t + lead] += order;
      on_order += order;
    }
    const double demand = reference_quantile(levels, day_values.data(), uniform(rng));
    if (t >= warm_up) {
      demand_total += demand;
      short_total += std::max(0.0, demand - std::max(net, 0.0));
    }
    net -= demand;
    net_at_end[t] = net;
  }
  // A cycle ordered at review t ends just before the next order arrives, at
  // the end of day t + L + R - 1.
  int cycles = 0, cycles_without_backorder = 0;
  for (int t = warm_up; t + lead + review - 1 < days; t += review) {
    ++cycles;
    cycles_without_backorder += net_at_end[t + lead + review - 1] >= 0.0;
  }
  CHECK(1.0 - short_total / demand_total == Approx(decision.expected_fill_rate).margin(0.004));
  CHECK(decision.expected_fill_rate == Approx(0.95).margin(1e-4));
  CHECK(static_cast<double>(cycles_without_backorder) / cycles ==
        Approx(1.0 - decision.stockout_probability).margin(0.004));
}

TEST_CASE("comonotonic option equals the sum of daily quantiles", "[inventory]") {
  const auto forecast = normal_forecast(10.0, 3.0, 10, level_grid(0.01));
  SkuInventory sku;
  sku.sku = "C1";
  sku.lead_time = LeadTime::fixed(6);
  sku.review_period_days = 2;
  sku.service_target = 0.95;
  ReplenishOptions options;
  options.sampling.dependence = Dependence::Comonotonic;
  const auto decision = replenish(sku, forecast, options);
  CHECK(decision.order_up_to == Approx(comonotonic_sum_quantile(forecast, 1, 8, 0.95)).epsilon(1e-3));
  CHECK(decision.reorder_point == Approx(comonotonic_sum_quantile(forecast, 1, 6, 0.95)).epsilon(1e-3));
  CHECK(decision.order_up_to == Approx(80.0 + 8 * 3.0 * normal_quantile(0.95)).epsilon(1e-3));
  // Independent days need less: z sigma sqrt(8) instead of z sigma 8.
  const auto independent = replenish(sku, forecast, ReplenishOptions{});
  CHECK(independent.order_up_to < decision.order_up_to - 10.0);
}

TEST_CASE("uncertain lead time: variance = E[L] sigma_d^2 + mu_d^2 Var(L)", "[inventory]") {
  const double mu = 10.0, sigma = 3.0;
  const int review = 2;
  const auto forecast = normal_forecast(mu, sigma, 20, level_grid(0.01));
  SkuInventory sku;
  sku.sku = "U1";
  sku.review_period_days = review;
  for (const LeadTime& lead_time : {LeadTime::normal(6.0, 1.5), LeadTime::empirical({3, 4, 4, 5, 9})}) {
    sku.lead_time = lead_time;
    const auto decision = replenish(sku, forecast, many_samples());
    const double mean_l = decision.lead_time_mean, var_l = decision.lead_time_sd * decision.lead_time_sd;
    CHECK(decision.lead_time_demand.mean == Approx(mu * mean_l).epsilon(0.005));
    CHECK(decision.lead_time_demand.sd ==
          Approx(std::sqrt(mean_l * sigma * sigma + mu * mu * var_l)).epsilon(0.03));
    CHECK(decision.protection_demand.sd ==
          Approx(std::sqrt((mean_l + review) * sigma * sigma + mu * mu * var_l)).epsilon(0.03));
    // The mixture is wider than a fixed lead time at the mean.
    CHECK(decision.lead_time_demand.sd > sigma * std::sqrt(mean_l) * 1.3);
  }
  sku.lead_time = LeadTime::normal(6.0, 1.5);
  CHECK(replenish(sku, forecast, ReplenishOptions{}).longest_protection_days == 12 + review);
}

TEST_CASE("order quantity rounding: pack, MOQ, capacity", "[inventory]") {
  bool capped = true;
  CHECK(round_order_quantity(0.0, 0.0, 0.0, 6.0, 1e9, capped) == 0.0);
  CHECK_FALSE(capped);
  CHECK(round_order_quantity(-3.0, 0.0, 12.0, 6.0, 1e9, capped) == 0.0);
  CHECK(round_order_quantity(22.0, 0.0, 0.0, 6.0, 1e9, capped) == 24.0);
  CHECK(round_order_quantity(24.0, 0.0, 0.0, 6.0, 1e9, capped) == 24.0);
  CHECK(round_order_quantity(0.1 + 0.2, 0.0, 0.0, 0.1, 1e9, capped) == Approx(0.3));
  CHECK(round_order_quantity(0.5, 0.0, 0.0, 6.0, 1e9, capped) == 6.0);
  CHECK(round_order_quantity(22.0, 0.0, 30.0, 6.0, 1e9, capped) == 30.0);
  CHECK(round_order_quantity(22.0, 10.0, 0.0, 6.0, 40.0, capped) == 24.0);
  CHECK_FALSE(capped);
  CHECK(round_order_quantity(22.0, 10.0, 0.0, 6.0, 30.0, capped) == 18.0);
  CHECK(capped);
  CHECK(round_order_quantity(22.0, 10.0, 24.0, 6.0, 30.0, capped) == 0.0);
  CHECK(capped);
  CHECK(round_order_quantity(22.0, 35.0, 0.0, 6.0, 30.0, capped) == 0.0);
  CHECK(capped);

  // Through replenish: S = 22, position 9.
  SkuInventory sku;
  sku.sku = "R1";
  sku.on_hand = 5.0;
  sku.open_orders = {{4.0, 2}};
  sku.lead_time = LeadTime::fixed(4);
  sku.review_period_days = 2;
  sku.pack_size = 5.0;
  sku.moq = 15.0;
  const auto forecast = constant_forecast({3, 5, 2, 7, 1, 4});
  auto decision = replenish(sku, forecast, ReplenishOptions{});
  CHECK(decision.unrounded_order == 13.0);
  CHECK(decision.order_quantity == 15.0);
  CHECK(decision.expected_ending_stock == Approx(2.0).epsilon(1e-12));
  sku.max_stock = 20.0;  // room 11: two packs fit, below the MOQ, so nothing
  decision = replenish(sku, forecast, ReplenishOptions{});
  CHECK(decision.order_quantity == 0.0);
  CHECK(decision.capped_by_max_stock);
  CHECK(decision.stockout_probability == 1.0);
  CHECK(decision.expected_shortage == Approx(13.0).epsilon(1e-12));  // lost sales: 22 - 9
  CHECK(decision.expected_fill_rate == 0.0);
  sku.moq = 5.0;
  decision = replenish(sku, forecast, ReplenishOptions{});
  CHECK(decision.order_quantity == 10.0);
  // Costs: fixed 50 + holding 0.5/unit-day over 2 days on (ending 0 + 5 / 2) + 2/unit short * 3.
  sku.costs = {0.5, 2.0, 50.0};
  decision = replenish(sku, forecast, ReplenishOptions{});
  CHECK(decision.expected_cycle_cost == Approx(50.0 + 0.5 * 2 * 2.5 + 2.0 * 3.0).epsilon(1e-12));
}

TEST_CASE("newsvendor: critical-ratio quantile", "[inventory]") {
  ReplenishOptions options = many_samples();
  SECTION("uniform demand on one day") {
    DailyQuantiles forecast{level_grid(0.05), {}};
    for (double p : forecast.levels) forecast.values.push_back(100.0 * p);  // U(0, 100) up to 0.95
    NewsvendorInput input;
    input.sku = "NV1";
    input.on_hand = 10.0;
    input.underage_cost = 3.0;
    input.overage_cost = 1.0;
    const auto decision = newsvendor(input, forecast, options);
    CHECK(decision.critical_ratio == 0.75);
    CHECK(decision.target_stock == Approx(75.0).margin(0.6));  // SE 0.14
    CHECK(decision.order_quantity == std::ceil(decision.target_stock - 10.0));
    const double stock = 10.0 + decision.order_quantity;
    CHECK(decision.expected_lost_sales == Approx(integrated_excess(forecast, stock)).margin(0.05));
    CHECK(decision.stockout_probability == Approx(1.0 - stock / 100.0).margin(0.006));  // SE 0.0014
    // Mean of this quantile function: 100 * 0.95^2 / 2 + 0.05 * (95 + 5) = 50.125 (SE of the sample mean 0.09).
    CHECK(decision.demand.mean == Approx(50.125).margin(0.4));
    CHECK(decision.expected_leftover == Approx(stock - 50.125 + integrated_excess(forecast, stock)).margin(0.4));
  }
  SECTION("normal demand over days 2..6") {
    const auto forecast = normal_forecast(50.0, 10.0, 8, level_grid(0.01));
    NewsvendorInput input;
    input.sku = "NV2";
    input.first_day = 2;
    input.period_days = 5;
    input.underage_cost = 4.0;
    input.overage_cost = 1.0;
    input.pack_size = 12.0;
    const auto decision = newsvendor(input, forecast, options);
    const double sd = 10.0 * std::sqrt(5.0);
    CHECK(decision.target_stock == Approx(250.0 + normal_quantile(0.8) * sd).margin(0.04 * sd));
    CHECK(decision.order_quantity == 12.0 * std::ceil(decision.target_stock / 12.0));
    const double z = (decision.order_quantity - 250.0) / sd;
    CHECK(decision.expected_lost_sales == Approx(sd * normal_loss(z)).margin(0.02 * sd));
    input.period_days = 8;
    require_error([&] { newsvendor(input, forecast, options); }, ErrorCode::Data, {"NV2", "days 2..9"});
    input.period_days = 5;
    input.overage_cost = 0.0;
    require_error([&] { newsvendor(input, forecast, options); }, ErrorCode::InvalidArgument,
                  {"NV2", "overage_cost"});
  }
}

TEST_CASE("the same inputs give bit-identical decisions", "[inventory]") {
  SkuInventory sku;
  sku.sku = "DET";
  sku.on_hand = 12.0;
  sku.lead_time = LeadTime::normal(4.0, 1.0);
  sku.review_period_days = 3;
  sku.service_measure = ServiceMeasure::FillRate;
  sku.service_target = 0.97;
  const auto forecast = normal_forecast(8.0, 3.0, 12, level_grid(0.05));
  const auto first = replenish(sku, forecast, ReplenishOptions{});
  const auto second = replenish(sku, forecast, ReplenishOptions{});
  CHECK(first.order_up_to == second.order_up_to);
  CHECK(first.reorder_point == second.reorder_point);
  CHECK(first.expected_fill_rate == second.expected_fill_rate);
  CHECK(first.protection_demand.quantiles == second.protection_demand.quantiles);
  CHECK(first.order_quantity == second.order_quantity);
  ReplenishOptions other_seed;
  other_seed.sampling.seed = 99;
  const auto third = replenish(sku, forecast, other_seed);
  CHECK(third.order_up_to != first.order_up_to);
  CHECK(third.order_up_to == Approx(first.order_up_to).epsilon(0.02));
}

TEST_CASE("bad inventory input: clear errors naming the field and SKU", "[inventory]") {
  SkuInventory good;
  good.sku = "BAD1";
  good.lead_time = LeadTime::fixed(3);
  good.review_period_days = 2;
  const auto forecast = normal_forecast(10.0, 2.0, 5, level_grid(0.1));
  CHECK_NOTHROW(replenish(good, forecast, ReplenishOptions{}));
  const auto expect = [&](const std::function<void(SkuInventory&)>& change, ErrorCode code,
                          const std::vector<std::string>& needles, const DailyQuantiles& f) {
    SkuInventory sku = good;
    change(sku);
    require_error([&] { replenish(sku, f, ReplenishOptions{}); }, code, needles);
  };
  const auto invalid = ErrorCode::InvalidArgument;
  expect([](SkuInventory& s) { s.on_hand = -1.0; }, invalid, {"BAD1", "on_hand"}, forecast);
  expect([](SkuInventory& s) { s.on_hand = std::nan(""); }, invalid, {"BAD1", "on_hand"}, forecast);
  expect([](SkuInventory& s) { s.lead_time = LeadTime::fixed(0); }, invalid, {"BAD1", "lead_time"}, forecast);
  expect([](SkuInventory& s) { s.lead_time = LeadTime::fixed(-4); }, invalid, {"BAD1", "lead_time"}, forecast);
  expect([](SkuInventory& s) { s.lead_time = LeadTime::normal(-1.0, 1.0); }, invalid,
         {"BAD1", "lead_time_mean"}, forecast);
  expect([](SkuInventory& s) { s.service_target = 0.0; }, invalid, {"BAD1", "service_level"}, forecast);
  expect([](SkuInventory& s) { s.service_target = 1.0; }, invalid, {"BAD1", "service_level"}, forecast);
  expect([](SkuInventory& s) { s.service_target = 1.5; }, invalid, {"service_level", "(0, 1)"}, forecast);
  expect([](SkuInventory& s) { s.service_target = std::nan(""); }, invalid, {"service_level"}, forecast);
  expect([](SkuInventory& s) { s.service_measure = ServiceMeasure::FillRate; s.service_target = -0.1; },
         invalid, {"BAD1", "fill_rate"}, forecast);
  expect([](SkuInventory& s) { s.moq = 10.0; s.pack_size = 4.0; }, invalid,
         {"BAD1", "moq 10 is not a multiple of pack_size 4"}, forecast);
  expect([](SkuInventory& s) { s.pack_size = 0.0; }, invalid, {"BAD1", "pack_size"}, forecast);
  expect([](SkuInventory& s) { s.max_stock = -5.0; }, invalid, {"BAD1", "max_stock"}, forecast);
  expect([](SkuInventory& s) { s.review_period_days = 0; }, invalid, {"BAD1", "review_period"}, forecast);
  expect([](SkuInventory& s) { s.backorders = 3.0; }, invalid, {"BAD1", "backorders"}, forecast);
  expect([](SkuInventory& s) { s.open_orders = {{-1.0, 2}}; }, invalid, {"BAD1", "open order"}, forecast);
  expect([](SkuInventory& s) { s.open_orders = {{1.0, -2}}; }, invalid, {"BAD1", "arrival_day"}, forecast);
  expect([](SkuInventory& s) { s.costs.holding_per_unit_day = -1.0; }, invalid, {"BAD1", "holding"}, forecast);
  // Forecast shorter than the protection interval (3 + 2 = 5 fits, 4 + 2 does not).
  expect([](SkuInventory& s) { s.lead_time = LeadTime::fixed(4); }, ErrorCode::Data,
         {"BAD1", "forecast covers 5 days", "needs 6"}, forecast);
  expect([](SkuInventory& s) { s.lead_time = LeadTime::normal(3.0, 1.0); }, ErrorCode::Data,
         {"BAD1", "longest lead time 7"}, forecast);
  DailyQuantiles crossing = forecast;
  std::swap(crossing.values[3], crossing.values[4]);
  expect([](SkuInventory&) {}, ErrorCode::Data, {"BAD1", "cross at day 1"}, crossing);
  DailyQuantiles with_nan = forecast;
  with_nan.values[20] = std::nan("");
  expect([](SkuInventory&) {}, ErrorCode::Data, {"BAD1", "day 3", "not finite"}, with_nan);
}
