// invf_inventory (SKU states and open orders), invf_replenish (order-up-to
// decisions) and invf_newsvendor (one-shot buys): order decisions from a
// forecast through lib/inventory/replenish.hpp.  This file only translates
// inputs and outputs; the engine checks every value and names the SKU.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "boundary.hpp"
#include "core/date.hpp"
#include "core/parallel.hpp"
#include "handles.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "io/csv_file.hpp"
#include "inventory/replenish.hpp"

namespace invforecast::capi {

// An open order whose arrival is a calendar date: turned into days from now
// against the SKU's forecast (its day 1 is today) when decisions are made.
struct DatedOpenOrder {
  double quantity = 0.0;
  Day arrival = 0;
  std::string where;  // file:line, for messages
};

// One SKU: the engine's state plus what the C ABI resolves per call.
struct SkuState {
  SkuInventory inventory;
  bool own_target = false;     // a service_level or fill_rate field overrides the options
  double overage_cost = 0.0;   // newsvendor: per unit left over
  std::vector<DatedOpenOrder> dated_orders;
};

}  // namespace invforecast::capi

struct invf_inventory {
  std::vector<invforecast::capi::SkuState> skus;
  bool from_file = false;
};

struct invf_replenishment {
  bool newsvendor = false;  // which of the two decision lists is filled
  std::vector<invforecast::ReplenishDecision> decisions;
  std::vector<invforecast::NewsvendorDecision> buys;
  std::vector<double> on_hand;   // of each SKU, as given
  std::vector<double> pipeline;  // newsvendor: open orders counted as stock
};

