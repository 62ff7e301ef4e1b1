#include "inventory/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "core/parallel.hpp"

namespace invforecast {
namespace {

// Order placed and not yet received.
struct PendingOrder {
  size_t arrival_index = 0;
  double quantity = 0.0;
};

LeadTime simulated_lead_time(const SimulationOptions& options) {
  return options.lead_time_sd > 0.0 ? LeadTime::normal(options.lead_time_days, options.lead_time_sd)
                                    : LeadTime::fixed(options.lead_time_days);
}

SkuInventory inventory_template(std::string_view sku, const SimulationOptions& options) {
  SkuInventory inventory;
  inventory.sku = std::string(sku);
  inventory.lead_time = simulated_lead_time(options);
  inventory.review_period_days = options.review_period_days;
  inventory.service_measure = options.service_measure;
  inventory.service_target = options.service_target;
  inventory.costs = options.costs;
  inventory.moq = options.moq;
  inventory.pack_size = options.pack_size;
  inventory.max_stock = options.max_stock;
  inventory.regime = options.regime;
  return inventory;
}

void validate_options(const SimulationOptions& options) {
  if (options.test_days == 0) fail(ErrorCode::InvalidArgument, "simulate: test_days must be at least 1");
  if (options.review_period_days < 1)
    fail(ErrorCode::InvalidArgument, "simulate: review_period must be at least 1 day, got {}",
         options.review_period_days);
  if (options.lead_time_days < 1)
    fail(ErrorCode::InvalidArgument, "simulate: lead_time must be at least 1 day, got {}",
         options.lead_time_days);
  if (!(std::isfinite(options.lead_time_sd) && options.lead_time_sd >= 0.0))
    fail(ErrorCode::InvalidArgument, "simulate: lead_time_sd must be a finite number >= 0, got {}",
         options.lead_time_sd);
  if (options.forecast.quantiles.empty())
    fail(ErrorCode::InvalidArgument, "simulate: at least one forecast quantile level is needed");
  validate_sampling_options(options.sampling);
  // The inventory settings are checked by replenish() itself, once, on a
  // zero forecast at the forecast's levels, so its rules and messages stay
  // in one place.
  const SkuInventory settings = inventory_template("simulation settings", options);
  const size_t horizon = static_cast<size_t>(
      discretise_lead_time(settings.lead_time, settings.sku).max_days() + options.review_period_days);
  const DailyQuantiles zero{options.forecast.quantiles,
                            std::vector<double>(horizon * options.forecast.quantiles.size(), 0.0)};
  SamplingOptions one_sample = options.sampling;
  one_sample.samples = 1;
  replenish(settings, zero, {one_sample, {}});
}

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: a stable hash of the series id, so a series' draws do not depend
// on its position in the dataset.
std::uint64_t id_hash(std::string_view id) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : id) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

// Uniform in (0, 1) for the order placed on day `index` of a series.
double order_uniform(std::uint64_t seed, std::uint64_t series_hash, size_t index) {
  const std::uint64_t bits = mix64(mix64(seed ^ series_hash) ^ static_cast<std::uint64_t>(index));
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

double round_up_to_pack(double quantity, const SimulationOptions& options) {
  bool capped = false;
  return round_order_quantity(quantity, 0.0, 0.0, options.pack_size, options.max_stock, capped);
}

void finish_ratios(PolicyOutcome& outcome) {
  outcome.fill_rate = outcome.demand > 0.0 ? outcome.served / outcome.demand : 1.0;
  outcome.cycle_service_level =
      outcome.cycles > 0
          ? static_cast<double>(outcome.cycles_without_stockout) / static_cast<double>(outcome.cycles)
          : 1.0;
  outcome.total_cost = outcome.holding_cost + outcome.shortage_cost + outcome.order_cost;
}

std::string policy_description(const SimulationOptions& options, double target) {
  const std::string service = options.service_measure == ServiceMeasure::CycleServiceLevel
                                  ? fmt::format("cycle service level {}", target)
                                  : fmt::format("fill rate {}", target);
  const std::string lead_time =
      options.lead_time_sd > 0.0
          ? fmt::format("lead time per order drawn from Normal({}, {}) in whole days >= 1, "
                        "decisions mixed over it",
                        options.lead_time_days, options.lead_time_sd)
          : fmt::format("fixed lead time {} days", options.lead_time_days);
  return fmt::format(
      "last {} days of each series replayed; review every {} days, order up to S from the "
      "forecast made with {} before the review ({}); {}; {}; moq {}, "
      "pack {}, max stock {}; start on hand = first S rounded up to a pack; {} replenishment "
      "samples, seed {}",
      options.test_days, options.review_period_days,
      options.history_days > 0 ? fmt::format("the {} days", options.history_days) : "all days",
      service, lead_time,
      options.regime == StockoutRegime::LostSales ? "lost sales" : "backorders", options.moq,
      options.pack_size, options.max_stock, options.sampling.samples, options.sampling.seed);
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json outcome_json(const PolicyOutcome& o) {
  nlohmann::ordered_json j;
  j["fill_rate"] = number_or_null(o.fill_rate);
  j["cycle_service_level"] = number_or_null(o.cycle_service_level);
  j["stockout_days"] = o.stockout_days;
  j["avg_inventory"] = number_or_null(o.avg_inventory);
  j["orders"] = o.orders;
  j["holding_cost"] = number_or_null(o.holding_cost);
  j["shortage_cost"] = number_or_null(o.shortage_cost);
  j["order_cost"] = number_or_null(o.order_cost);
  j["total_cost"] = number_or_null(o.total_cost);
  j["demand"] = number_or_null(o.demand);
  j["served"] = number_or_null(o.served);
  j["short_units"] = number_or_null(o.short_units);
  j["ordered_units"] = number_or_null(o.ordered_units);
  j["cycles"] = o.cycles;
  j["cycles_without_stockout"] = o.cycles_without_stockout;
  j["ending_backorders"] = number_or_null(o.ending_backorders);
  return j;
}

// What one method needs to forecast: the forecaster and its settings (the
// quantile levels of its forecasts included).
struct PreparedMethod {
  const Forecaster* forecaster = nullptr;
  ForecastOptions forecast;
};

PreparedMethod prepare_method(const Forecaster& forecaster, std::span<const double> levels,
                              const SimulationOptions& options) {
  PreparedMethod prepared{&forecaster, options.forecast};
  if (!levels.empty()) prepared.forecast.quantiles.assign(levels.begin(), levels.end());
  return prepared;
}

// A record whose known-future covariates end before its horizon does (the
// last reviews' lead times reach past the data's last day), each carried
// forward from its last value: those days are never scored, but a model that
// reads the covariates needs every day it forecasts.  `storage` holds the
// extended columns; `filled` counts the days carried.
SeriesInput carry_known_forward(const SeriesInput& input, size_t horizon,
                                std::vector<std::vector<double>>& numeric,
                                std::vector<std::vector<int32_t>>& codes, size_t& filled) {
  SeriesInput out = input;
  const size_t needed = input.target.size() + horizon;
  filled = 0;
  numeric.reserve(out.known.size());  // the views below point into these vectors
  codes.reserve(out.known.size());
  for (CovariateView& v : out.known) {
    if (v.size() >= needed) continue;
    filled = std::max(filled, needed - v.size());
    if (v.numeric) {
      std::vector<double>& values = numeric.emplace_back(v.values.begin(), v.values.end());
      values.resize(needed, values.empty() ? std::nan("") : values.back());
      v.values = values;
    } else {
      std::vector<int32_t>& level = codes.emplace_back(v.codes.begin(), v.codes.end());
      level.resize(needed, level.empty() ? -1 : level.back());
      v.codes = level;
    }
  }
  return out;
}

// The forecasts of one series for every review day of the test period,
// made once and replayed under every service target.
struct ReviewForecasts {
  std::vector<DailyQuantiles> daily;  // one per review, in order
  size_t warnings = 0;
  std::string first_warning;
};

ReviewForecasts forecast_reviews(const PreparedMethod& method, std::string_view series_id,
                                 const SeriesInput& input, const SimulationOptions& options,
                                 size_t horizon) {
  const std::span<const double> values = input.target;
  ReviewForecasts out;
  const size_t levels = method.forecast.quantiles.size();
  const size_t first = values.size() - options.test_days;
  const auto review = static_cast<size_t>(options.review_period_days);
  for (size_t k = 0; k < options.test_days; k += review) {
    const size_t t = first + k;
    // Only the days strictly before the decision day t reach the forecaster.
    const size_t history_start =
        options.history_days > 0 && t > options.history_days ? t - options.history_days : 0;
    const SeriesInput record = input.before(t, horizon).from(history_start);
    std::vector<std::vector<double>> numeric;
    std::vector<std::vector<int32_t>> codes;
    size_t filled = 0;
    SeriesForecast forecast = forecast_series(
        *method.forecaster, method.forecast, series_id,
        record.known_days() < horizon ? carry_known_forward(record, horizon, numeric, codes, filled)
                                      : record,
        horizon);
    if (filled > 0) {
      const std::string note = fmt::format(
          "the known-future covariates end {} day(s) before the forecast's last day; carried "
          "forward from their last value there",
          filled);
      forecast.warning = forecast.warning.empty() ? note : forecast.warning + "; " + note;
    }
    if (forecast.quantiles.size() != horizon * levels)
      fail(ErrorCode::Internal, "method '{}' returned {} quantiles for series '{}', expected {}",
           forecast.method, forecast.quantiles.size(), series_id, horizon * levels);
    if (!forecast.warning.empty() && out.warnings++ == 0)
      out.first_warning = fmt::format("day {}: {}", t, forecast.warning);
    out.daily.push_back({method.forecast.quantiles, std::move(forecast.quantiles)});
  }
  return out;
}

// The day-by-day replay of one series under one service target, with the
// forecasts already made.
SeriesSimulation replay_series(std::string_view series_id, std::span<const double> values,
                               const SimulationOptions& options, double target,
                               const ReviewForecasts& forecasts,
                               const LeadTimeDistribution& lead_time) {
  SeriesSimulation result;
  result.series_id = std::string(series_id);
  result.simulated = true;
  result.forecast_warnings = forecasts.warnings;
  result.first_warning = forecasts.first_warning;

  const size_t test_days = options.test_days;
  const size_t review = static_cast<size_t>(options.review_period_days);
  const size_t first = values.size() - test_days;
  const bool backorder = options.regime == StockoutRegime::Backorder;
  const bool uncertain_lead_time = options.lead_time_sd > 0.0;
  const std::uint64_t series_hash = id_hash(series_id);
  const ReplenishOptions replenish_options{options.sampling, {}};
  SkuInventory inventory = inventory_template(series_id, options);
  inventory.service_target = target;

  PolicyOutcome& outcome = result.outcome;
  std::vector<PendingOrder> pending;
  double on_hand = 0.0;
  double backorders = 0.0;
  double on_hand_sum = 0.0;
  bool cycle_had_stockout = false;
  if (options.record_days) result.days.reserve(test_days);

  for (size_t k = 0; k < test_days; ++k) {
    const size_t t = first + k;
    DayRecord day;
    day.index = t;

    // 1. Arrivals, which first pay back what is owed.
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->arrival_index == t) {
        day.arrived += it->quantity;
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    on_hand += day.arrived;
    const double paid_back = std::min(on_hand, backorders);
    on_hand -= paid_back;
    backorders -= paid_back;

    // 2. Review: the forecast made from the days strictly before t, then order.
    if (k % review == 0) {
      if (k > 0) {
        ++outcome.cycles;
        if (!cycle_had_stockout) ++outcome.cycles_without_stockout;
      }
      cycle_had_stockout = false;
      inventory.on_hand = on_hand;
      inventory.backorders = backorders;
      inventory.open_orders.clear();
      for (const PendingOrder& order : pending)
        inventory.open_orders.push_back({order.quantity, static_cast<int>(order.arrival_index - t)});
      const ReplenishDecision decision =
          replenish(inventory, forecasts.daily[k / review], replenish_options);
      day.review = true;
      day.order_up_to = decision.order_up_to;
      if (k == 0) {
        // Start in the steady state: stocked up to S, nothing to order.
        on_hand = round_up_to_pack(decision.order_up_to, options);
        result.initial_on_hand = on_hand;
      } else if (decision.order_quantity > 0.0) {
        const int lead = uncertain_lead_time
                             ? lead_time.days_at(order_uniform(options.sampling.seed, series_hash, t))
                             : options.lead_time_days;
        day.order_quantity = decision.order_quantity;
        day.order_lead_time = lead;
        pending.push_back({t + static_cast<size_t>(lead), decision.order_quantity});
        ++outcome.orders;
        outcome.ordered_units += decision.order_quantity;
      }
    }
    day.on_hand_start = on_hand;

    // 3. Demand.
    day.demand = values[t];
    day.served = std::min(on_hand, day.demand);
    day.short_units = day.demand - day.served;
    on_hand -= day.served;
    if (backorder) backorders += day.short_units;
    outcome.demand += day.demand;
    outcome.served += day.served;
    outcome.short_units += day.short_units;
    if (day.short_units > 0.0) {
      ++outcome.stockout_days;
      cycle_had_stockout = true;
    }

    // 4. End of day.
    day.on_hand_end = on_hand;
    day.backorders_end = backorders;
    on_hand_sum += on_hand;
    if (options.record_days) result.days.push_back(day);
  }
  ++outcome.cycles;
  if (!cycle_had_stockout) ++outcome.cycles_without_stockout;

  outcome.avg_inventory = on_hand_sum / static_cast<double>(test_days);
  outcome.holding_cost = options.costs.holding_per_unit_day * on_hand_sum;
  outcome.shortage_cost = options.costs.shortage_per_unit * outcome.short_units;
  outcome.order_cost = options.costs.fixed_per_order * static_cast<double>(outcome.orders);
  outcome.ending_backorders = backorders;
  finish_ratios(outcome);
  return result;
}

// One series with one method under every target (results in target order).
std::vector<SeriesSimulation> simulate_one(const PreparedMethod& method, std::string_view series_id,
                                           const SeriesInput& input,
                                           const SimulationOptions& options,
                                           std::span<const double> targets,
                                           const LeadTimeDistribution& lead_time) {
  const std::span<const double> values = input.target;
  std::vector<SeriesSimulation> results(targets.size());
  if (values.size() <= options.test_days) {  // no history before the first test day
    for (SeriesSimulation& result : results) result.series_id = std::string(series_id);
    return results;
  }
  const size_t horizon = static_cast<size_t>(lead_time.max_days() + options.review_period_days);
  const ReviewForecasts forecasts = forecast_reviews(method, series_id, input, options, horizon);
  for (size_t i = 0; i < targets.size(); ++i)
    results[i] = replay_series(series_id, values, options, targets[i], forecasts, lead_time);
  return results;
}

LeadTimeDistribution lead_time_distribution(const SimulationOptions& options) {
  return discretise_lead_time(simulated_lead_time(options), "simulation settings");
}

void aggregate(MethodSimulation& method, const SimulationOptions& options) {
  PolicyOutcome& total = method.aggregate;
  for (const SeriesSimulation& series : method.series) {
    if (!series.simulated) {
      method.warnings.push_back(fmt::format(
          "series '{}' skipped: it needs more than the {} test days to have any history",
          series.series_id, options.test_days));
      continue;
    }
    if (series.forecast_warnings > 0)
      method.warnings.push_back(fmt::format("series '{}': {} forecasts with a warning, first: {}",
                                            series.series_id, series.forecast_warnings,
                                            series.first_warning));
    ++method.simulated_series;
    const PolicyOutcome& o = series.outcome;
    total.demand += o.demand;
    total.served += o.served;
    total.short_units += o.short_units;
    total.cycles += o.cycles;
    total.cycles_without_stockout += o.cycles_without_stockout;
    total.stockout_days += o.stockout_days;
    total.avg_inventory += o.avg_inventory;
    total.holding_cost += o.holding_cost;
    total.shortage_cost += o.shortage_cost;
    total.order_cost += o.order_cost;
    total.orders += o.orders;
    total.ordered_units += o.ordered_units;
    total.ending_backorders += o.ending_backorders;
  }
  finish_ratios(total);
}

}  // namespace

SeriesSimulation simulate_series(const Forecaster& method, std::string_view series_id,
                                 std::span<const double> values, const SimulationOptions& options) {
  validate_options(options);
  const double target = options.service_target;
  return simulate_one(prepare_method(method, {}, options), series_id, values, options,
                      std::span<const double>(&target, 1), lead_time_distribution(options))
      .front();
}

std::vector<SimulationReport> simulate_methods(const Dataset& dataset,
                                               std::span<const SimulationMethod> methods,
                                               const SimulationOptions& options,
                                               std::span<const double> service_targets) {
  if (methods.empty()) fail(ErrorCode::InvalidArgument, "simulate: no method given");
  std::vector<double> targets(service_targets.begin(), service_targets.end());
  if (targets.empty()) targets.push_back(options.service_target);
  for (const double target : targets) {
    SimulationOptions checked = options;
    checked.service_target = target;
    validate_options(checked);
  }
  std::vector<PreparedMethod> prepared;
  for (const SimulationMethod& method : methods) {
    if (method.forecaster == nullptr)
      fail(ErrorCode::InvalidArgument, "simulate: method '{}' has no forecaster", method.name);
    prepared.push_back(prepare_method(*method.forecaster, method.quantile_levels, options));
  }
  const LeadTimeDistribution lead_time = lead_time_distribution(options);

  std::vector<SimulationReport> reports(targets.size());
  const size_t series_count = dataset.series.size();
  for (size_t i = 0; i < targets.size(); ++i) {
    SimulationReport& report = reports[i];
    report.test_days = options.test_days;
    report.review_period_days = options.review_period_days;
    report.lead_time_days = options.lead_time_days;
    report.lead_time_sd = options.lead_time_sd;
    report.service_measure = options.service_measure;
    report.service_target = targets[i];
    report.policy = policy_description(options, targets[i]);
    report.methods.resize(methods.size());
    for (size_t m = 0; m < methods.size(); ++m) {
      report.methods[m].method = methods[m].name;
      report.methods[m].series.resize(series_count);
    }
  }
  const SeriesInputs inputs(dataset);
  // (method, series) pairs balance better than series alone when one method
  // is much slower than the others.
  parallel_for(methods.size() * series_count, options.forecast.threads, options.progress,
               "simulate", [&](size_t item) {
                 const size_t m = item / series_count;
                 const size_t s = item % series_count;
                 const Series& series = dataset.series[s];
                 std::vector<SeriesSimulation> results =
                     simulate_one(prepared[m], series.id, inputs.latest(s), options, targets,
                                  lead_time);
                 for (size_t i = 0; i < targets.size(); ++i)
                   reports[i].methods[m].series[s] = std::move(results[i]);
               });
  for (SimulationReport& report : reports)
    for (MethodSimulation& method : report.methods) aggregate(method, options);
  return reports;
}

SimulationReport simulate_forecasters(const Dataset& dataset,
                                      std::span<const Forecaster* const> methods,
                                      const SimulationOptions& options) {
  std::vector<SimulationMethod> named;
  for (const Forecaster* method : methods)
    named.push_back({method, method != nullptr ? std::string(method->name()) : std::string(), {}});
  return std::move(simulate_methods(dataset, named, options, {}).front());
}

SimulationReport simulate_policy(const Dataset& dataset, const std::vector<std::string>& methods,
                                 const SimulationOptions& options) {
  if (methods.empty()) fail(ErrorCode::InvalidArgument, "simulate: no method given");
  // Unknown names fail here, before any work; reported under the names asked
  // for (a factory may name itself differently).
  std::vector<std::unique_ptr<Forecaster>> owned;
  std::vector<SimulationMethod> named;
  for (const std::string& name : methods) {
    owned.push_back(make_forecaster(name, options.forecast));
    named.push_back({owned.back().get(), name, {}});
  }
  return std::move(simulate_methods(dataset, named, options, {}).front());
}

std::string SimulationReport::to_json(bool per_series) const {
  using Json = nlohmann::ordered_json;
  Json root;
  root["test_days"] = test_days;
  root["review_period"] = review_period_days;
  root["lead_time"] = lead_time_days;
  root["lead_time_sd"] = lead_time_sd;
  root["service_measure"] =
      service_measure == ServiceMeasure::FillRate ? "fill_rate" : "service_level";
  root["service_target"] = service_target;
  root["policy"] = policy;
  Json list = Json::array();
  for (const MethodSimulation& method : methods) {
    Json entry;
    entry["method"] = method.method;
    entry["series"] = method.simulated_series;
    entry.update(outcome_json(method.aggregate));
    entry["warnings"] = method.warnings;
    if (per_series) {
      Json rows = Json::array();
      for (const SeriesSimulation& series : method.series) {
        if (!series.simulated) continue;
        Json row;
        row["series_id"] = series.series_id;
        row["initial_on_hand"] = number_or_null(series.initial_on_hand);
        row.update(outcome_json(series.outcome));
        rows.push_back(std::move(row));
      }
      entry["per_series"] = std::move(rows);
    }
    list.push_back(std::move(entry));
  }
  root["methods"] = std::move(list);
  // Series ids come from user files: replace invalid UTF-8 rather than fail.
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string SimulationReport::to_table() const {
  std::string out = fmt::format("{:<12} {:>7} {:>9} {:>9} {:>13} {:>13} {:>8} {:>12} {:>12}\n",
                                "method", "series", "fill_rate", "cycle_sl", "stockout_days",
                                "avg_inventory", "orders", "holding", "shortage");
  for (const MethodSimulation& method : methods) {
    const PolicyOutcome& o = method.aggregate;
    out += fmt::format("{:<12} {:>7} {:>9.4f} {:>9.4f} {:>13} {:>13.2f} {:>8} {:>12.2f} {:>12.2f}\n",
                       method.method, method.simulated_series, o.fill_rate, o.cycle_service_level,
                       o.stockout_days, o.avg_inventory, o.orders, o.holding_cost, o.shortage_cost);
  }
  return out;
}

std::string reports_to_json(std::span<const SimulationReport> reports) {
  if (reports.size() == 1) return reports.front().to_json(false);
  std::string json = "[";
  for (size_t i = 0; i < reports.size(); ++i) json += (i == 0 ? "" : ",") + reports[i].to_json(false);
  return json + "]";
}

}  // namespace invforecast
