// invf_inventory (SKU states) and invf_replenish: order decisions from a
// forecast through lib/inventory/replenish.hpp.  This file only translates
// inputs and outputs; the engine checks every value and names the SKU.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "boundary.hpp"
#include "core/parallel.hpp"
#include "csv_text.hpp"
#include "handles.hpp"
#include "inventory/replenish.hpp"

struct invf_inventory {
  std::vector<invforecast::SkuInventory> skus;
  bool from_file = false;
};

struct invf_replenishment {
  std::vector<invforecast::ReplenishDecision> decisions;
  std::vector<double> on_hand;  // of each SKU, as given
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
    {"on_hand", true},       {"lead_time_mean", true}, {"lead_time_sd", false},
    {"review_period", false}, {"moq", false},           {"pack_size", false},
    {"max_stock", false},    {"on_order", false},      {"backorders", false},
    {"holding_cost", false}, {"shortage_cost", false},  {"order_cost", false},
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

// Builds a SKU from named values; `where` prefixes messages (file:line or
// the SKU).  Missing optional fields take their defaults.
SkuInventory make_sku(std::string sku, const std::unordered_map<std::string, double>& values,
                      const std::string& where) {
  for (const StateField& field : kStateFields)
    if (field.required && values.count(field.name) == 0)
      fail(ErrorCode::InvalidArgument, "{}: SKU '{}': required field '{}' is missing", where, sku,
           field.name);
  auto value_or = [&](const char* name, double fallback) {
    const auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  };
  SkuInventory state;
  state.sku = std::move(sku);
  state.on_hand = values.at("on_hand");
  state.lead_time = LeadTime::normal(values.at("lead_time_mean"), value_or("lead_time_sd", 0.0));
  const double review = value_or("review_period", 1.0);
  if (!(review >= 1.0 && review <= 3660.0 && review == std::floor(review)))
    fail(ErrorCode::InvalidArgument, "{}: SKU '{}': review_period must be a whole number of days >= 1, got {}",
         where, state.sku, review);
  state.review_period_days = static_cast<int>(review);
  state.moq = value_or("moq", 0.0);
  state.pack_size = value_or("pack_size", 1.0);
  state.max_stock = value_or("max_stock", std::numeric_limits<double>::infinity());
  // A single open-order quantity, assumed to arrive within the lead time, so
  // it counts fully towards the inventory position.
  const double on_order = value_or("on_order", 0.0);
  if (on_order != 0.0) state.open_orders.push_back({on_order, 0});
  state.backorders = value_or("backorders", 0.0);
  state.costs.holding_per_unit_day = value_or("holding_cost", 0.0);
  state.costs.shortage_per_unit = value_or("shortage_cost", 0.0);
  state.costs.fixed_per_order = value_or("order_cost", 0.0);
  return state;
}

void add_unique(invf_inventory& inventory, SkuInventory state, const std::string& where) {
  for (const SkuInventory& existing : inventory.skus)
    if (existing.sku == state.sku)
      fail(ErrorCode::Data, "{}: SKU '{}' is given twice", where, state.sku);
  inventory.skus.push_back(std::move(state));
}

std::unique_ptr<invf_inventory> load_inventory_csv(const char* path) {
  CsvText csv(path);
  std::vector<std::string> header;
  if (!csv.next(header)) fail(ErrorCode::Data, "{}: the file is empty", path);
  size_t sku_column = header.size();
  std::unordered_set<std::string> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!seen.insert(header[c]).second)
      fail(ErrorCode::Parse, "{}:1: column '{}' appears twice", path, header[c]);
    if (header[c] == "sku") {
      sku_column = c;
    } else if (!is_state_field(header[c])) {
      fail(ErrorCode::Parse, "{}:1: unknown column '{}' (known: {})", path, header[c],
           known_state_fields());
    }
  }
  if (sku_column == header.size()) fail(ErrorCode::Parse, "{}:1: no 'sku' column", path);
  for (const StateField& field : kStateFields)
    if (field.required && seen.count(field.name) == 0)
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
    for (size_t c = 0; c < header.size(); ++c)
      if (c != sku_column && !fields[c].empty()) values[header[c]] = csv.number(fields[c], header[c]);
    add_unique(*inventory, make_sku(fields[sku_column], values, where), where);
  }
  if (inventory->skus.empty()) fail(ErrorCode::Data, "{}: no SKU rows after the header", path);
  return inventory;
}