namespace invforecast::capi {
namespace {

// The fields of one SKU state, by the names used in the state CSV and by
// invf_inventory_add_sku.  Required fields have no default.
struct StateField {
  const char* name;
  bool required;
};
constexpr StateField kStateFields[] = {
    {"on_hand", true},        {"lead_time_mean", true}, {"lead_time_sd", false},
    {"review_period", false}, {"moq", false},           {"pack_size", false},
    {"max_stock", false},     {"on_order", false},      {"backorders", false},
    {"holding_cost", false},  {"shortage_cost", false}, {"order_cost", false},
    {"service_level", false}, {"fill_rate", false},     {"overage_cost", false},
};
// A state-CSV column holding a list, not a number: past lead times in whole
// days separated by ';'.  It replaces lead_time_mean and lead_time_sd.
constexpr const char* kLeadTimeSamples = "lead_time_samples";

std::string known_state_fields() {
  std::string names = "sku";
  for (const StateField& field : kStateFields) names += std::string(", ") + field.name;
  return names;
}

bool is_state_field(std::string_view name) {
  for (const StateField& field : kStateFields)
    if (name == field.name) return true;
  return false;
}

// Builds a SKU from named values; `where` prefixes messages (file:line or
// the SKU).  Missing optional fields take their defaults.  With
// `lead_time_samples`, the lead time is their empirical distribution.
SkuState make_sku(std::string sku, const std::unordered_map<std::string, double>& values,
                  const std::string& where, std::vector<int> lead_time_samples = {}) {
  const bool empirical = !lead_time_samples.empty();
  for (const StateField& field : kStateFields)
    if (field.required && values.count(field.name) == 0 &&
        !(empirical && std::string_view(field.name) == "lead_time_mean"))
      fail(ErrorCode::InvalidArgument, "{}: SKU '{}': required field '{}' is missing", where, sku,
           field.name);
  if (empirical && (values.count("lead_time_mean") != 0 || values.count("lead_time_sd") != 0))
    fail(ErrorCode::InvalidArgument,
         "{}: SKU '{}': give lead_time_samples or lead_time_mean/lead_time_sd, not both", where, sku);
  if (values.count("service_level") != 0 && values.count("fill_rate") != 0)
    fail(ErrorCode::InvalidArgument, "{}: SKU '{}': give service_level or fill_rate, not both",
         where, sku);
  auto value_or = [&](const char* name, double fallback) {
    const auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  };
  SkuState state;
  SkuInventory& s = state.inventory;
  s.sku = std::move(sku);
  s.on_hand = values.at("on_hand");
  s.lead_time = empirical ? LeadTime::empirical(std::move(lead_time_samples))
                          : LeadTime::normal(values.at("lead_time_mean"), value_or("lead_time_sd", 0.0));
  const double review = value_or("review_period", 1.0);
  if (!(review >= 1.0 && review <= 3660.0 && review == std::floor(review)))
    fail(ErrorCode::InvalidArgument, "{}: SKU '{}': review_period must be a whole number of days >= 1, got {}",
         where, s.sku, review);
  s.review_period_days = static_cast<int>(review);
  s.moq = value_or("moq", 0.0);
  s.pack_size = value_or("pack_size", 1.0);
  s.max_stock = value_or("max_stock", std::numeric_limits<double>::infinity());
  // A single open-order quantity, assumed to arrive today (arrival day 0),
  // so it counts fully towards the inventory position.
  const double on_order = value_or("on_order", 0.0);
  if (on_order != 0.0) s.open_orders.push_back({on_order, 0});
  s.backorders = value_or("backorders", 0.0);
  s.costs.holding_per_unit_day = value_or("holding_cost", 0.0);
  s.costs.shortage_per_unit = value_or("shortage_cost", 0.0);
  s.costs.fixed_per_order = value_or("order_cost", 0.0);
  // The engine checks the range of a target; the fields only pick the measure.
  if (values.count("fill_rate") != 0) {
    s.service_measure = ServiceMeasure::FillRate;
    s.service_target = values.at("fill_rate");
    state.own_target = true;
  } else if (values.count("service_level") != 0) {
    s.service_target = values.at("service_level");
    state.own_target = true;
  }
  state.overage_cost = value_or("overage_cost", 0.0);
  return state;
}

// "3;4;4;5" -> {3, 4, 4, 5}: whole days >= 1, Error(Parse/InvalidArgument)
// naming the file and line otherwise.
std::vector<int> parse_lead_time_samples(const io::CsvFile& csv, const std::string& text,
                                             const std::string& where) {
  std::vector<int> days;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(';', start);
    const std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    const double value = csv.number(part, kLeadTimeSamples);
    if (!(value >= 1.0 && value <= 3660.0 && value == std::floor(value)))
      fail(ErrorCode::InvalidArgument,
           "{}: column '{}': lead time {} is not a whole number of days in [1, 3660]", where,
           kLeadTimeSamples, part);
    days.push_back(static_cast<int>(value));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return days;
}

SkuState* find_sku(invf_inventory& inventory, std::string_view sku) {
  for (SkuState& state : inventory.skus)
    if (state.inventory.sku == sku) return &state;
  return nullptr;
}

void add_unique(invf_inventory& inventory, SkuState state, const std::string& where) {
  if (find_sku(inventory, state.inventory.sku) != nullptr)
    fail(ErrorCode::Data, "{}: SKU '{}' is given twice", where, state.inventory.sku);
  inventory.skus.push_back(std::move(state));
}

std::unique_ptr<invf_inventory> load_inventory_csv(const char* path) {
  io::CsvFile csv(path, "inventory state CSV");
  std::vector<std::string> header;
  if (!csv.next(header)) fail(ErrorCode::Data, "{}: the file is empty", path);
  size_t sku_column = header.size();
  size_t samples_column = header.size();
  std::unordered_set<std::string> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!seen.insert(header[c]).second)
      fail(ErrorCode::Parse, "{}:1: column '{}' appears twice", path, header[c]);
    if (header[c] == "sku") {
      sku_column = c;
    } else if (header[c] == kLeadTimeSamples) {
      samples_column = c;
    } else if (!is_state_field(header[c])) {
      fail(ErrorCode::Parse, "{}:1: unknown column '{}' (known: {}, {})", path, header[c],
           known_state_fields(), kLeadTimeSamples);
    }
  }
  if (sku_column == header.size()) fail(ErrorCode::Parse, "{}:1: no 'sku' column", path);
  for (const StateField& field : kStateFields)
    if (field.required && seen.count(field.name) == 0 &&
        !(std::string_view(field.name) == "lead_time_mean" && samples_column < header.size()))
      fail(ErrorCode::Parse, "{}:1: required column '{}' is missing", path, field.name);

