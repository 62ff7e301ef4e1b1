#include "inventory/inventory_state.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "error.hpp"
#include "core/parallel.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "io/csv_file.hpp"

namespace invforecast {
namespace {

constexpr StateField kStateFields[] = {
    {"on_hand", true},        {"lead_time_mean", true}, {"lead_time_sd", false},
    {"review_period", false}, {"moq", false},           {"pack_size", false},
    {"max_stock", false},     {"on_order", false},      {"backorders", false},
    {"holding_cost", false},  {"shortage_cost", false}, {"order_cost", false},
    {"service_level", false}, {"fill_rate", false},     {"overage_cost", false},
};
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

}  // namespace

std::span<const StateField> state_fields() { return kStateFields; }

SkuState make_sku(std::string sku, const std::unordered_map<std::string, double>& values,
                  const std::string& where, std::vector<int> lead_time_samples) {
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

namespace {

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

SkuState* find_sku(InventoryState& inventory, std::string_view sku) {
  for (SkuState& state : inventory.skus)
    if (state.inventory.sku == sku) return &state;
  return nullptr;
}

void add_unique(InventoryState& inventory, SkuState state, const std::string& where) {
  if (find_sku(inventory, state.inventory.sku) != nullptr)
    fail(ErrorCode::Data, "{}: SKU '{}' is given twice", where, state.inventory.sku);
  inventory.skus.push_back(std::move(state));
}

}  // namespace

void add_sku(InventoryState& inventory, std::string_view sku,
             std::span<const std::string_view> keys, std::span<const double> values) {
  if (inventory.from_file)
    fail(ErrorCode::InvalidArgument, "an inventory loaded from a file accepts no adds");
  if (sku.empty()) fail(ErrorCode::InvalidArgument, "empty sku");
  std::unordered_map<std::string, double> named;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!is_state_field(keys[i]))
      fail(ErrorCode::InvalidArgument, "SKU '{}': unknown field '{}' (known: {})", sku, keys[i],
           known_state_fields());
    if (!std::isfinite(values[i]))
      fail(ErrorCode::InvalidArgument, "SKU '{}': field '{}' is not finite", sku, keys[i]);
    if (!named.emplace(keys[i], values[i]).second)
      fail(ErrorCode::InvalidArgument, "SKU '{}': field '{}' is given twice", sku, keys[i]);
  }
  const std::string where = "invf_inventory_add_sku";
  add_unique(inventory, make_sku(std::string(sku), named, where), where);
}

void set_lead_time_samples(InventoryState& inventory, std::string_view sku, std::vector<int> days) {
  if (days.empty()) fail(ErrorCode::InvalidArgument, "SKU '{}': count is 0: give a lead time", sku);
  SkuState* state = find_sku(inventory, sku);
  if (state == nullptr) fail(ErrorCode::Data, "SKU '{}' is not in the inventory", sku);
  LeadTime lead_time = LeadTime::empirical(std::move(days));
  discretise_lead_time(lead_time, sku);  // each >= 1, checked now
  state->inventory.lead_time = std::move(lead_time);
}

InventoryState load_inventory_csv(const std::string& path) {
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

  InventoryState inventory;
  inventory.from_file = true;
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
    add_unique(inventory,
               make_sku(fields[sku_column], values, where, std::move(lead_time_samples)), where);
  }
  if (inventory.skus.empty()) fail(ErrorCode::Data, "{}: no SKU rows after the header", path);
  return inventory;
}

