// Policy simulator: replays the actual demand of the last `test_days` days of
// every series through the periodic-review order-up-to policy of
// replenish.hpp, with the forecast of each method, and measures the business
// outcome (fill rate, stockouts, inventory, cost, orders).
//
// One day t of the test period (t indexes the series' values), in order:
//   1. orders due on day t arrive (an order placed on day u arrives on day
//      u + its lead time) and, under backorders, first fill the backorders
//      owed;
//   2. on a review day (the first test day, then every review_period_days
//      days) the method forecasts days t..t+Lmax+R-1 (Lmax: the longest lead
//      time) from values[0, t) only (strictly before the decision day:
//      forecast_series() on the prefix, or on its last history_days days),
//      and replenish() turns the forecast, the on-hand stock, the backorders
//      and the open orders into an order, which is placed at once;
//   3. day t's demand values[t] is served from on-hand stock; what is not
//      served is lost (LostSales) or owed (Backorder);
//   4. the end-of-day on-hand stock is recorded.
// Start: no open orders, no backorders, and on-hand stock equal to the first
// decision's order-up-to level S rounded up to a pack multiple (the steady
// state of an order-up-to policy; capped at max_stock), so the first review
// orders nothing.
//
// Measures per series (over the test days):
//   fill_rate            units served on the day of demand / units demanded
//                        (1 when nothing was demanded); units served later
//                        from backorders do not count as served;
//   cycle_service_level  share of review cycles without a stockout day; cycle
//                        k covers the test days from the k-th review to the
//                        day before the next (the last may be shorter);
//   stockout_days        days with demand not served in full;
//   avg_inventory        mean end-of-day on-hand stock;
//   holding_cost         holding_per_unit_day * sum of end-of-day on hand;
//   shortage_cost        shortage_per_unit * units short (lost, or newly
//                        backordered: each unit once);
//   order_cost           fixed_per_order * orders; total_cost = the three;
//   orders               orders placed (order quantity > 0).
// Aggregate over the simulated series of a method: fill_rate = total served /
// total demand; cycle_service_level = cycles without stockout / cycles (all
// series have the same cycles, so it is also the mean of the series' values);
// avg_inventory, stockout_days, orders, costs and units are SUMS over series
// (avg_inventory is the assortment's mean on-hand units, so the identity
// holding_cost = holding_per_unit_day * test_days * avg_inventory holds for
// the aggregate too).  Series with fewer than test_days + 1 days (no history
// before the first test day) are skipped with a warning.
//
// Lead time: fixed at lead_time_days when lead_time_sd is 0.  With
// lead_time_sd > 0 it is uncertain: Normal(lead_time_days, lead_time_sd)
// discretised to whole days >= 1 (discretise_lead_time); each order's lead
// time is drawn from that distribution by inversion of a uniform that is a
// hash of (sampling.seed, series id, order day), so a run is repeatable, the
// draws do not depend on the method, the service target or the thread count
// (common random numbers), and orders may cross.  Decisions mix over the
// same distribution (replenish() with LeadTime::normal).
//
// Several service targets (simulate_methods with a list): the forecasts do
// not depend on the policy (each uses only the actual demand before its
// day), so each method forecasts each review day of a series once and the
// cached forecasts are replayed under every target.
//
// Determinism: each decision's Monte Carlo uses the same seed
// (options.sampling), each series depends on that series only, and the work
// is split over (method, series) pairs on ForecastOptions::threads threads
// (0 = hardware concurrency), so the report does not depend on the thread
// count.  The replenishment samples default to 2000 (replenish's own default
// is 20000) because the simulator makes a decision per series and review.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "data/dataset.hpp"
#include "inventory/replenish.hpp"
#include "methods/forecaster.hpp"