  auto inventory = std::make_unique<invf_inventory>();
  inventory->from_file = true;
  std::vector<std::string> fields;
  while (csv.next(fields)) {
    const std::string where = fmt::format("{}:{}", path, csv.line());
    if (fields.size() != header.size())
      fail(ErrorCode::Parse, "{}: {} fields, expected {}", where, fields.size(), header.size());
    if (fields[sku_column].empty()) fail(ErrorCode::Data, "{}: empty sku", where);
    std::unordered_map<std::string, double> values;
    std::vector<int> lead_time_samples;
    for (size_t c = 0; c < header.size(); ++c) {
      if (c == sku_column || fields[c].empty()) continue;
      if (c == samples_column)
        lead_time_samples = parse_lead_time_samples(csv, fields[c], where);
      else
        values[header[c]] = csv.number(fields[c], header[c]);
    }
    add_unique(*inventory,
               make_sku(fields[sku_column], values, where, std::move(lead_time_samples)), where);
  }
  if (inventory->skus.empty()) fail(ErrorCode::Data, "{}: no SKU rows after the header", path);
  return inventory;
}

// An open order's arrival: exactly one of a day offset or a date.
struct Arrival {
  std::optional<double> day;
  std::optional<Day> date;
};

void add_open_order(invf_inventory& inventory, std::string_view sku, double quantity,
                    const Arrival& arrival, const std::string& where) {
  SkuState* state = find_sku(inventory, sku);
  if (state == nullptr)
    fail(ErrorCode::Data, "{}: open order for SKU '{}', which the inventory does not hold", where, sku);
  if (!std::isfinite(quantity) || quantity < 0.0)
    fail(ErrorCode::InvalidArgument, "{}: SKU '{}': open order quantity must be a finite number >= 0, got {}",
         where, sku, quantity);
  if (arrival.date) {
    state->dated_orders.push_back({quantity, *arrival.date, where});
    return;
  }
  const double day = *arrival.day;
  if (!(day >= 0.0 && day <= 3660.0 && day == std::floor(day)))
    fail(ErrorCode::InvalidArgument,
         "{}: SKU '{}': open order arrival_day must be a whole number of days in [0, 3660], got {}",
         where, sku, day);
  state->inventory.open_orders.push_back({quantity, static_cast<int>(day)});
}

// sku,quantity and arrival_day or arrival_date (one of them per file).
void load_open_orders_csv(invf_inventory& inventory, const char* path) {
  io::CsvFile csv(path, "open orders CSV");
  std::vector<std::string> header;
  if (!csv.next(header)) fail(ErrorCode::Data, "{}: the file is empty", path);
  constexpr size_t absent = std::numeric_limits<size_t>::max();
  size_t sku_column = absent, quantity_column = absent, day_column = absent, date_column = absent;
  for (size_t c = 0; c < header.size(); ++c) {
    size_t* column = nullptr;
    if (header[c] == "sku") column = &sku_column;
    else if (header[c] == "quantity") column = &quantity_column;
    else if (header[c] == "arrival_day") column = &day_column;
    else if (header[c] == "arrival_date") column = &date_column;
    else
      fail(ErrorCode::Parse,
           "{}:1: unknown column '{}' (known: sku, quantity, arrival_day, arrival_date)", path,
           header[c]);
    if (*column != absent) fail(ErrorCode::Parse, "{}:1: column '{}' appears twice", path, header[c]);
    *column = c;
  }
  if (sku_column == absent || quantity_column == absent)
    fail(ErrorCode::Parse, "{}:1: the columns sku and quantity are required", path);
  if ((day_column == absent) == (date_column == absent))
    fail(ErrorCode::Parse, "{}:1: give exactly one of the columns arrival_day and arrival_date", path);

  // Added to a copy, so a failing file adds nothing.
  invf_inventory updated;
  updated.skus = inventory.skus;
  std::vector<std::string> fields;
  while (csv.next(fields)) {
    const std::string where = fmt::format("{}:{}", path, csv.line());
    if (fields.size() != header.size())
      fail(ErrorCode::Parse, "{}: {} fields, expected {}", where, fields.size(), header.size());
    Arrival arrival;
    if (day_column != absent) {
      arrival.day = csv.number(fields[day_column], "arrival_day");
    } else {
      arrival.date = parse_iso_date(fields[date_column]);
      if (!arrival.date)
        fail(ErrorCode::Parse, "{}: column 'arrival_date': '{}' is not a date YYYY-MM-DD", where,
             fields[date_column]);
    }
    add_open_order(updated, fields[sku_column], csv.number(fields[quantity_column], "quantity"),
                   arrival, where);
  }
  inventory.skus = std::move(updated.skus);
}