void add_open_order(InventoryState& inventory, std::string_view sku, double quantity,
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
void load_open_orders_csv(InventoryState& inventory, const std::string& path) {
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
  InventoryState updated;
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

SamplingOptions sampling_options(const InventoryOptions& options, SamplingOptions sampling) {
  if (options.samples) sampling.samples = *options.samples;
  if (options.seed) sampling.seed = *options.seed;
  sampling.dependence = parse_dependence(options.dependence);
  if (options.copula_rho) sampling.copula_rho = *options.copula_rho;
  return sampling;
}

SimulationOptions simulation_options(const InventoryOptions& inventory,
                                     const ForecastOptions& forecast, const ProgressFn& progress,
                                     size_t test_days) {
  SimulationOptions options;
  options.test_days = test_days;
  if (inventory.lead_time_days) options.lead_time_days = *inventory.lead_time_days;
  if (inventory.lead_time_sd) options.lead_time_sd = *inventory.lead_time_sd;
  if (inventory.review_period_days) options.review_period_days = *inventory.review_period_days;
  if (inventory.history_days) options.history_days = static_cast<size_t>(*inventory.history_days);
  options.service_measure = inventory.service_measure();
  if (inventory.service_target) options.service_target = *inventory.service_target;
  options.regime = inventory.backorder ? StockoutRegime::Backorder : StockoutRegime::LostSales;
  options.sampling = sampling_options(inventory, options.sampling);
  options.forecast = forecast;
  options.progress = progress;
  return options;
}

namespace {

// The forecast series of each SKU, by id; Error(Data) naming the SKUs that
// have none.
std::vector<size_t> match_series(const DatasetForecast& forecast, const InventoryState& inventory) {
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

}  // namespace

ReplenishmentResult replenish_inventory(const DatasetForecast& forecast,
                                        const InventoryState& inventory,
                                        const InventoryOptions& settings,
                                        const ProgressFn& progress) {
  const std::vector<size_t> series_of_sku = match_series(forecast, inventory);
  if (settings.service_targets.size() > 1)
    fail(ErrorCode::InvalidArgument,
         "replenish takes one service target, got {} (a list is for invf_simulate)",
         settings.service_targets.size());
  ReplenishOptions engine_options;
  engine_options.sampling = sampling_options(settings);
  ReplenishmentResult result;
  const size_t count = inventory.skus.size();
  result.decisions.resize(count);
  parallel_for(count, settings.threads, progress, "replenish", [&](size_t i) {
    const SkuState& state = inventory.skus[i];
    const size_t series = series_of_sku[i];
    SkuInventory sku = resolved_state(state, forecast.start_days[series]);
    // A SKU's own target wins over the options' one.
    if (!state.own_target) {
      sku.service_measure = settings.service_measure();
      if (settings.service_target) sku.service_target = *settings.service_target;
    }
    sku.regime = settings.backorder ? StockoutRegime::Backorder : StockoutRegime::LostSales;
    const DailyQuantiles daily{forecast.levels, forecast.series[series].quantiles};
    result.decisions[i] = replenish(sku, daily, engine_options);
  });
  for (const SkuState& state : inventory.skus) result.on_hand.push_back(state.inventory.on_hand);
  return result;
}

NewsvendorInput newsvendor_input(const SkuInventory& sku, double overage_cost, double* pipeline) {
  const LeadTimeDistribution lead_time = discretise_lead_time(sku.lead_time, sku.sku);
  if (lead_time.min_days != lead_time.max_days())
    fail(ErrorCode::InvalidArgument,
         "SKU '{}': newsvendor needs a fixed lead time (lead_time_sd 0, no lead_time_samples)",
         sku.sku);
  if (sku.backorders != 0.0)
    fail(ErrorCode::InvalidArgument, "SKU '{}': backorders do not apply to a newsvendor buy, got {}",
         sku.sku, sku.backorders);
  const int period_end = lead_time.min_days + sku.review_period_days;
  *pipeline = 0.0;
  for (const OpenOrder& order : sku.open_orders) {
    if (!(std::isfinite(order.quantity) && order.quantity >= 0.0) || order.arrival_day < 0)
      fail(ErrorCode::InvalidArgument, "SKU '{}': bad open order ({} units on day {})", sku.sku,
           order.quantity, order.arrival_day);
    if (order.arrival_day < period_end) *pipeline += order.quantity;
  }
  NewsvendorInput input;
  input.sku = sku.sku;
  input.on_hand = sku.on_hand + *pipeline;
  input.first_day = static_cast<size_t>(lead_time.min_days) + 1;
  input.period_days = static_cast<size_t>(sku.review_period_days);
  input.underage_cost = sku.costs.shortage_per_unit;
  input.overage_cost = overage_cost;
  input.moq = sku.moq;
  input.pack_size = sku.pack_size;
  input.max_stock = sku.max_stock;
  return input;
}

ReplenishmentResult newsvendor_inventory(const DatasetForecast& forecast,
                                         const InventoryState& inventory,
                                         const InventoryOptions& settings,
                                        const ProgressFn& progress) {
  const std::vector<size_t> series_of_sku = match_series(forecast, inventory);
  ReplenishOptions engine_options;
  engine_options.sampling = sampling_options(settings);
  ReplenishmentResult result;
  result.newsvendor = true;
  const size_t count = inventory.skus.size();
  result.buys.resize(count);
  result.pipeline.resize(count);
  parallel_for(count, settings.threads, progress, "newsvendor", [&](size_t i) {
    const SkuState& state = inventory.skus[i];
    const size_t series = series_of_sku[i];
    const SkuInventory sku = resolved_state(state, forecast.start_days[series]);
    const NewsvendorInput input = newsvendor_input(sku, state.overage_cost, &result.pipeline[i]);
    const DailyQuantiles daily{forecast.levels, forecast.series[series].quantiles};
    result.buys[i] = newsvendor(input, daily, engine_options);
  });
  for (const SkuState& state : inventory.skus) result.on_hand.push_back(state.inventory.on_hand);
  return result;
}

namespace {

// Named numbers of an order-up-to decision (invf_replenishment_value).
std::optional<double> decision_value(const ReplenishmentResult& r, size_t i, std::string_view key) {
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
std::optional<double> buy_value(const ReplenishmentResult& r, size_t i, std::string_view key) {
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

constexpr const char* kCsvColumns[] = {
    "on_hand",       "demand_mean",    "demand_sd",          "safety_stock",
    "reorder_point", "order_up_to",    "order_quantity",     "expected_fill_rate",
    "stockout_probability", "days_of_cover"};
constexpr const char* kNewsvendorCsvColumns[] = {
    "on_hand",        "pipeline",          "demand_mean",       "demand_sd",
    "critical_ratio", "target_stock",      "order_quantity",    "stockout_probability",
    "expected_sales", "expected_leftover", "expected_lost_sales"};

}  // namespace

std::optional<double> ReplenishmentResult::value(size_t i, std::string_view key) const {
  return newsvendor ? buy_value(*this, i, key) : decision_value(*this, i, key);
}

void ReplenishmentResult::write_csv(const std::string& path) const {
  const ReplenishmentResult& r = *this;
  const std::span<const char* const> columns =
      r.newsvendor ? std::span<const char* const>(kNewsvendorCsvColumns)
                   : std::span<const char* const>(kCsvColumns);
  std::string text = "sku";
  for (const char* column : columns) text += std::string(",") + column;
  text += '\n';
  for (size_t i = 0; i < r.size(); ++i) {
    text += csv::quoted(r.sku(i));
    for (const char* column : columns)
      text += fmt::format(",{}", *r.value(i, column));  // shortest round trip
    text += '\n';
  }
  io::write_file_atomically(path, text, "replenishment CSV");
}

}  // namespace invforecast
