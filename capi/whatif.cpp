// invf_scenario and invf_whatif: what-if scenarios through lib/methods/whatif.hpp.
// This file only translates inputs and outputs.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "boundary.hpp"
#include "handles.hpp"
#include "methods/whatif.hpp"

struct invf_scenario {
  invforecast::Scenario scenario;
};

struct invf_whatif {
  invforecast::WhatIfResult result;
  std::string json;  // to_json(), made once
};

namespace invforecast::capi {
namespace {

const WhatIfResult& result_of(const invf_whatif* whatif) {
  require(whatif, "whatif");
  return whatif->result;
}

// true for the scenario side.
bool scenario_side(int32_t side) {
  if (side != INVF_WHATIF_BASE && side != INVF_WHATIF_SCENARIO)
    fail(ErrorCode::InvalidArgument, "side {} is not INVF_WHATIF_BASE (0) or INVF_WHATIF_SCENARIO (1)",
         side);
  return side == INVF_WHATIF_SCENARIO;
}

std::optional<Day> scenario_date(const char* text, const char* argument) {
  if (text == nullptr) return std::nullopt;
  const std::optional<Day> day = parse_iso_date(text);
  if (!day)
    fail(ErrorCode::InvalidArgument, "argument '{}': '{}' is not a YYYY-MM-DD date", argument, text);
  return day;
}

// Copies one side's daily prices or revenue (`what`, from `days`) of a series to a caller's
// buffer; Error(InvalidArgument) for a result without a price column.
template <class Days>
void copy_days(const invf_whatif* whatif, int32_t side, size_t series, double* buffer,
               size_t capacity, const char* what, Days days) {
  const WhatIfResult& r = result_of(whatif);
  const bool scenario = scenario_side(side);
  require_index(series, r.base.series.size(), "series");
  require(buffer, "buffer");
  if (!r.has_price)
    fail(ErrorCode::InvalidArgument, "the what-if has no {}: the dataset has no numeric '{}' column",
         what, kPriceColumn);
  const std::vector<double> values = days(r, scenario);
  require_capacity(capacity, values.size(), what);
  std::copy(values.begin(), values.end(), buffer);
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_scenario_create(invf_scenario** out) {
  return guarded([&] {
    require(out, "out");
    *out = new invf_scenario{};
  });
}

void invf_scenario_release(invf_scenario* scenario) { delete scenario; }

invf_status* invf_scenario_add_edit(invf_scenario* scenario, const char* edit) {
  return guarded([&] {
    require(scenario, "scenario");
    require(edit, "edit");
    scenario->scenario.edits.push_back(parse_edit(edit));
  });
}

invf_status* invf_scenario_set_series(invf_scenario* scenario, const char* const* series_ids,
                                      size_t count) {
  return guarded([&] {
    require(scenario, "scenario");
    if (count > 0) require(series_ids, "series_ids");
    std::vector<std::string> ids;
    for (size_t i = 0; i < count; ++i) {
      require(series_ids[i], "series_ids[i]");
      ids.emplace_back(series_ids[i]);
    }
    scenario->scenario.series = std::move(ids);
  });
}

invf_status* invf_scenario_set_dates(invf_scenario* scenario, const char* from, const char* to) {
  return guarded([&] {
    require(scenario, "scenario");
    const std::optional<Day> first = scenario_date(from, "from");
    const std::optional<Day> last = scenario_date(to, "to");
    if (first && last && *first > *last)
      fail(ErrorCode::InvalidArgument, "the scenario's dates run backwards: from {} to {}", from, to);
    scenario->scenario.from = first;
    scenario->scenario.to = last;
  });
}

invf_status* invf_whatif_run(const invf_model* model, const invf_dataset* dataset,
                             const invf_scenario* scenario, size_t horizon,
                             const invf_inventory* inventory, const invf_options* options,
                             invf_whatif** out) {
  return guarded([&] {
    require(model, "model");
    require(dataset, "dataset");
    require(scenario, "scenario");
    require(out, "out");
    const Options& settings =
        options_for(options, "invf_whatif_run", kForecastDomain | kInventoryDomain);
    const std::shared_ptr<const ModelRuntime> runtime =
        runtime_on(*model, settings.forecast.backend);
    auto whatif = std::make_unique<invf_whatif>();
    whatif->result = run_whatif(*runtime, built_dataset(*dataset), scenario->scenario, horizon,
                                settings.forecast, inventory, settings.inventory, settings.progress);
    whatif->json = whatif->result.to_json();
    *out = whatif.release();
  });
}

void invf_whatif_release(invf_whatif* whatif) { delete whatif; }

invf_status* invf_whatif_forecast(const invf_whatif* whatif, int32_t side, invf_forecast** out) {
  return guarded([&] {
    const WhatIfResult& r = result_of(whatif);
    require(out, "out");
    *out = new invf_forecast{scenario_side(side) ? r.scenario : r.base};
  });
}

invf_status* invf_whatif_replenishment(const invf_whatif* whatif, int32_t side,
                                       invf_replenishment** out) {
  return guarded([&] {
    const WhatIfResult& r = result_of(whatif);
    require(out, "out");
    const bool scenario = scenario_side(side);
    if (!r.base_orders)
      fail(ErrorCode::InvalidArgument, "the what-if has no orders: invf_whatif_run had no inventory");
    *out = new invf_replenishment{scenario ? *r.scenario_orders : *r.base_orders};
  });
}

invf_status* invf_whatif_has_revenue(const invf_whatif* whatif, int32_t* out) {
  return guarded([&] {
    const WhatIfResult& r = result_of(whatif);
    require(out, "out");
    *out = r.has_price ? 1 : 0;
  });
}

invf_status* invf_whatif_price(const invf_whatif* whatif, int32_t side, size_t series,
                               double* buffer, size_t capacity) {
  return guarded([&] {
    copy_days(whatif, side, series, buffer, capacity, "price",
              [&](const WhatIfResult& r, bool scenario) {
                return (scenario ? r.scenario_price : r.base_price)[series];
              });
  });
}

invf_status* invf_whatif_revenue(const invf_whatif* whatif, int32_t side, size_t series,
                                 double* buffer, size_t capacity) {
  return guarded([&] {
    copy_days(whatif, side, series, buffer, capacity, "revenue",
              [&](const WhatIfResult& r, bool scenario) { return r.revenue(scenario, series); });
  });
}

invf_status* invf_whatif_edited_days(const invf_whatif* whatif, size_t series, uint8_t* buffer,
                                     size_t capacity) {
  return guarded([&] {
    const WhatIfResult& r = result_of(whatif);
    require(buffer, "buffer");
    require_index(series, r.edited.size(), "series");
    const std::vector<uint8_t>& days = r.edited[series];
    require_capacity(capacity, days.size(), "the edited days (horizon)");
    std::copy(days.begin(), days.end(), buffer);
  });
}

invf_status* invf_whatif_to_json(const invf_whatif* whatif, char* buffer, size_t capacity,
                                 size_t* needed) {
  return guarded([&] {
    result_of(whatif);
    copy_to_caller(whatif->json.c_str(), whatif->json.size() + 1, buffer, capacity, needed,
                   "the what-if JSON");
  });
}

invf_status* invf_whatif_write_csv(const invf_whatif* whatif, const char* path) {
  return guarded([&] {
    const WhatIfResult& r = result_of(whatif);
    require(path, "path");
    r.write_csv(path);
  });
}

}  // extern "C"
