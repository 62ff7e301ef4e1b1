// What-if scenarios through the C ABI (invf_scenario, invf_whatif): a small
// model trained on a known-future price, the base forecast against the
// ordinary one, the scenario moving only its edited days, prices, revenue,
// orders against invf_replenish, the JSON and CSV, and the errors.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "capi_support.hpp"
#include "test_files.hpp"

namespace {

using Model = Owned<invf_model, invf_model_release>;
using Dataset = Owned<invf_dataset, invf_dataset_release>;
using Options = Owned<invf_options, invf_options_release>;
using Scenario = Owned<invf_scenario, invf_scenario_release>;
using WhatIf = Owned<invf_whatif, invf_whatif_release>;
using Forecast = Owned<invf_forecast, invf_forecast_release>;
using Replenishment = Owned<invf_replenishment, invf_replenishment_release>;
using Inventory = Owned<invf_inventory, invf_inventory_release>;

constexpr int kSeries = 8, kDays = 140, kFuture = 7;
constexpr int64_t kFirstDay = 19723;  // 2024-01-01

// kSeries series of kDays days whose sales fall with a price column `price_name`
// (elasticity -2, the price moving every 10 days), and its kFuture known-future days.
void priced_dataset(Dataset& dataset, const char* price_name) {
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset.raw));
  std::vector<std::string> ids;
  std::vector<int64_t> starts(kSeries, kFirstDay), lengths(kSeries, kDays),
      future_starts(kSeries, kFirstDay + kDays), future_lengths(kSeries, kFuture);
  std::vector<double> values, prices, future_prices;
  auto price_of = [](int s, int t) { return (2.0 + s) * (1.0 + 0.2 * ((t / 10 + s) % 3 - 1)); };
  for (int s = 0; s < kSeries; ++s) {
    ids.push_back("s" + std::to_string(s));
    for (int t = 0; t < kDays; ++t) {
      const double relative = price_of(s, t) / (2.0 + s);
      const double season = 1.0 + 0.4 * std::sin(2.0 * M_PI * (t + s) / 7.0);
      values.push_back(std::round(4.0 * (s + 1) * season / (relative * relative)));
      prices.push_back(price_of(s, t));
    }
    for (int t = kDays; t < kDays + kFuture; ++t) future_prices.push_back(price_of(s, t));
  }
  const std::vector<const char*> id_pointers = pointers(ids);
  const char* names[] = {price_name};
  const double* columns[] = {prices.data()};
  REQUIRE_OK(invf_dataset_add_columns(dataset.raw, kSeries, id_pointers.data(), starts.data(),
                                      lengths.data(), values.data(), values.size(), 1, names,
                                      columns, 0, nullptr, nullptr));
  const double* future_columns[] = {future_prices.data()};
  REQUIRE_OK(invf_dataset_add_future_columns(
      dataset.raw, kSeries, id_pointers.data(), future_starts.data(), future_lengths.data(),
      future_prices.size(), 1, names, future_columns, 0, nullptr, nullptr, nullptr));
}

// priced_dataset and a small model (under a second to train) reading its price column and the
// calendar.
void train_priced(Dataset& data, const char* price_name, Model& model) {
  priced_dataset(data, price_name);
  Options options;
  REQUIRE_OK(invf_options_create(&options.raw));
  const std::pair<const char*, const char*> settings[] = {
      {"context_length", "28"}, {"patch_length", "7"},    {"stride", "7"},
      {"d_model", "16"},        {"heads", "2"},           {"ffn_dim", "32"},
      {"layers", "1"},          {"horizon", "7"},         {"quantiles", "0.1,0.5,0.9"},
      {"epochs", "3"},          {"steps_per_epoch", "20"}, {"batch_size", "16"},
      {"threads", "2"},         {"seed", "7"},            {"covariates", price_name}};
  for (const auto& [key, value] : settings) REQUIRE_OK(invf_options_set(options.raw, key, value));
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw));
}