SamplingOptions sampling_options(const InventoryOptions& options) {
  SamplingOptions sampling;
  if (options.samples) sampling.samples = *options.samples;
  if (options.seed) sampling.seed = *options.seed;
  sampling.dependence = parse_dependence(options.dependence);
  if (options.copula_rho) sampling.copula_rho = *options.copula_rho;
  return sampling;
}

std::unique_ptr<invf_replenishment> run_replenish(const invf_forecast& forecast,
                                                  const invf_inventory& inventory,
                                                  const Options& options) {
  if (inventory.skus.empty()) fail(ErrorCode::Data, "the inventory holds no SKU");
  std::unordered_map<std::string_view, size_t> series_of_id;
  for (size_t s = 0; s < forecast.series_ids.size(); ++s) series_of_id.emplace(forecast.series_ids[s], s);

  std::vector<size_t> series_of_sku;
  std::vector<std::string_view> missing;
  for (const SkuInventory& sku : inventory.skus) {
    const auto it = series_of_id.find(sku.sku);
    if (it == series_of_id.end()) {
      missing.push_back(sku.sku);
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

  const InventoryOptions& settings = options.inventory;
  ReplenishOptions engine_options;
  engine_options.sampling = sampling_options(settings);
  auto result = std::make_unique<invf_replenishment>();
  const size_t count = inventory.skus.size();
  result->decisions.resize(count);
  parallel_for(count, options.forecast.threads, options.progress, "replenish", [&](size_t i) {
    SkuInventory sku = inventory.skus[i];
    if (settings.fill_rate_target) sku.service_measure = ServiceMeasure::FillRate;
    if (settings.service_target) sku.service_target = *settings.service_target;
    sku.regime = settings.backorder ? StockoutRegime::Backorder : StockoutRegime::LostSales;
    const SeriesForecast& series = forecast.series[series_of_sku[i]];
    const DailyQuantiles daily{forecast.levels, series.quantiles};
    result->decisions[i] = replenish(sku, daily, engine_options);
  });
  for (const SkuInventory& sku : inventory.skus) result->on_hand.push_back(sku.on_hand);
  return result;
}

// Named numbers of a decision (invf_replenishment_value).
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

constexpr const char* kCsvColumns[] = {
    "on_hand",       "demand_mean",    "demand_sd",          "safety_stock",
    "reorder_point", "order_up_to",    "order_quantity",     "expected_fill_rate",
    "stockout_probability", "days_of_cover"};

// A CSV field: quoted (RFC 4180) when it holds a separator, quote or line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

void write_replenishment_csv(const invf_replenishment& r, const char* path) {
  std::string text = "sku";
  for (const char* column : kCsvColumns) text += std::string(",") + column;
  text += '\n';
  for (size_t i = 0; i < r.decisions.size(); ++i) {
    text += csv_field(r.decisions[i].sku);
    for (const char* column : kCsvColumns)
      text += fmt::format(",{}", *decision_value(r, i, column));  // shortest round trip
    text += '\n';
  }
  std::FILE* file = std::fopen(path, "wb");
  if (file == nullptr)
    fail(ErrorCode::Io, "cannot open '{}' for writing: {}", path, std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (std::fclose(file) != 0 || !written)
    fail(ErrorCode::Io, "cannot write '{}': {}", path, std::strerror(errno));
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
    *out = inventory->skus[sku].sku.c_str();
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

void invf_replenishment_release(invf_replenishment* replenishment) { delete replenishment; }

invf_status* invf_replenishment_sku_count(const invf_replenishment* replenishment, size_t* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    *out = r.decisions.size();
  });
}

invf_status* invf_replenishment_sku_id(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, r.decisions.size(), "SKU");
    *out = r.decisions[sku].sku.c_str();
  });
}

invf_status* invf_replenishment_value(const invf_replenishment* replenishment, size_t sku,
                                      const char* key, double* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(key, "key");
    require(out, "out");
    require_index(sku, r.decisions.size(), "SKU");
    const std::optional<double> value = decision_value(r, sku, key);
    if (!value) fail(ErrorCode::InvalidArgument, "unknown replenishment value '{}'", key);
    *out = *value;
  });
}

invf_status* invf_replenishment_method(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, r.decisions.size(), "SKU");
    *out = r.decisions[sku].method.c_str();
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