SamplingOptions sampling_options(const InventoryOptions& options) {
  SamplingOptions sampling;
  if (options.samples) sampling.samples = *options.samples;
  if (options.seed) sampling.seed = *options.seed;
  sampling.dependence = parse_dependence(options.dependence);
  if (options.copula_rho) sampling.copula_rho = *options.copula_rho;
  return sampling;
}

// The forecast series of each SKU, by id; Error(Data) naming the SKUs that
// have none.
std::vector<size_t> match_series(const invf_forecast& forecast, const invf_inventory& inventory) {
  if (inventory.skus.empty()) fail(ErrorCode::Data, "the inventory holds no SKU");
  std::unordered_map<std::string_view, size_t> series_of_id;
  for (size_t s = 0; s < forecast.series_ids.size(); ++s) series_of_id.emplace(forecast.series_ids[s], s);

  std::vector<size_t> series_of_sku;
  std::vector<std::string_view> missing;
  for (const SkuState& state : inventory.skus) {
    const auto it = series_of_id.find(state.inventory.sku);
    if (it == series_of_id.end()) {
      missing.push_back(state.inventory.sku);
      series_of_sku.push_back(0);
    } else {
      series_of_sku.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    std::string names;
    for (size_t i = 0; i < missing.size() && i < 10; ++i)
      names += fmt::format("{}'{}'", i == 0 ? "" : ", ", missing[i]);
    if (missing.size() > 10) names += fmt::format(" and {} more", missing.size() - 10);
    fail(ErrorCode::Data, "{} SKU(s) of the inventory have no forecast series: {}", missing.size(),
         names);
  }
  return series_of_sku;
}

// The SKU's state with dated open orders turned into days from the
// forecast's day 1 (today).
SkuInventory resolved_state(const SkuState& state, Day forecast_start) {
  SkuInventory sku = state.inventory;
  for (const DatedOpenOrder& order : state.dated_orders) {
    if (order.arrival < forecast_start)
      fail(ErrorCode::Data,
           "{}: SKU '{}': open order arrives on {}, before the forecast's first day {} (give an "
           "overdue order its expected arrival date)",
           order.where, sku.sku, format_iso_date(order.arrival), format_iso_date(forecast_start));
    const Day offset = order.arrival - forecast_start;
    if (offset > 3660)
      fail(ErrorCode::InvalidArgument, "{}: SKU '{}': open order arrives {} days after today, over 3660",
           order.where, sku.sku, offset);
    sku.open_orders.push_back({order.quantity, static_cast<int>(offset)});
  }
  return sku;
}

std::unique_ptr<invf_replenishment> run_replenish(const invf_forecast& forecast,
                                                  const invf_inventory& inventory,
                                                  const Options& options) {
  const std::vector<size_t> series_of_sku = match_series(forecast, inventory);
  const InventoryOptions& settings = options.inventory;
  if (settings.service_targets.size() > 1)
    fail(ErrorCode::InvalidArgument,
         "replenish takes one service target, got {} (a list is for invf_simulate)",
         settings.service_targets.size());
  ReplenishOptions engine_options;
  engine_options.sampling = sampling_options(settings);
  auto result = std::make_unique<invf_replenishment>();
  const size_t count = inventory.skus.size();
  result->decisions.resize(count);
  parallel_for(count, options.forecast.threads, options.progress, "replenish", [&](size_t i) {
    const SkuState& state = inventory.skus[i];
    const size_t series = series_of_sku[i];
    SkuInventory sku = resolved_state(state, forecast.start_days[series]);
    // A SKU's own target wins over the options' one.
    if (!state.own_target) {
      if (settings.fill_rate_target) sku.service_measure = ServiceMeasure::FillRate;
      if (settings.service_target) sku.service_target = *settings.service_target;
    }
    sku.regime = settings.backorder ? StockoutRegime::Backorder : StockoutRegime::LostSales;
    const DailyQuantiles daily{forecast.levels, forecast.series[series].quantiles};
    result->decisions[i] = replenish(sku, daily, engine_options);
  });
  for (const SkuState& state : inventory.skus) result->on_hand.push_back(state.inventory.on_hand);
  return result;
}

// Newsvendor: the buy placed now arrives after the (fixed) lead time L and
// sells over the review period R, days L+1..L+R of the forecast; stock =
// on hand + open orders arriving before the end of that period.
std::unique_ptr<invf_replenishment> run_newsvendor(const invf_forecast& forecast,
                                                   const invf_inventory& inventory,
                                                   const Options& options) {
  const std::vector<size_t> series_of_sku = match_series(forecast, inventory);
  ReplenishOptions engine_options;
  engine_options.sampling = sampling_options(options.inventory);
  auto result = std::make_unique<invf_replenishment>();
  result->newsvendor = true;
  const size_t count = inventory.skus.size();
  result->buys.resize(count);
  result->pipeline.resize(count);
  parallel_for(count, options.forecast.threads, options.progress, "newsvendor", [&](size_t i) {
    const SkuState& state = inventory.skus[i];
    const size_t series = series_of_sku[i];
    const SkuInventory sku = resolved_state(state, forecast.start_days[series]);
    const LeadTimeDistribution lead_time = discretise_lead_time(sku.lead_time, sku.sku);
    if (lead_time.min_days != lead_time.max_days())
      fail(ErrorCode::InvalidArgument,
           "SKU '{}': newsvendor needs a fixed lead time (lead_time_sd 0, no lead_time_samples)",
           sku.sku);
    if (!(sku.costs.shortage_per_unit > 0.0))
      fail(ErrorCode::InvalidArgument,
           "SKU '{}': newsvendor needs shortage_cost > 0 (the cost of a unit of demand not met), "
           "got {}",
           sku.sku, sku.costs.shortage_per_unit);
    if (!(std::isfinite(state.overage_cost) && state.overage_cost > 0.0))
      fail(ErrorCode::InvalidArgument,
           "SKU '{}': newsvendor needs overage_cost > 0 (the cost of a unit left over), got {}",
           sku.sku, state.overage_cost);
    if (sku.backorders != 0.0)
      fail(ErrorCode::InvalidArgument, "SKU '{}': backorders do not apply to a newsvendor buy, got {}",
           sku.sku, sku.backorders);
    const int period_end = lead_time.min_days + sku.review_period_days;
    double pipeline = 0.0;
    for (const OpenOrder& order : sku.open_orders) {
      if (!(std::isfinite(order.quantity) && order.quantity >= 0.0) || order.arrival_day < 0)
        fail(ErrorCode::InvalidArgument, "SKU '{}': bad open order ({} units on day {})", sku.sku,
             order.quantity, order.arrival_day);
      if (order.arrival_day < period_end) pipeline += order.quantity;
    }
    NewsvendorInput input;
    input.sku = sku.sku;
    input.on_hand = sku.on_hand + pipeline;
    input.first_day = static_cast<size_t>(lead_time.min_days) + 1;
    input.period_days = static_cast<size_t>(sku.review_period_days);
    input.underage_cost = sku.costs.shortage_per_unit;
    input.overage_cost = state.overage_cost;
    input.moq = sku.moq;
    input.pack_size = sku.pack_size;
    input.max_stock = sku.max_stock;
    const DailyQuantiles daily{forecast.levels, forecast.series[series].quantiles};
    result->buys[i] = newsvendor(input, daily, engine_options);
    result->pipeline[i] = pipeline;
  });
  for (const SkuState& state : inventory.skus) result->on_hand.push_back(state.inventory.on_hand);
  return result;
}

// Named numbers of an order-up-to decision (invf_replenishment_value).
std::optional<double> decision_value(const invf_replenishment& r, size_t i, std::string_view key) {
  const ReplenishDecision& d = r.decisions[i];
  if (key == "on_hand") return r.on_hand[i];
  if (key == "demand_mean") return d.protection_demand.mean;
  if (key == "demand_sd") return d.protection_demand.sd;
  if (key == "lead_time_demand_mean") return d.lead_time_demand.mean;
  if (key == "lead_time_demand_sd") return d.lead_time_demand.sd;
  if (key == "review_demand_mean") return d.review_demand_mean;
  if (key == "lead_time_mean") return d.lead_time_mean;
  if (key == "lead_time_sd") return d.lead_time_sd;
  if (key == "protection_days") return d.longest_protection_days;
  if (key == "safety_stock") return d.safety_stock;
  if (key == "reorder_point") return d.reorder_point;
  if (key == "order_up_to") return d.order_up_to;
  if (key == "cycle_safety_stock") return d.cycle_safety_stock;
  if (key == "pipeline") return d.pipeline_counted;
  if (key == "pipeline_later") return d.pipeline_later;
  if (key == "inventory_position") return d.inventory_position;
  if (key == "unrounded_order") return d.unrounded_order;
  if (key == "order_quantity") return d.order_quantity;
  if (key == "capped_by_max_stock") return d.capped_by_max_stock ? 1.0 : 0.0;
  if (key == "expected_fill_rate") return d.expected_fill_rate;
  if (key == "stockout_probability") return d.stockout_probability;
  if (key == "expected_shortage") return d.expected_shortage;
  if (key == "expected_ending_stock") return d.expected_ending_stock;
  if (key == "expected_cycle_cost") return d.expected_cycle_cost;
  if (key == "mean_daily_demand") return d.mean_daily_demand;
  if (key == "days_of_cover") return d.days_of_cover;
  return std::nullopt;
}

// Named numbers of a newsvendor buy (invf_replenishment_value).
std::optional<double> buy_value(const invf_replenishment& r, size_t i, std::string_view key) {
  const NewsvendorDecision& d = r.buys[i];
  if (key == "on_hand") return r.on_hand[i];
  if (key == "pipeline") return r.pipeline[i];
  if (key == "demand_mean") return d.demand.mean;
  if (key == "demand_sd") return d.demand.sd;
  if (key == "critical_ratio") return d.critical_ratio;
  if (key == "target_stock") return d.target_stock;
  if (key == "unrounded_order") return d.unrounded_order;
  if (key == "order_quantity") return d.order_quantity;
  if (key == "capped_by_max_stock") return d.capped_by_max_stock ? 1.0 : 0.0;
  if (key == "stockout_probability") return d.stockout_probability;
  if (key == "expected_sales") return d.expected_sales;
  if (key == "expected_leftover") return d.expected_leftover;
  if (key == "expected_lost_sales") return d.expected_lost_sales;
  return std::nullopt;
}

std::optional<double> result_value(const invf_replenishment& r, size_t i, std::string_view key) {
  return r.newsvendor ? buy_value(r, i, key) : decision_value(r, i, key);
}

constexpr const char* kCsvColumns[] = {
    "on_hand",       "demand_mean",    "demand_sd",          "safety_stock",
    "reorder_point", "order_up_to",    "order_quantity",     "expected_fill_rate",
    "stockout_probability", "days_of_cover"};
constexpr const char* kNewsvendorCsvColumns[] = {
    "on_hand",        "pipeline",          "demand_mean",       "demand_sd",
    "critical_ratio", "target_stock",      "order_quantity",    "stockout_probability",
    "expected_sales", "expected_leftover", "expected_lost_sales"};

size_t result_count(const invf_replenishment& r) {
  return r.newsvendor ? r.buys.size() : r.decisions.size();
}

const std::string& result_sku(const invf_replenishment& r, size_t i) {
  return r.newsvendor ? r.buys[i].sku : r.decisions[i].sku;
}

void write_replenishment_csv(const invf_replenishment& r, const char* path) {
  const std::span<const char* const> columns =
      r.newsvendor ? std::span<const char* const>(kNewsvendorCsvColumns)
                   : std::span<const char* const>(kCsvColumns);
  std::string text = "sku";
  for (const char* column : columns) text += std::string(",") + column;
  text += '\n';
  for (size_t i = 0; i < result_count(r); ++i) {
    text += csv::quoted(result_sku(r, i));
    for (const char* column : columns)
      text += fmt::format(",{}", *result_value(r, i, column));  // shortest round trip
    text += '\n';
  }
  io::write_file_atomically(path, text, "replenishment CSV");
}

const invf_replenishment& replenishment_ref(const invf_replenishment* r) {
  require(r, "replenishment");
  return *r;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_inventory_create(invf_inventory** out) {
  return guarded([&] {
    require(out, "out");
    *out = new invf_inventory{};
  });
}

invf_status* invf_inventory_load_csv(const char* path, invf_inventory** out) {
  return guarded([&] {
    require(path, "path");
    require(out, "out");
    *out = load_inventory_csv(path).release();
  });
}

void invf_inventory_release(invf_inventory* inventory) { delete inventory; }

invf_status* invf_inventory_add_sku(invf_inventory* inventory, const char* sku,
                                    const char* const* keys, const double* values, size_t count) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    if (count > 0) {
      require(keys, "keys");
      require(values, "values");
    }
    if (inventory->from_file)
      fail(ErrorCode::InvalidArgument, "an inventory loaded from a file accepts no adds");
    if (*sku == '\0') fail(ErrorCode::InvalidArgument, "empty sku");
    std::unordered_map<std::string, double> named;
    for (size_t i = 0; i < count; ++i) {
      require(keys[i], "keys[i]");
      if (!is_state_field(keys[i]))
        fail(ErrorCode::InvalidArgument, "SKU '{}': unknown field '{}' (known: {})", sku, keys[i],
             known_state_fields());
      if (!std::isfinite(values[i]))
        fail(ErrorCode::InvalidArgument, "SKU '{}': field '{}' is not finite", sku, keys[i]);
      if (!named.emplace(keys[i], values[i]).second)
        fail(ErrorCode::InvalidArgument, "SKU '{}': field '{}' is given twice", sku, keys[i]);
    }
    const std::string where = "invf_inventory_add_sku";
    add_unique(*inventory, make_sku(sku, named, where), where);
  });
}