std::vector<double> means(const invf_forecast* forecast, size_t series) {
  std::vector<double> out(kFuture);
  REQUIRE_OK(invf_forecast_mean(forecast, series, out.data(), out.size()));
  return out;
}

std::vector<double> quantiles(const invf_forecast* forecast, size_t series) {
  std::vector<double> out(kFuture * 3);
  REQUIRE_OK(invf_forecast_quantiles(forecast, series, out.data(), out.size()));
  return out;
}

std::string json_of(const invf_whatif* whatif) {
  size_t needed = 0;
  REQUIRE_OK(invf_whatif_to_json(whatif, nullptr, 0, &needed));
  std::string json(needed, '\0');
  REQUIRE_OK(invf_whatif_to_json(whatif, json.data(), json.size(), &needed));
  json.resize(needed - 1);
  return json;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("invf_capi_whatif_") + std::to_string(getpid()) + "_" + name))
      .string();
}

}  // namespace

TEST_CASE("invf_whatif: the base is the ordinary forecast, the scenario moves its edited days",
          "[capi][whatif]") {
  Dataset data;
  Model model;
  train_priced(data, "price", model);

  Scenario scenario;
  REQUIRE_OK(invf_scenario_create(&scenario.raw));
  REQUIRE_OK(invf_scenario_add_edit(scenario.raw, "price*=0.5"));
  const char* ids[] = {"s5", "s2"};
  REQUIRE_OK(invf_scenario_set_series(scenario.raw, ids, 2));
  // Forecast days 3..5 (the history ends on 2024-05-19).
  REQUIRE_OK(invf_scenario_set_dates(scenario.raw, "2024-05-22", "2024-05-24"));
  Inventory inventory;
  REQUIRE_OK(invf_inventory_create(&inventory.raw));
  const char* keys[] = {"on_hand", "lead_time_mean", "review_period"};
  const double state[] = {5.0, 2.0, 2.0};
  REQUIRE_OK(invf_inventory_add_sku(inventory.raw, "s2", keys, state, 3));
  REQUIRE_OK(invf_inventory_add_sku(inventory.raw, "s7", keys, state, 3));  // not in the scenario
  Options options;
  REQUIRE_OK(invf_options_create(&options.raw));
  REQUIRE_OK(invf_options_set(options.raw, "samples", "4000"));
  REQUIRE_OK(invf_options_set(options.raw, "threads", "2"));
  WhatIf whatif;
  REQUIRE_OK(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, inventory.raw, options.raw,
                         &whatif.raw));

  Forecast base, edited;
  REQUIRE_OK(invf_whatif_forecast(whatif.raw, INVF_WHATIF_BASE, &base.raw));
  REQUIRE_OK(invf_whatif_forecast(whatif.raw, INVF_WHATIF_SCENARIO, &edited.raw));
  size_t count = 0, horizon = 0;
  REQUIRE_OK(invf_forecast_series_count(base.raw, &count));
  REQUIRE_OK(invf_forecast_horizon(base.raw, &horizon));
  REQUIRE(count == 2);
  CHECK(horizon == kFuture);  // the model's 7 days, all the future days
  const char* id = nullptr;
  REQUIRE_OK(invf_forecast_series_id(edited.raw, 0, &id));
  CHECK(std::string(id) == "s2");  // dataset order
  REQUIRE_OK(invf_forecast_series_id(edited.raw, 1, &id));
  CHECK(std::string(id) == "s5");

  // The base is the model's ordinary forecast of those series, bit for bit.
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create_model(model.raw, nullptr, &forecaster));
  Forecast ordinary;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, data.raw, kFuture, &ordinary.raw));
  invf_forecaster_release(forecaster);
  CHECK(quantiles(base.raw, 0) == quantiles(ordinary.raw, 2));
  CHECK(quantiles(base.raw, 1) == quantiles(ordinary.raw, 5));

  // Each horizon day's decoder step reads that day's values alone (docs/covariates.md), so the
  // unedited days are the base's exactly, and a halved price moves every edited day.
  for (size_t s = 0; s < 2; ++s) {
    std::vector<uint8_t> flags(kFuture);
    REQUIRE_OK(invf_whatif_edited_days(whatif.raw, s, flags.data(), flags.size()));
    CHECK(flags == std::vector<uint8_t>{0, 0, 1, 1, 1, 0, 0});
    const std::vector<double> b = means(base.raw, s), e = means(edited.raw, s);
    for (size_t d = 0; d < kFuture; ++d) {
      INFO("series " << s << " day " << d);
      if (flags[d])
        CHECK(e[d] != b[d]);
      else
        CHECK(e[d] == b[d]);
    }
    // Prices as read, and revenue = mean units x price on each side.
    std::vector<double> price(kFuture), scenario_price(kFuture), revenue(kFuture);
    REQUIRE_OK(invf_whatif_price(whatif.raw, INVF_WHATIF_BASE, s, price.data(), price.size()));
    REQUIRE_OK(invf_whatif_price(whatif.raw, INVF_WHATIF_SCENARIO, s, scenario_price.data(),
                                 scenario_price.size()));
    REQUIRE_OK(invf_whatif_revenue(whatif.raw, INVF_WHATIF_SCENARIO, s, revenue.data(),
                                   revenue.size()));
    for (size_t d = 0; d < kFuture; ++d) {
      CHECK(scenario_price[d] == (flags[d] ? 0.5 * price[d] : price[d]));
      CHECK(revenue[d] == e[d] * scenario_price[d]);
    }
  }
  int32_t has_revenue = -1;
  REQUIRE_OK(invf_whatif_has_revenue(whatif.raw, &has_revenue));
  CHECK(has_revenue == 1);

  // Orders: invf_replenish's on each side's forecast, for the SKU among the scenario's series.
  for (int32_t side : {INVF_WHATIF_BASE, INVF_WHATIF_SCENARIO}) {
    Replenishment orders, expected;
    REQUIRE_OK(invf_whatif_replenishment(whatif.raw, side, &orders.raw));
    size_t skus = 0;
    REQUIRE_OK(invf_replenishment_sku_count(orders.raw, &skus));
    REQUIRE(skus == 1);
    Inventory just_s2;
    REQUIRE_OK(invf_inventory_create(&just_s2.raw));
    REQUIRE_OK(invf_inventory_add_sku(just_s2.raw, "s2", keys, state, 3));
    Options inventory_options;
    REQUIRE_OK(invf_options_create(&inventory_options.raw));
    REQUIRE_OK(invf_options_set(inventory_options.raw, "samples", "4000"));
    REQUIRE_OK(invf_replenish(side == INVF_WHATIF_BASE ? base.raw : edited.raw, just_s2.raw,
                              inventory_options.raw, &expected.raw));
    for (const char* key : {"order_quantity", "reorder_point", "safety_stock", "order_up_to"}) {
      double got = 0.0, want = 0.0;
      REQUIRE_OK(invf_replenishment_value(orders.raw, 0, key, &got));
      REQUIRE_OK(invf_replenishment_value(expected.raw, 0, key, &want));
      CHECK(got == want);
    }
  }

  // JSON and CSV.
  std::string json = json_of(whatif.raw);
  CHECK_THAT(json, Catch::Contains("\"edits\":[\"price*=0.5\"]"));
  CHECK_THAT(json, Catch::Contains("\"series_id\":\"s2\""));
  CHECK_THAT(json, Catch::Contains("\"revenue\":true"));
  size_t needed = 0;
  REQUIRE_FAILS(invf_whatif_to_json(whatif.raw, json.data(), json.size(), &needed),
                INVF_ERR_BUFFER_TOO_SMALL, "the what-if JSON");
  const std::string csv = temp_path("whatif.csv");
  REQUIRE_OK(invf_whatif_write_csv(whatif.raw, csv.c_str()));
  const std::string text = invforecast::testing::slurp(csv);
  CHECK(text.rfind(
            "series_id,date,edited,base_mean,scenario_mean,base_price,scenario_price,"
            "base_revenue,scenario_revenue,base_q0.1,base_q0.5,base_q0.9,scenario_q0.1,"
            "scenario_q0.5,scenario_q0.9\ns2,2024-05-20,0,",
            0) == 0);
  CHECK_THAT(text, Catch::Contains("\ns2,2024-05-22,1,"));
  CHECK_THAT(text, Catch::Contains("\ns5,2024-05-26,0,"));
  std::filesystem::remove(csv);
}

