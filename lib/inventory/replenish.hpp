// Replenishment decisions from daily quantile forecasts: a periodic-review
// order-up-to policy (review every R days, order up to S) with the demand
// distributions of demand_distribution.hpp, and a newsvendor mode for one-shot
// buys.  One call per SKU; the C ABI and the CLI only translate inputs.
//
// Definitions (D_L: demand over the lead time L, D_P: over the protection
// interval L + R, D_R = D_P - D_L: over the R days the order must last; all
// mixed over an uncertain L and taken from the same joint samples):
//   - order-up-to level S: for a cycle service level a, the a-quantile of D_P
//     (smallest S with P(D_P <= S) >= a); for a fill-rate target b, the
//     smallest S with fill(S) >= b, where fill(S) = 1 - ESC(S) / E[D_R] and
//     the expected shortage per cycle ESC(S) is E[(D_P - S)^+] under lost
//     sales and E[(D_P - S)^+] - E[(D_L - S)^+] under backorders (shortages
//     already backordered before the cycle are not counted twice);
//   - reorder point s: the same target over D_L alone (the inventory position
//     that should trigger an order when it is watched continuously; for a
//     fill rate, with a lot of E[D_R]: 1 - E[(D_L - s)^+] / E[D_R] >= b);
//   - safety stock = s - E[D_L] (reorder point minus mean lead-time demand);
//     cycle safety stock = S - E[D_P];
//   - inventory position = on hand - backorders + open orders arriving within
//     the longest protection interval (longest lead time + R): day 1 of the
//     forecast is today, an open order with arrival_day a is available from
//     forecast day a + 1 on (a = 0: before today's demand), so it counts when
//     a < longest lead time + R; later orders cover none of the interval and
//     are reported (pipeline_later) but not counted;
//   - order now = S - position if positive, rounded up to a pack multiple, at
//     least the MOQ, and cut to a pack multiple that keeps the position at or
//     below max_stock (nothing if that cut falls below the MOQ);
//   - fill rate and stockout probability of the decision: fill(y) and
//     P(D_P > y) for y = position + order;
//   - days of cover = on hand / (E[D_P] / E[L + R]).
#pragma once

#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/options.hpp"
#include "inventory/demand_distribution.hpp"

namespace invforecast {

enum class StockoutRegime { LostSales, Backorder };

struct OpenOrder {
  double quantity = 0.0;
  int arrival_day = 0;  // days from now; 0 = arrives today, before today's demand
};

// Optional costs; zero means not given.
struct InventoryCosts {
  double holding_per_unit_day = 0.0;
  double shortage_per_unit = 0.0;  // lost sale or backorder, per unit short
  double fixed_per_order = 0.0;
};

struct SkuInventory {
  std::string sku;
  double on_hand = 0.0;
  double backorders = 0.0;  // units owed to customers (backorder regime only)
  std::vector<OpenOrder> open_orders;
  LeadTime lead_time = LeadTime::fixed(1);
  int review_period_days = 1;
  ServiceMeasure service_measure = ServiceMeasure::CycleServiceLevel;
  double service_target = 0.95;  // in (0, 1)
  InventoryCosts costs;
  double moq = 0.0;
  double pack_size = 1.0;
  double max_stock = std::numeric_limits<double>::infinity();
  StockoutRegime regime = StockoutRegime::LostSales;
};

struct ReplenishOptions {
  SamplingOptions sampling;
  std::vector<double> report_levels = {0.5, 0.8, 0.9, 0.95, 0.99};
};

struct ReplenishDecision {
  std::string sku;
  DemandSummary lead_time_demand;
  DemandSummary protection_demand;
  double review_demand_mean = 0.0;  // E[D_R]
  double lead_time_mean = 0.0;      // of the discretised lead time, days
  double lead_time_sd = 0.0;
  int longest_protection_days = 0;  // longest lead time + review period

  double reorder_point = 0.0;
  double safety_stock = 0.0;        // reorder point - E[D_L]
  double order_up_to = 0.0;
  double cycle_safety_stock = 0.0;  // order-up-to - E[D_P]

  double pipeline_counted = 0.0;    // open orders arriving within the protection interval
  double pipeline_later = 0.0;      // open orders arriving after it (not counted)
  double inventory_position = 0.0;
  double unrounded_order = 0.0;     // max(0, S - position)
  double order_quantity = 0.0;
  bool capped_by_max_stock = false;

  double expected_fill_rate = 0.0;
  double stockout_probability = 0.0;
  double expected_shortage = 0.0;       // units short per cycle, ESC(y)
  double expected_ending_stock = 0.0;   // E[(y - D_P)^+]
  // Only when costs are given: fixed cost if ordering + holding over the R
  // days on (ending stock + E[D_R] / 2) + shortage cost on ESC(y).
  double expected_cycle_cost = 0.0;

  double mean_daily_demand = 0.0;
  double days_of_cover = 0.0;  // infinite when the mean daily demand is 0
  std::string method;          // the assumptions, in words
};

// Throws Error(InvalidArgument) for bad inventory fields or options and
// Error(Data) for a bad or too short forecast; messages name the field and SKU.
ReplenishDecision replenish(const SkuInventory& inventory, const DailyQuantiles& forecast,
                            const ReplenishOptions& options);

// One-shot buy covering days first_day..first_day+period_days-1.
struct NewsvendorInput {
  std::string sku;
  double on_hand = 0.0;
  size_t first_day = 1;
  size_t period_days = 1;
  double underage_cost = 0.0;  // per unit of demand not met (lost margin)
  double overage_cost = 0.0;   // per unit left over (cost - salvage)
  double moq = 0.0;
  double pack_size = 1.0;
  double max_stock = std::numeric_limits<double>::infinity();
};

struct NewsvendorDecision {
  std::string sku;
  DemandSummary demand;
  double critical_ratio = 0.0;  // cu / (cu + co)
  double target_stock = 0.0;    // the critical-ratio quantile of demand
  double unrounded_order = 0.0;
  double order_quantity = 0.0;
  bool capped_by_max_stock = false;
  double stockout_probability = 0.0;  // of on hand + order
  double expected_sales = 0.0;
  double expected_leftover = 0.0;
  double expected_lost_sales = 0.0;
  std::string method;
};

NewsvendorDecision newsvendor(const NewsvendorInput& input, const DailyQuantiles& forecast,
                              const ReplenishOptions& options);

// Names used by the CLI and the C ABI; Error(InvalidArgument) lists the valid ones.
ServiceMeasure parse_service_measure(std::string_view name);  // "service_level", "fill_rate"
StockoutRegime parse_stockout_regime(std::string_view name);  // "lost_sales", "backorder"
Dependence parse_dependence(std::string_view name);  // "independent", "comonotonic", "gaussian_copula"

// The rounding rule shared by both modes: nothing when `needed` <= 0; else
// `needed` rounded up to a pack multiple and at least the MOQ; when that
// would put the position above max_stock, the largest pack multiple that fits,
// or nothing if it is below the MOQ.  Sets `capped` when the cap cut it.
double round_order_quantity(double needed, double position, double moq, double pack_size,
                            double max_stock, bool& capped);

}  // namespace invforecast