invf_status* invf_inventory_set_lead_time_samples(invf_inventory* inventory, const char* sku,
                                                  const int* days, size_t count) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    if (count == 0) fail(ErrorCode::InvalidArgument, "SKU '{}': count is 0: give a lead time", sku);
    require(days, "days");
    SkuState* state = find_sku(*inventory, sku);
    if (state == nullptr) fail(ErrorCode::Data, "SKU '{}' is not in the inventory", sku);
    LeadTime lead_time = LeadTime::empirical(std::vector<int>(days, days + count));
    discretise_lead_time(lead_time, sku);  // each >= 1, checked now
    state->inventory.lead_time = std::move(lead_time);
  });
}

invf_status* invf_inventory_add_open_order(invf_inventory* inventory, const char* sku,
                                           double quantity, int arrival_day) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    add_open_order(*inventory, sku, quantity, Arrival{static_cast<double>(arrival_day), {}},
                   "invf_inventory_add_open_order");
  });
}

invf_status* invf_inventory_load_open_orders_csv(invf_inventory* inventory, const char* path) {
  return guarded([&] {
    require(inventory, "inventory");
    require(path, "path");
    load_open_orders_csv(*inventory, path);
  });
}

invf_status* invf_inventory_sku_count(const invf_inventory* inventory, size_t* out) {
  return guarded([&] {
    require(inventory, "inventory");
    require(out, "out");
    *out = inventory->skus.size();
  });
}