TEST_CASE("invf_whatif: no price column, no revenue; no inventory, no orders", "[capi][whatif]") {
  Dataset data;
  Model model;
  train_priced(data, "cost", model);
  Scenario scenario;
  REQUIRE_OK(invf_scenario_create(&scenario.raw));
  REQUIRE_OK(invf_scenario_add_edit(scenario.raw, "cost+=1"));
  WhatIf whatif;
  REQUIRE_OK(invf_whatif_run(model.raw, data.raw, scenario.raw, 3, nullptr, nullptr, &whatif.raw));
  int32_t has_revenue = -1;
  REQUIRE_OK(invf_whatif_has_revenue(whatif.raw, &has_revenue));
  CHECK(has_revenue == 0);
  std::vector<double> buffer(7, -1.0);
  REQUIRE_FAILS(invf_whatif_revenue(whatif.raw, INVF_WHATIF_BASE, 0, buffer.data(), buffer.size()),
                INVF_ERR_INVALID_ARGUMENT, "the what-if has no revenue: the dataset has no numeric 'price' column");
  REQUIRE_FAILS(invf_whatif_price(whatif.raw, INVF_WHATIF_BASE, 0, buffer.data(), buffer.size()),
                INVF_ERR_INVALID_ARGUMENT, "no price");
  CHECK(buffer == std::vector<double>(7, -1.0));
  Replenishment orders;
  REQUIRE_FAILS(invf_whatif_replenishment(whatif.raw, INVF_WHATIF_BASE, &orders.raw),
                INVF_ERR_INVALID_ARGUMENT, "invf_whatif_run had no inventory");
  CHECK(orders.raw == nullptr);
  Forecast forecast;
  REQUIRE_OK(invf_whatif_forecast(whatif.raw, INVF_WHATIF_SCENARIO, &forecast.raw));
  size_t count = 0, horizon = 0;
  REQUIRE_OK(invf_forecast_series_count(forecast.raw, &count));
  REQUIRE_OK(invf_forecast_horizon(forecast.raw, &horizon));
  CHECK(count == kSeries);  // every series by default
  CHECK(horizon == 3);
  const std::string json = json_of(whatif.raw);
  CHECK_THAT(json, Catch::Contains("\"revenue_note\":\"absent: the data has no numeric 'price' column\""));
  CHECK_THAT(json, Catch::Contains("\"order_quantity\":null"));
}

