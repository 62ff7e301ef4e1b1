#include "methods/whatif.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/number_text.hpp"
#include "error.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "methods/model_forecaster.hpp"

namespace invforecast {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `data` with only the series at `rows` (ascending), every column cut to them.
Dataset restricted(const Dataset& data, const std::vector<size_t>& rows) {
  Dataset out;
  out.warnings = data.warnings;
  out.past_only = data.past_only;
  out.has_future = data.has_future;
  for (size_t s : rows) out.series.push_back(data.series[s]);
  for (const Column& column : data.columns) {
    Column& copy = out.columns.emplace_back();
    copy.name = column.name;
    copy.numeric = column.numeric;
    copy.levels = column.levels;
    for (size_t s : rows) {
      if (column.numeric)
        copy.numeric_values.push_back(column.numeric_values[s]);
      else
        copy.category_codes.push_back(column.category_codes[s]);
    }
  }
  return out;
}

// The rows of the scenario's series in `data`, ascending.
std::vector<size_t> scenario_rows(const Dataset& data, const std::vector<std::string>& ids) {
  std::vector<size_t> rows;
  if (ids.empty()) {
    for (size_t s = 0; s < data.series.size(); ++s) rows.push_back(s);
    return rows;
  }
  std::unordered_map<std::string_view, size_t> index;
  for (size_t s = 0; s < data.series.size(); ++s) index.emplace(data.series[s].id, s);
  std::unordered_set<std::string_view> seen;
  for (const std::string& id : ids) {
    const auto it = index.find(id);
    if (it == index.end())
      fail(ErrorCode::InvalidArgument, "scenario series '{}' is not a series of the data", id);
    if (!seen.insert(id).second)
      fail(ErrorCode::InvalidArgument, "scenario series '{}' is named twice", id);
    rows.push_back(it->second);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

// The model's feature of the edited column, checked to be a known-future one
// the edit can apply to.
const FeatureSpec& edited_feature(const Dataset& data, const std::vector<FeatureSpec>& features,
                                  const CovariateEdit& edit) {
  const int c = data.find_column(edit.column);
  if (c < 0)
    fail(ErrorCode::InvalidArgument, "edit '{}': '{}' is not a column of the data", edit.text,
         edit.column);
  const auto f = std::find_if(features.begin(), features.end(), [&](const FeatureSpec& spec) {
    return spec.source == FeatureSource::Column && spec.name == edit.column;
  });
  if (f == features.end())
    fail(ErrorCode::InvalidArgument, "edit '{}': the model does not read column '{}'", edit.text,
         edit.column);
  if (f->role == FeatureRole::StaticCovariate)
    fail(ErrorCode::InvalidArgument,
         "edit '{}': '{}' is a static covariate of the model, the same on every day; a scenario "
         "edits known-future values",
         edit.text, edit.column);
  if (f->role == FeatureRole::PastCovariate)
    fail(ErrorCode::InvalidArgument,
         "edit '{}': '{}' is a past-only covariate of the model, not read over the horizon; a "
         "scenario edits known-future values",
         edit.text, edit.column);
  const Column& column = data.columns[static_cast<size_t>(c)];
  if (column.numeric != (f->kind == FeatureKind::Real))
    fail(ErrorCode::InvalidArgument, "edit '{}': '{}' is {} in the data, the model reads it as {}",
         edit.text, edit.column, column.numeric ? "numeric" : "categorical",
         column.numeric ? "categorical" : "numeric");
  if (!column.numeric && edit.op != CovariateEdit::Op::Set)
    fail(ErrorCode::InvalidArgument,
         "edit '{}': '{}' is categorical; only {}=LEVEL applies to it", edit.text, edit.column,
         edit.column);
  if (column.numeric && !edit.number)
    fail(ErrorCode::InvalidArgument, "edit '{}': '{}' is a real column and '{}' is not a finite number",
         edit.text, edit.column, edit.operand);
  if (!column.numeric &&
      std::find(f->levels.begin(), f->levels.end(), edit.operand) == f->levels.end()) {
    std::string known;
    for (size_t i = 0; i < f->levels.size() && i < 20; ++i)
      known += fmt::format("{}'{}'", i > 0 ? ", " : "", f->levels[i]);
    fail(ErrorCode::InvalidArgument,
         "edit '{}': the model never saw level '{}' of '{}' (it would read the unknown bucket, "
         "not that level); its {} levels: {}{}",
         edit.text, edit.operand, edit.column, f->levels.size(), known,
         f->levels.size() > 20 ? ", ..." : "");
  }
  return *f;
}

// The code of `level` in a categorical column, added to its levels when new.
int32_t level_code(Column& column, const std::string& level) {
  const auto it = std::find(column.levels.begin(), column.levels.end(), level);
  if (it != column.levels.end()) return static_cast<int32_t>(it - column.levels.begin());
  column.levels.push_back(level);
  return static_cast<int32_t>(column.levels.size() - 1);
}

}  // namespace

CovariateEdit parse_edit(std::string_view text) {
  CovariateEdit edit;
  edit.text = std::string(text);
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos)
    fail(ErrorCode::InvalidArgument,
         "edit '{}' has no operator: expected COL*=x, COL+=x, COL=x or COL=LEVEL", text);
  size_t column_end = equals;
  if (equals > 0 && (text[equals - 1] == '*' || text[equals - 1] == '+')) {
    edit.op = text[equals - 1] == '*' ? CovariateEdit::Op::Scale : CovariateEdit::Op::Add;
    column_end = equals - 1;
  }
  edit.column = std::string(text.substr(0, column_end));
  edit.operand = std::string(text.substr(equals + 1));
  if (edit.column.empty()) fail(ErrorCode::InvalidArgument, "edit '{}' names no column", text);
  if (edit.operand.empty()) fail(ErrorCode::InvalidArgument, "edit '{}' gives no value", text);
  edit.number = parse_finite(edit.operand);
  if (edit.op != CovariateEdit::Op::Set && !edit.number)
    fail(ErrorCode::InvalidArgument, "edit '{}': '{}' is not a finite number", text, edit.operand);
  return edit;
}

ScenarioData apply_scenario(const Dataset& data, const std::vector<FeatureSpec>& features,
                            const Scenario& scenario, size_t horizon) {
  if (scenario.edits.empty())
    fail(ErrorCode::InvalidArgument, "the scenario has no edit (e.g. price*=0.9)");
  if (scenario.from && scenario.to && *scenario.from > *scenario.to)
    fail(ErrorCode::InvalidArgument, "the scenario's dates run backwards: from {} to {}",
         format_iso_date(*scenario.from), format_iso_date(*scenario.to));
  for (const CovariateEdit& edit : scenario.edits) edited_feature(data, features, edit);

  ScenarioData out;
  out.base = restricted(data, scenario_rows(data, scenario.series));
  out.scenario = out.base;
  Dataset& edited = out.scenario;
  for (size_t s = 0; s < edited.series.size(); ++s) {
    const Series& series = edited.series[s];
    const Day first = series.end_day() + 1;
    const Day last = series.end_day() + static_cast<Day>(horizon);
    const Day from = scenario.from.value_or(first), to = scenario.to.value_or(last);
    if (from < first || to > last)
      fail(ErrorCode::InvalidArgument,
           "the scenario's dates {} to {} are outside the horizon of series '{}': its forecast "
           "days are {} to {}",
           format_iso_date(from), format_iso_date(to), series.id, format_iso_date(first),
           format_iso_date(last));
    std::vector<uint8_t>& flags = out.edited.emplace_back(horizon, 0);
    for (const CovariateEdit& edit : scenario.edits) {
      Column& column = edited.columns[static_cast<size_t>(edited.find_column(edit.column))];
      for (Day day = from; day <= to; ++day) {
        const size_t offset = static_cast<size_t>(day - first);
        const size_t cell = series.values.size() + offset;
        if (cell >= series.cells())
          fail(ErrorCode::Data,
               "edit '{}': series '{}' has no known-future '{}' on {} (give it with a future file)",
               edit.text, series.id, edit.column, format_iso_date(day));
        flags[offset] = 1;
        if (!column.numeric) {
          column.category_codes[s][cell] = level_code(column, edit.operand);
          continue;
        }
        double& value = column.numeric_values[s][cell];
        if (std::isnan(value) && edit.op != CovariateEdit::Op::Set)
          fail(ErrorCode::Data, "edit '{}': '{}' of series '{}' is unknown on {}: nothing to change",
               edit.text, edit.column, series.id, format_iso_date(day));
        const double x = *edit.number;
        const double result = edit.op == CovariateEdit::Op::Scale ? value * x
                              : edit.op == CovariateEdit::Op::Add ? value + x
                                                                  : x;
        if (!std::isfinite(result))
          fail(ErrorCode::Data, "edit '{}' gives a non-finite '{}' ({}) for series '{}' on {}",
               edit.text, edit.column, result, series.id, format_iso_date(day));
        value = result;
      }
    }
  }
  return out;
}

size_t whatif_horizon(const ModelConfig& config, const Dataset& data, size_t horizon) {
  if (!data.has_future)
    fail(ErrorCode::InvalidArgument,
         "a scenario edits the known-future covariates of the forecast days: read them into the "
         "data with a future file first");
  if (horizon == 0) {
    horizon = static_cast<size_t>(config.horizon);
    if (!data.series.empty()) horizon = std::min(horizon, data.series.front().future_days);
  }
  require_horizon(horizon);
  require_model_horizon(config, horizon);
  return horizon;
}

std::vector<double> WhatIfResult::revenue(bool scenario_side, size_t s) const {
  if (!has_price) return {};
  const std::vector<double>& mean = (scenario_side ? scenario : base).series[s].mean;
  const std::vector<double>& price = (scenario_side ? scenario_price : base_price)[s];
  std::vector<double> out(mean.size());
  for (size_t d = 0; d < mean.size(); ++d) out[d] = mean[d] * price[d];
  return out;
}

WhatIfResult run_whatif(const ModelRuntime& runtime, const Dataset& data, const Scenario& scenario,
                        size_t horizon, const ForecastOptions& options,
                        const InventoryState* inventory, const InventoryOptions& inventory_options,
                        const ProgressFn& progress) {
  const ModelFile& file = runtime.model().file();
  require_forecasting_model(runtime);
  horizon = whatif_horizon(file.metadata().config, data, horizon);
  ScenarioData inputs = apply_scenario(data, file.metadata().features, scenario, horizon);

  WhatIfResult result;
  for (const CovariateEdit& edit : scenario.edits) result.edits.push_back(edit.text);
  result.base = forecast_dataset_with_model(runtime, options, progress, inputs.base, horizon);
  result.scenario =
      forecast_dataset_with_model(runtime, options, progress, inputs.scenario, horizon);
  result.edited = std::move(inputs.edited);

  const int price = inputs.base.find_column(kPriceColumn);
  result.has_price = price >= 0 && inputs.base.columns[static_cast<size_t>(price)].numeric;
  if (result.has_price) {
    auto prices = [&](const Dataset& d, std::vector<std::vector<double>>& out) {
      const Column& column = d.columns[static_cast<size_t>(price)];
      for (size_t s = 0; s < d.series.size(); ++s) {
        std::vector<double>& days = out.emplace_back(horizon, kNaN);
        const std::vector<double>& cells = column.numeric_values[s];
        for (size_t h = 0; h < horizon; ++h) {
          const size_t cell = d.series[s].values.size() + h;
          if (cell < cells.size()) days[h] = cells[cell];
        }
      }
    };
    prices(inputs.base, result.base_price);
    prices(inputs.scenario, result.scenario_price);
  }

  if (inventory != nullptr) {
    std::unordered_set<std::string_view> ids(result.base.series_ids.begin(),
                                             result.base.series_ids.end());
    InventoryState skus;
    for (const SkuState& sku : inventory->skus)
      if (ids.count(sku.inventory.sku) != 0) skus.skus.push_back(sku);
    if (skus.skus.empty())
      fail(ErrorCode::Data, "the inventory has no SKU among the scenario's {} series (e.g. '{}')",
           result.base.series_ids.size(), result.base.series_ids.front());
    result.base_orders = replenish_inventory(result.base, skus, inventory_options, progress);
    result.scenario_orders = replenish_inventory(result.scenario, skus, inventory_options, progress);
  }
  return result;
}

namespace {

using Json = nlohmann::ordered_json;

Json number_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

// Sum of the finite values (a day without a price adds no revenue).
double finite_sum(const std::vector<double>& values) {
  double sum = 0.0;
  for (double v : values)
    if (std::isfinite(v)) sum += v;
  return sum;
}

}  // namespace

std::string WhatIfResult::to_json() const {
  Json root;
  root["horizon"] = base.horizon;
  root["levels"] = base.levels;
  root["edits"] = edits;
  root["revenue"] = has_price;
  root["revenue_note"] =
      has_price ? fmt::format("mean units x the day's '{}' (base and scenario prices)", kPriceColumn)
                : fmt::format("absent: the data has no numeric '{}' column", kPriceColumn);
  // The SKU row of each series in the orders (same SKUs on both sides).
  std::unordered_map<std::string_view, size_t> sku_rows;
  if (base_orders)
    for (size_t i = 0; i < base_orders->size(); ++i) sku_rows.emplace(base_orders->sku(i), i);
  Json& all = root["series"] = Json::array();
  const size_t levels = base.levels.size();
  for (size_t s = 0; s < base.series.size(); ++s) {
    Json& entry = all.emplace_back();
    entry["series_id"] = base.series_ids[s];
    entry["start_date"] = format_iso_date(base.start_days[s]);
    const auto sku = sku_rows.find(base.series_ids[s]);
    for (bool side : {false, true}) {
      const SeriesForecast& f = (side ? scenario : base).series[s];
      const std::vector<double> money = revenue(side, s);
      Json& total = entry[side ? "scenario" : "base"];
      total["units"] = finite_sum(f.mean);
      total["revenue"] = has_price ? Json(finite_sum(money)) : Json(nullptr);
      const std::optional<ReplenishmentResult>& orders = side ? scenario_orders : base_orders;
      for (const char* key : {"order_quantity", "reorder_point", "safety_stock", "order_up_to"})
        total[key] = orders && sku != sku_rows.end()
                         ? number_or_null(orders->value(sku->second, key).value_or(kNaN))
                         : Json(nullptr);
    }
    Json& days = entry["days"] = Json::array();
    for (size_t d = 0; d < base.horizon; ++d) {
      Json& day = days.emplace_back();
      day["date"] = format_iso_date(base.start_days[s] + static_cast<Day>(d));
      day["edited"] = edited[s][d] != 0;
      for (bool side : {false, true}) {
        const SeriesForecast& f = (side ? scenario : base).series[s];
        Json& value = day[side ? "scenario" : "base"];
        value["mean"] = f.mean[d];
        value["quantiles"] = std::vector<double>(f.quantiles.begin() + static_cast<std::ptrdiff_t>(d * levels),
                                                 f.quantiles.begin() + static_cast<std::ptrdiff_t>((d + 1) * levels));
        const double price = has_price ? (side ? scenario_price : base_price)[s][d] : kNaN;
        value["price"] = number_or_null(price);
        value["revenue"] = number_or_null(f.mean[d] * price);
      }
    }
  }
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void WhatIfResult::write_csv(const std::string& path) const {
  io::AtomicFile file(path, "what-if CSV");
  fmt::memory_buffer text;
  auto out = std::back_inserter(text);
  fmt::format_to(out, "series_id,date,edited,base_mean,scenario_mean,base_price,scenario_price,"
                      "base_revenue,scenario_revenue");
  for (const char* side : {"base", "scenario"})
    for (double level : base.levels) fmt::format_to(out, ",{}_q{}", side, level);
  text.push_back('\n');
  // Empty for an unknown price (and without a price column).
  auto cell = [&](double value) {
    text.push_back(',');
    if (std::isfinite(value)) fmt::format_to(out, "{}", value);
  };
  const size_t levels = base.levels.size();
  for (size_t s = 0; s < base.series.size(); ++s) {
    const std::string id = csv::quoted(base.series_ids[s]);
    const std::vector<double> base_money = revenue(false, s), scenario_money = revenue(true, s);
    for (size_t d = 0; d < base.horizon; ++d) {
      fmt::format_to(out, "{},{},{},{},{}", id,
                     format_iso_date(base.start_days[s] + static_cast<Day>(d)), int{edited[s][d]},
                     base.series[s].mean[d], scenario.series[s].mean[d]);
      cell(has_price ? base_price[s][d] : kNaN);
      cell(has_price ? scenario_price[s][d] : kNaN);
      cell(has_price ? base_money[d] : kNaN);
      cell(has_price ? scenario_money[d] : kNaN);
      for (const DatasetForecast* side : {&base, &scenario})
        for (size_t q = 0; q < levels; ++q) cell(side->series[s].quantiles[d * levels + q]);
      text.push_back('\n');
    }
    if (text.size() > (1u << 20)) {
      file.write(std::string_view(text.data(), text.size()));
      text.clear();
    }
  }
  file.write(std::string_view(text.data(), text.size()));
  file.commit();
}

}  // namespace invforecast