namespace invforecast {

struct SimulationOptions {
  size_t test_days = 28;
  int review_period_days = 1;
  int lead_time_days = 2;     // whole days >= 1: the lead time, or its mean
  double lead_time_sd = 0.0;  // > 0: uncertain lead time (see above)
  ServiceMeasure service_measure = ServiceMeasure::CycleServiceLevel;
  double service_target = 0.95;  // in (0, 1)
  StockoutRegime regime = StockoutRegime::LostSales;
  InventoryCosts costs;  // unit costs; zero = not counted
  double moq = 0.0;
  double pack_size = 1.0;
  double max_stock = std::numeric_limits<double>::infinity();
  SamplingOptions sampling{.samples = 2000};
  // Quantile levels of the forecasts (the demand distribution is built from
  // them), the methods' settings and the thread count.
  ForecastOptions forecast;
  // Days of history each forecast is fitted on: the last history_days days
  // before the decision day (0 = all of them).  Bounds the cost of slow
  // methods (an ETS fit grows with the history) on long series.
  size_t history_days = 0;
  // Keep every test day's record in SeriesSimulation::days.
  bool record_days = false;
  ProgressFn progress;  // may be empty; called from the calling thread only
};

// Outcome of the policy on one series, or summed over series (see above).
struct PolicyOutcome {
  double demand = 0.0;       // units demanded
  double served = 0.0;       // units served on the day of demand
  double short_units = 0.0;  // units lost or backordered
  double fill_rate = 1.0;
  size_t cycles = 0;
  size_t cycles_without_stockout = 0;
  double cycle_service_level = 1.0;
  size_t stockout_days = 0;
  double avg_inventory = 0.0;
  double holding_cost = 0.0;
  double shortage_cost = 0.0;
  double order_cost = 0.0;
  double total_cost = 0.0;
  size_t orders = 0;
  double ordered_units = 0.0;
  double ending_backorders = 0.0;  // owed at the end of the test period
};

// One test day of one series (only with SimulationOptions::record_days).
struct DayRecord {
  size_t index = 0;             // position in the series' values
  double arrived = 0.0;         // units received at the start of the day
  double on_hand_start = 0.0;   // after arrivals and backorder fills
  bool review = false;
  double order_up_to = 0.0;     // review days only
  double order_quantity = 0.0;  // placed today, arrives on index + order_lead_time
  int order_lead_time = 0;      // days, when an order was placed
  double demand = 0.0;
  double served = 0.0;
  double short_units = 0.0;
  double on_hand_end = 0.0;
  double backorders_end = 0.0;
};

struct SeriesSimulation {
  std::string series_id;
  bool simulated = false;  // false when the series is too short
  double initial_on_hand = 0.0;
  PolicyOutcome outcome;
  size_t forecast_warnings = 0;  // decisions whose forecast carried a warning
  std::string first_warning;
  std::vector<DayRecord> days;
};

struct MethodSimulation {
  std::string method;
  size_t simulated_series = 0;
  PolicyOutcome aggregate;
  std::vector<SeriesSimulation> series;  // in dataset order
  std::vector<std::string> warnings;
};

struct SimulationReport {
  size_t test_days = 0;
  int review_period_days = 0;
  int lead_time_days = 0;
  double lead_time_sd = 0.0;
  ServiceMeasure service_measure = ServiceMeasure::CycleServiceLevel;
  double service_target = 0.0;
  std::string policy;  // the policy and its assumptions, in words
  std::vector<MethodSimulation> methods;

  // {"test_days", "review_period", "lead_time", "lead_time_sd",
  //  "service_measure" ("service_level" | "fill_rate"), "service_target", "policy",
  //  "methods": [{"method", "series", "fill_rate", "cycle_service_level",
  //  "stockout_days", "avg_inventory", "orders", ...costs and units...,
  //  "warnings", "per_series": [...] (when per_series)}]}.
  std::string to_json(bool per_series) const;
  // One aligned text row per method with the aggregate measures.
  std::string to_table() const;
};

// Replays one series' last options.test_days days with one method.  Throws
// Error(InvalidArgument) for bad options; a method's errors pass through.
SeriesSimulation simulate_series(const Forecaster& method, std::string_view series_id,
                                 std::span<const double> values, const SimulationOptions& options);

// Every series of the dataset with each method.  Throws Error(InvalidArgument)
// for no method, an unknown method name or bad options; Error(Cancelled) when
// progress asks to stop.
SimulationReport simulate_policy(const Dataset& dataset, const std::vector<std::string>& methods,
                                 const SimulationOptions& options);
// The same with forecasters made by the caller (not owned), reported under
// their own names, with forecasts at options.forecast.quantiles.
SimulationReport simulate_forecasters(const Dataset& dataset,
                                      std::span<const Forecaster* const> methods,
                                      const SimulationOptions& options);

// A method of simulate_methods: a forecaster (not owned), the name to report,
// and the quantile levels its forecasts carry (empty: options.forecast
// .quantiles; a neural model has its own).  A series that never sold before
// a decision day gets the zero forecast at these levels.
struct SimulationMethod {
  const Forecaster* forecaster = nullptr;
  std::string name;
  std::vector<double> quantile_levels;
};

// One report per service target (in the order given; empty = the single
// options.service_target, under options.service_measure), each method
// forecasting each review day once for all targets (see above).
std::vector<SimulationReport> simulate_methods(const Dataset& dataset,
                                               std::span<const SimulationMethod> methods,
                                               const SimulationOptions& options,
                                               std::span<const double> service_targets);

// The reports of simulate_methods as JSON, without per-series detail: the
// one report's object, or with several targets an array of them in order.
std::string reports_to_json(std::span<const SimulationReport> reports);

}  // namespace invforecast