invf_status* invf_inventory_sku_id(const invf_inventory* inventory, size_t sku, const char** out) {
  return guarded([&] {
    require(inventory, "inventory");
    require(out, "out");
    require_index(sku, inventory->skus.size(), "SKU");
    *out = inventory->skus[sku].inventory.sku.c_str();
  });
}

invf_status* invf_replenish(const invf_forecast* forecast, const invf_inventory* inventory,
                            const invf_options* options, invf_replenishment** out) {
  return guarded([&] {
    require(forecast, "forecast");
    require(inventory, "inventory");
    require(out, "out");
    *out = run_replenish(*forecast, *inventory, options_or_defaults(options)).release();
  });
}

invf_status* invf_newsvendor(const invf_forecast* forecast, const invf_inventory* inventory,
                             const invf_options* options, invf_replenishment** out) {
  return guarded([&] {
    require(forecast, "forecast");
    require(inventory, "inventory");
    require(out, "out");
    *out = run_newsvendor(*forecast, *inventory, options_or_defaults(options)).release();
  });
}

void invf_replenishment_release(invf_replenishment* replenishment) { delete replenishment; }

invf_status* invf_replenishment_sku_count(const invf_replenishment* replenishment, size_t* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    *out = result_count(r);
  });
}

invf_status* invf_replenishment_sku_id(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, result_count(r), "SKU");
    *out = result_sku(r, sku).c_str();
  });
}

invf_status* invf_replenishment_value(const invf_replenishment* replenishment, size_t sku,
                                      const char* key, double* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(key, "key");
    require(out, "out");
    require_index(sku, result_count(r), "SKU");
    const std::optional<double> value = result_value(r, sku, key);
    if (!value)
      fail(ErrorCode::InvalidArgument, "unknown {} value '{}'",
           r.newsvendor ? "newsvendor" : "replenishment", key);
    *out = *value;
  });
}

invf_status* invf_replenishment_method(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, result_count(r), "SKU");
    *out = r.newsvendor ? r.buys[sku].method.c_str() : r.decisions[sku].method.c_str();
  });
}

invf_status* invf_replenishment_write_csv(const invf_replenishment* replenishment,
                                          const char* path) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(path, "path");
    write_replenishment_csv(r, path);
  });
}

}  // extern "C"
