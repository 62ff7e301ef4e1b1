// What-if scenarios: edits to the known-future covariates (a price cut, a
// promotion, an event) over a date range of some series, and the model's
// forecast of those series with and without them side by side: units,
// revenue (units x the day's price) and the replenishment orders of each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "data/dataset.hpp"
#include "inventory/inventory_state.hpp"
#include "methods/dataset_forecast.hpp"
#include "model/model_runtime.hpp"

namespace invforecast {

// The column whose values revenue multiplies units by.
inline constexpr std::string_view kPriceColumn = "price";

// One edit, as written: `COL*=x` scales a real column, `COL+=x` adds to it,
// `COL=x` sets it (a real column) or `COL=LEVEL` sets a categorical one to a
// level.  x is a finite number; COL and LEVEL are the rest of the text, as
// the data spells them (no trimming).
struct CovariateEdit {
  enum class Op { Scale, Add, Set };
  std::string text;    // the edit as given, for messages
  std::string column;
  Op op = Op::Set;
  std::string operand;            // the text after the operator
  std::optional<double> number;   // the operand as a finite number, when it is one
};

// Error(InvalidArgument) naming the edit: no operator, an empty column or
// operand, an operand of *= or += that is not a finite number.
CovariateEdit parse_edit(std::string_view text);

struct Scenario {
  std::vector<CovariateEdit> edits;  // applied in order to every day of the range
  std::vector<std::string> series;   // empty: every series of the data
  // Inclusive; unset: each series' first (last) forecast day.
  std::optional<Day> from, to;
};

// The base and the scenario forecast of the scenario's series (in data
// order), with what each reads of the price and the orders of each.
struct WhatIfResult {
  std::vector<std::string> edits;  // as given
  DatasetForecast base, scenario;
  // [series][day]: 1 on the days the edits apply to.
  std::vector<std::vector<uint8_t>> edited;
  // The data has a numeric price column: revenue = mean units x price (NaN
  // on a day whose price is unknown).  Otherwise both are empty.
  bool has_price = false;
  std::vector<std::vector<double>> base_price, scenario_price;  // [series][day]
  // With an inventory: the replenishment step on each forecast, for the
  // inventory's SKUs among the scenario's series.
  std::optional<ReplenishmentResult> base_orders, scenario_orders;

  // Daily revenue of the base (scenario = false) or the scenario forecast:
  // mean units x price, empty without a price.
  std::vector<double> revenue(bool scenario, size_t series) const;
  // {"horizon", "levels", "edits", "revenue" (bool), "revenue_note",
  // "series": [{"series_id", "start_date", "base": {"units", "revenue",
  // "order_quantity", "reorder_point", "safety_stock", "order_up_to"},
  // "scenario": {...}, "days": [{"date", "edited", "base": {"mean",
  // "quantiles", "price", "revenue"}, "scenario": {...}}]}]}; null for
  // what is absent (revenue without a price, orders without an inventory).
  std::string to_json() const;
  // series_id,date,edited,base_mean,scenario_mean,base_price,scenario_price,
  // base_revenue,scenario_revenue,base_q<level>...,scenario_q<level>...
  // (prices and revenues empty without a price column).
  void write_csv(const std::string& path) const;
};

// `data` restricted to `scenario.series` (all when empty) and the copy of it
// with the edits applied over [from, to], the days of each series' forecast
// horizon.  Checks, each an error naming what it names:
//   Error(InvalidArgument): no edit; a series the data lacks or named twice;
//   from after to; a date outside a series' horizon (its first to its
//   `horizon`-th forecast day); a column the data lacks, one the model does
//   not read, reads as static or as past-only (not known over the horizon);
//   *= or += on a categorical column, a real column set to a non-number; a
//   categorical level the model's vocabulary lacks (refused, not read as the
//   unknown bucket: the forecast would not be of that level);
//   Error(Data): a day the data holds no value for (a missing price cannot be
//   scaled), or an edit that gives a non-finite value.
// `edited` gets the days the edits apply to, per series of the restricted data.
struct ScenarioData {
  Dataset base, scenario;
  std::vector<std::vector<uint8_t>> edited;
};
ScenarioData apply_scenario(const Dataset& data, const std::vector<FeatureSpec>& features,
                            const Scenario& scenario, size_t horizon);

// The model's horizon, or fewer days: the future days of a dataset with a
// future file when they are fewer.  `horizon` 0 asks for that default.
size_t whatif_horizon(const ModelConfig& config, const Dataset& data, size_t horizon);

// apply_scenario, then both forecasts by the model (forecast_dataset_with_model,
// `options`) and, with `inventory`, replenish_inventory on each for its SKUs
// among the scenario's series (Error(Data) when it has none of them).
WhatIfResult run_whatif(const ModelRuntime& runtime, const Dataset& data, const Scenario& scenario,
                        size_t horizon, const ForecastOptions& options,
                        const InventoryState* inventory, const InventoryOptions& inventory_options,
                        const ProgressFn& progress);

}  // namespace invforecast
