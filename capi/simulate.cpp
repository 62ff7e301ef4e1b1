// invf_simulate and invf_simulate_forecasters: the policy simulator
// (lib/inventory/simulator.hpp) over a dataset, one row per (service
// target, method).
#include <memory>
#include <optional>

#include "boundary.hpp"
#include "handles.hpp"
#include "inventory/inventory_state.hpp"

struct invf_simulation {
  std::vector<invforecast::SimulationReport> reports;  // one per service target
  size_t methods = 0;                                  // rows = reports x methods
  std::string json;  // rendered once, so concurrent readers share it
};

namespace invforecast::capi {
namespace {

// What the simulator reads: its own keys, the replenishment rule's and the
// methods' forecasting keys.
constexpr OptionDomains kSimulateDomains = kSimulationDomain | kInventoryDomain | kForecastDomain;

// Test periods beyond ten years of days are refused before any work.
constexpr size_t kMaxTestDays = 3660;

const invf_simulation& simulation_ref(const invf_simulation* simulation) {
  require(simulation, "simulation");
  return *simulation;
}

size_t row_count(const invf_simulation& simulation) {
  return simulation.reports.size() * simulation.methods;
}

// Row r is method r % methods under target r / methods.
const MethodSimulation& row(const invf_simulation& simulation, size_t r) {
  require_index(r, row_count(simulation), "method");
  return simulation.reports[r / simulation.methods].methods[r % simulation.methods];
}

std::optional<double> outcome_value(const invf_simulation& simulation, size_t r,
                                    std::string_view key) {
  const MethodSimulation& method = row(simulation, r);
  const PolicyOutcome& o = method.aggregate;
  if (key == "service_target") return simulation.reports[r / simulation.methods].service_target;
  if (key == "series") return static_cast<double>(method.simulated_series);
  if (key == "fill_rate") return o.fill_rate;
  if (key == "cycle_service_level") return o.cycle_service_level;
  if (key == "stockout_days") return static_cast<double>(o.stockout_days);
  if (key == "avg_inventory") return o.avg_inventory;
  if (key == "orders") return static_cast<double>(o.orders);
  if (key == "ordered_units") return o.ordered_units;
  if (key == "demand") return o.demand;
  if (key == "served") return o.served;
  if (key == "short_units") return o.short_units;
  if (key == "holding_cost") return o.holding_cost;
  if (key == "shortage_cost") return o.shortage_cost;
  if (key == "order_cost") return o.order_cost;
  if (key == "total_cost") return o.total_cost;
  if (key == "ending_backorders") return o.ending_backorders;
  return std::nullopt;
}

void check_test_days(size_t test_days) {
  if (test_days == 0 || test_days > kMaxTestDays)
    fail(ErrorCode::InvalidArgument, "test_days {} is out of range: expected 1 to {}", test_days,
         kMaxTestDays);
}

std::unique_ptr<invf_simulation> run_simulation(const invf_dataset& dataset,
                                                std::span<const SimulationMethod> methods,
                                                size_t test_days, const Options& settings) {
  auto simulation = std::make_unique<invf_simulation>();
  simulation->reports = simulate_methods(built_dataset(dataset), methods,
                                         simulation_options(settings.inventory, settings.forecast,
                                                            settings.progress, test_days),
                                         settings.inventory.service_targets);
  simulation->methods = methods.size();
  simulation->json = reports_to_json(simulation->reports);
  return simulation;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_simulate(const invf_dataset* dataset, const char* const* methods,
                           size_t method_count, size_t test_days, const invf_options* options,
                           invf_simulation** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(methods, "methods");
    require(out, "out");
    if (method_count == 0) fail(ErrorCode::InvalidArgument, "method_count is 0: name a method");
    check_test_days(test_days);
    const Options& settings = options_for(options, "invf_simulate", kSimulateDomains);
    // Unknown names fail here, before any work.
    std::vector<std::unique_ptr<Forecaster>> owned;
    std::vector<SimulationMethod> named;
    for (size_t m = 0; m < method_count; ++m) {
      if (methods[m] == nullptr) fail(ErrorCode::NullPointer, "argument 'methods[{}]' is NULL", m);
      owned.push_back(make_forecaster(methods[m], settings.forecast));
      named.push_back({owned.back().get(), methods[m], {}});
    }
    *out = run_simulation(*dataset, named, test_days, settings).release();
  });
}

invf_status* invf_simulate_forecasters(const invf_dataset* dataset,
                                       const invf_forecaster* const* forecasters, size_t count,
                                       size_t test_days, const invf_options* options,
                                       invf_simulation** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(forecasters, "forecasters");
    require(out, "out");
    if (count == 0) fail(ErrorCode::InvalidArgument, "count is 0: give a forecaster");
    check_test_days(test_days);
    const Options& settings = options_for(options, "invf_simulate_forecasters", kSimulateDomains);
    std::vector<std::unique_ptr<ModelForecaster>> models;
    std::vector<SimulationMethod> methods;
    for (size_t m = 0; m < count; ++m) {
      const invf_forecaster* forecaster = forecasters[m];
      if (forecaster == nullptr)
        fail(ErrorCode::NullPointer, "argument 'forecasters[{}]' is NULL", m);
      if (forecaster->model) {
        models.push_back(std::make_unique<ModelForecaster>(forecaster->model));
        methods.push_back({models.back().get(), forecaster->method, models.back()->quantile_levels()});
      } else {
        methods.push_back(
            {forecaster->impl.get(), forecaster->method, forecaster->options.forecast.quantiles});
      }
    }
    *out = run_simulation(*dataset, methods, test_days, settings).release();
  });
}

void invf_simulation_release(invf_simulation* simulation) { delete simulation; }

invf_status* invf_simulation_method_count(const invf_simulation* simulation, size_t* out) {
  return guarded([&] {
    const invf_simulation& s = simulation_ref(simulation);
    require(out, "out");
    *out = row_count(s);
  });
}

invf_status* invf_simulation_method_name(const invf_simulation* simulation, size_t method,
                                         const char** out) {
  return guarded([&] {
    const invf_simulation& s = simulation_ref(simulation);
    require(out, "out");
    *out = row(s, method).method.c_str();
  });
}

invf_status* invf_simulation_value(const invf_simulation* simulation, size_t method,
                                   const char* key, double* out) {
  return guarded([&] {
    const invf_simulation& s = simulation_ref(simulation);
    require(key, "key");
    require(out, "out");
    const std::optional<double> value = outcome_value(s, method, key);
    if (!value) fail(ErrorCode::InvalidArgument, "unknown simulation value '{}'", key);
    *out = *value;
  });
}

invf_status* invf_simulation_to_json(const invf_simulation* simulation, char* buffer,
                                     size_t capacity, size_t* needed) {
  return guarded([&] {
    require(simulation, "simulation");
    const std::string& json = simulation->json;  // with its NUL
    copy_to_caller(json.c_str(), json.size() + 1, buffer, capacity, needed, "the JSON report");
  });
}

}  // extern "C"
