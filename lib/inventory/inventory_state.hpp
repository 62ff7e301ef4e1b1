// The inventory a replenishment run starts from: SKU states and open orders,
// built field by field (invf_inventory_add_sku) or from the state and
// open-order CSVs, all through one schema of named fields; and the runs over
// a whole forecast, order-up-to decisions or newsvendor buys, with their
// named values and CSV.  lib/inventory/replenish.hpp decides one SKU.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/date.hpp"
#include "core/options.hpp"
#include "inventory/replenish.hpp"
#include "inventory/simulator.hpp"
#include "methods/dataset_forecast.hpp"

namespace invforecast {

// The fields of one SKU state, by the names used in the state CSV and by
// invf_inventory_add_sku.  Required fields have no default.
struct StateField {
  const char* name;
  bool required;
};
std::span<const StateField> state_fields();
// A state-CSV column holding a list, not a number: past lead times in whole
// days separated by ';'.  It replaces lead_time_mean and lead_time_sd.
inline constexpr const char* kLeadTimeSamples = "lead_time_samples";

// An open order whose arrival is a calendar date: turned into days from now
// against the SKU's forecast (its day 1 is today) when decisions are made.
struct DatedOpenOrder {
  double quantity = 0.0;
  Day arrival = 0;
  std::string where;  // file:line, for messages
};

// One SKU: the engine's state plus what a run resolves per forecast.
struct SkuState {
  SkuInventory inventory;
  bool own_target = false;     // a service_level or fill_rate field overrides the options
  double overage_cost = 0.0;   // newsvendor: per unit left over
  std::vector<DatedOpenOrder> dated_orders;
};

struct InventoryState {
  std::vector<SkuState> skus;
  bool from_file = false;  // such an inventory accepts no added SKUs
};

// Builds a SKU from named values; `where` prefixes messages (file:line or
// the call).  Missing optional fields take their defaults.  With
// `lead_time_samples`, the lead time is their empirical distribution.
// Error(InvalidArgument) for a missing required field or conflicting ones.
SkuState make_sku(std::string sku, const std::unordered_map<std::string, double>& values,
                  const std::string& where, std::vector<int> lead_time_samples = {});

// Adds SKU `sku` with fields keys[i] = values[i]: Error(InvalidArgument) for
// an inventory from a file, an empty id, an unknown, repeated or non-finite
// field, Error(Data) for a SKU already present.  Adds nothing on failure.
void add_sku(InventoryState& inventory, std::string_view sku,
             std::span<const std::string_view> keys, std::span<const double> values);
// Replaces the lead time of `sku` by the empirical distribution of `days`
// (each >= 1).  Error(Data) for an unknown SKU.
void set_lead_time_samples(InventoryState& inventory, std::string_view sku, std::vector<int> days);

// An open order's arrival: exactly one of a day offset or a date.
struct Arrival {
  std::optional<double> day;
  std::optional<Day> date;
};
// Adds an open order of `sku`; Error(Data) for an unknown SKU,
// Error(InvalidArgument) for a bad quantity or arrival day.
void add_open_order(InventoryState& inventory, std::string_view sku, double quantity,
                    const Arrival& arrival, const std::string& where);

// The state CSV: "sku" and field columns; errors name the file and line.
InventoryState load_inventory_csv(const std::string& path);
// Open orders: sku,quantity and arrival_day or arrival_date; a failing file
// adds nothing.
void load_open_orders_csv(InventoryState& inventory, const std::string& path);

// The Monte Carlo settings of `options` ("samples", "seed", "dependence",
// "copula_rho") over the defaults in `sampling`.
SamplingOptions sampling_options(const InventoryOptions& options, SamplingOptions sampling = {});
// The policy simulator's settings: the simulation and inventory keys, the
// forecasting keys of the methods and the progress callback.
SimulationOptions simulation_options(const InventoryOptions& inventory,
                                     const ForecastOptions& forecast, const ProgressFn& progress,
                                     size_t test_days);

// One decision per SKU: order-up-to decisions or newsvendor buys.
struct ReplenishmentResult {
  bool newsvendor = false;  // which of the two decision lists is filled
  std::vector<ReplenishDecision> decisions;
  std::vector<NewsvendorDecision> buys;
  std::vector<double> on_hand;   // of each SKU, as given
  std::vector<double> pipeline;  // newsvendor: open orders counted as stock

  size_t size() const { return newsvendor ? buys.size() : decisions.size(); }
  const std::string& sku(size_t i) const { return newsvendor ? buys[i].sku : decisions[i].sku; }
  const std::string& method(size_t i) const {
    return newsvendor ? buys[i].method : decisions[i].method;
  }
  // A named number of SKU i (keys of invf_replenishment_value); nullopt for
  // a key the mode does not have.
  std::optional<double> value(size_t i, std::string_view key) const;
  // sku and the mode's columns, shortest round-trip numbers.
  void write_csv(const std::string& path) const;
};

// Order-up-to decisions for every SKU of `inventory` from the forecast
// series of the same id: Error(Data) naming SKUs without one.  A SKU's own
// target wins over the options'.  SKUs run on options.threads threads.
ReplenishmentResult replenish_inventory(const DatasetForecast& forecast,
                                        const InventoryState& inventory,
                                        const InventoryOptions& options,
                                        const ProgressFn& progress);

// The newsvendor buy of one SKU: placed now, it arrives after the (fixed)
// lead time L and sells over the review period R, days L+1..L+R of the
// forecast; stock = on hand + open orders arriving before the end of that
// period (*pipeline gets them).  Error(InvalidArgument) for an uncertain
// lead time, backorders or a bad open order; newsvendor() checks the costs.
NewsvendorInput newsvendor_input(const SkuInventory& sku, double overage_cost, double* pipeline);

// Newsvendor buys for every SKU of `inventory` (newsvendor_input, then
// newsvendor()); the forecast matched as for replenish_inventory.
ReplenishmentResult newsvendor_inventory(const DatasetForecast& forecast,
                                         const InventoryState& inventory,
                                         const InventoryOptions& options,
                                        const ProgressFn& progress);

}  // namespace invforecast