TEST_CASE("invf_scenario and invf_whatif refuse bad input and leave out-params alone",
          "[capi][whatif]") {
  Scenario scenario;
  REQUIRE_FAILS(invf_scenario_create(nullptr), INVF_ERR_NULL_POINTER, "out");
  REQUIRE_OK(invf_scenario_create(&scenario.raw));
  REQUIRE_FAILS(invf_scenario_add_edit(scenario.raw, "price"), INVF_ERR_INVALID_ARGUMENT,
                "edit 'price' has no operator");
  REQUIRE_FAILS(invf_scenario_add_edit(scenario.raw, nullptr), INVF_ERR_NULL_POINTER, "edit");
  REQUIRE_FAILS(invf_scenario_set_dates(scenario.raw, "2024-13-01", nullptr),
                INVF_ERR_INVALID_ARGUMENT, "argument 'from': '2024-13-01' is not a YYYY-MM-DD date");
  REQUIRE_FAILS(invf_scenario_set_dates(scenario.raw, "2024-02-02", "2024-02-01"),
                INVF_ERR_INVALID_ARGUMENT, "the scenario's dates run backwards");
  REQUIRE_FAILS(invf_scenario_set_series(scenario.raw, nullptr, 1), INVF_ERR_NULL_POINTER,
                "series_ids");

  Dataset data;
  Model model;
  train_priced(data, "price", model);
  invf_whatif* untouched = reinterpret_cast<invf_whatif*>(&scenario);
  invf_whatif* out = untouched;
  // No edit yet.
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, nullptr, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "the scenario has no edit");
  REQUIRE_OK(invf_scenario_add_edit(scenario.raw, "price*=0.9"));
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 8, nullptr, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "horizon");
  REQUIRE_FAILS(invf_whatif_run(nullptr, data.raw, scenario.raw, 0, nullptr, nullptr, &out),
                INVF_ERR_NULL_POINTER, "model");
  Options training;
  REQUIRE_OK(invf_options_create(&training.raw));
  REQUIRE_OK(invf_options_set(training.raw, "epochs", "2"));
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, nullptr, training.raw, &out),
                INVF_ERR_INVALID_ARGUMENT, "does not apply to invf_whatif_run");
  const char* unknown[] = {"s9"};
  REQUIRE_OK(invf_scenario_set_series(scenario.raw, unknown, 1));
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, nullptr, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "scenario series 's9' is not a series of the data");
  REQUIRE_OK(invf_scenario_set_series(scenario.raw, nullptr, 0));
  REQUIRE_OK(invf_scenario_set_dates(scenario.raw, "2024-05-10", nullptr));
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, nullptr, nullptr, &out),
                INVF_ERR_INVALID_ARGUMENT, "outside the horizon of series 's0'");
  REQUIRE_OK(invf_scenario_set_dates(scenario.raw, nullptr, nullptr));
  Inventory elsewhere;
  REQUIRE_OK(invf_inventory_create(&elsewhere.raw));
  const char* keys[] = {"on_hand", "lead_time_mean"};
  const double state[] = {1.0, 1.0};
  REQUIRE_OK(invf_inventory_add_sku(elsewhere.raw, "other", keys, state, 2));
  REQUIRE_FAILS(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, elsewhere.raw, nullptr, &out),
                INVF_ERR_DATA, "the inventory has no SKU among the scenario's 8 series");
  CHECK(out == untouched);

  WhatIf whatif;
  REQUIRE_OK(invf_whatif_run(model.raw, data.raw, scenario.raw, 0, nullptr, nullptr, &whatif.raw));
  invf_forecast* forecast = reinterpret_cast<invf_forecast*>(&scenario);
  REQUIRE_FAILS(invf_whatif_forecast(whatif.raw, 2, &forecast), INVF_ERR_INVALID_ARGUMENT,
                "side 2 is not INVF_WHATIF_BASE (0) or INVF_WHATIF_SCENARIO (1)");
  CHECK(forecast == reinterpret_cast<invf_forecast*>(&scenario));
  std::vector<uint8_t> flags(6);
  REQUIRE_FAILS(invf_whatif_edited_days(whatif.raw, 0, flags.data(), flags.size()),
                INVF_ERR_BUFFER_TOO_SMALL, "needs 7");
  flags.resize(7);
  REQUIRE_FAILS(invf_whatif_edited_days(whatif.raw, kSeries, flags.data(), flags.size()),
                INVF_ERR_INVALID_ARGUMENT, "series index 8 is out of range");
  invf_whatif_release(nullptr);
  invf_scenario_release(nullptr);
}
